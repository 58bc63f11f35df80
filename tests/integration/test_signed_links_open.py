"""`cerchia.web.signed_links.open_signed_link`: what every page behind a link in an email does first."""

from __future__ import annotations

from datetime import timedelta

from cerchia import links, runtime
from cerchia.web.pages import Page
from cerchia.web.signed_links import LinkPages, OpenedLink, open_signed_link
from support import event


def _token(purpose, claims, expires_at):
    return links.sign(runtime.link_secret(), purpose, claims, expires_at)


def test_a_good_link_opens_on_its_community_and_member_in_the_members_language(community, ingest, clock):
    ingest(community, event("member_joined"))
    token = _token("preferences", {"c": community.community_id, "m": "u_1042"}, clock.now() + timedelta(days=1))

    opened = open_signed_link(token, "preferences", clock.now(), "en")

    assert isinstance(opened, OpenedLink)
    assert (opened.community.community_id, opened.member.member_id, opened.locale) == (
        community.community_id,
        "u_1042",
        "it",
    )


def test_a_forged_foreign_or_expired_link_answers_403_and_a_vanished_member_404(community, clock):
    claims = {"c": community.community_id, "m": "u_nobody"}
    later = clock.now() + timedelta(days=1)

    forged = open_signed_link("not-a-token", "preferences", clock.now(), "en")
    foreign = open_signed_link(_token("unsubscribe", claims, later), "preferences", clock.now(), "en")
    expired = open_signed_link(_token("preferences", claims, clock.now()), "preferences", later, "en")
    gone = open_signed_link(_token("preferences", claims, later), "preferences", clock.now(), "en")

    assert [page.status for page in (forged, foreign, expired, gone)] == [403, 403, 403, 404]  # type: ignore[union-attr]
    assert all(isinstance(page, Page) for page in (forged, foreign, expired, gone))


def test_a_feature_names_the_member_claim_refuses_claims_it_cannot_use_and_says_expired_in_its_words(community, clock):
    shown = []

    def show(locale, status, title_key, body_key, community_name=""):
        shown.append((locale, status, title_key, community_name))
        return Page(status, title_key)

    pages = LinkPages(("x.invalid", "x.invalid_body"), ("x.gone", "x.gone_body"), ("x.expired", "x.expired_body"))
    claims = {"c": community.community_id, "l": "founder", "a": "dismiss"}
    valid = _token("nudge", claims, clock.now() + timedelta(days=1))
    stale = _token("nudge", claims, clock.now())

    opened = open_signed_link(valid, "nudge", clock.now(), "en", member_claim="l", pages=pages, show=show)
    refused = open_signed_link(
        valid, "nudge", clock.now(), "en", member_claim="l", accepts=lambda c: c["a"] == "reply", show=show, pages=pages
    )
    expired = open_signed_link(
        stale, "nudge", clock.now() + timedelta(hours=1), "en", member_claim="l", pages=pages, show=show
    )

    assert isinstance(opened, OpenedLink) and opened.member.member_id == "founder"
    assert (refused.status, expired.status) == (403, 403)  # type: ignore[union-attr]
    assert shown == [("en", 403, "x.invalid", ""), ("it", 403, "x.expired", "Lievito & Co.")]

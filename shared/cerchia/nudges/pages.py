"""What the links in a nudge show and do. A GET (confirm=False) shows what the link would do, with a
form; a POST (confirm=True) does it, then says how the post stands."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from cerchia.domain.models import Community, Member
from cerchia.domain.nudges import CLAIMED, DISMISSED, SETTLED_BY, claimed_but_unanswered, is_waiting
from cerchia.i18n import translator
from cerchia.nudges.links import PURPOSE
from cerchia.store import Store, get_store
from cerchia.store import nudges as nudge_store
from cerchia.web.pages import Page, message_page, render_page
from cerchia.web.signed_links import LinkPages, open_signed_link

DONE_TEMPLATE = "pages/nudges_done.html"
PAGES = LinkPages(
    invalid=("nudges.page_invalid_title", "nudges.page_invalid_body"),
    not_found=("nudges.page_invalid_title", "nudges.page_not_found_body"),
)


def nudge_link_page(token: str, confirm: bool, now: datetime, fallback_locale: str = "en") -> Page:
    """GET (confirm=False) shows what the link would do, with a form; POST (confirm=True) does it."""
    opened = open_signed_link(
        token, PURPOSE, now, fallback_locale, member_claim="l", accepts=names_post_and_action, pages=PAGES
    )
    if isinstance(opened, Page):
        return opened
    community, leader, locale = opened.community, opened.member, opened.locale
    community_id, leader_id = community.community_id, leader.member_id
    post_id, action = str(opened.claims["p"]), str(opened.claims["a"])
    store = get_store()
    post = nudge_store.get_post(store, community_id, post_id)
    if post is None:
        return message_page(fallback_locale, 404, *PAGES.not_found)
    if leader.status != "active" or leader.role != "leader":
        # A link outlives its leader's role: someone who left or stepped down can no longer act.
        return message_page(locale, 403, "nudges.page_not_leader_title", "nudges.page_not_leader_body", community.name)
    open_to = is_waiting(post) or (action == "dismiss" and claimed_but_unanswered(post))
    if open_to and not confirm:
        return confirm_page(community, post, action, locale)
    if open_to and nudge_store.settle_post(store, community_id, post_id, SETTLED_BY[action], leader_id, now):
        post = {**post, "nudge_stage": SETTLED_BY[action], "settled_by": leader_id}
    else:
        post = nudge_store.get_post(store, community_id, post_id) or post
    return outcome_page(store, community, leader, post, locale)


def names_post_and_action(claims: dict[str, Any]) -> bool:
    """A nudge token names its post (`p`) and an action we know (`a`, a key of SETTLED_BY)."""
    return "p" in claims and claims.get("a") in SETTLED_BY


def confirm_page(community: Community, post: dict[str, Any], action: str, locale: str) -> Page:
    """The question a GET asks ("Will you answer it?"), with the button that posts the answer."""
    t = translator(locale)
    return render_page(
        "pages/nudges_confirm.html",
        locale,
        title=t(f"nudges.page_{action}_question"),
        explain=t(f"nudges.page_{action}_explain"),
        button=t(f"nudges.{action}"),
        post_title=post.get("title") or "",
        post_url=post.get("url", ""),
        community_name=community.name,
    )


def outcome_page(store: Store, community: Community, leader: Member, post: dict[str, Any], locale: str) -> Page:
    """How the post stands now: yours, someone else's, waved away, answered or deleted."""
    title = post.get("title") or ""
    stage = post.get("nudge_stage")
    t = translator(locale)
    if post.get("deleted"):
        key = "deleted"
    elif not post.get("unanswered_pk"):
        key = "answered"
    elif stage == CLAIMED and post.get("settled_by") not in (None, leader.member_id):
        other = store.get_member(community.community_id, str(post["settled_by"]))
        name = other.name if other and other.name else "?"
        return render_page(
            DONE_TEMPLATE,
            locale,
            title=t("nudges.page_claimed_by_other_title", title=title, name=name),
            body=t("nudges.page_claimed_by_other_body", title=title, name=name),
            post_url=post.get("url", ""),
            community_name=community.name,
        )
    elif stage in (CLAIMED, DISMISSED):
        key = stage
    else:
        key = "answered"
    return render_page(
        DONE_TEMPLATE,
        locale,
        title=t(f"nudges.page_{key}_title", title=title),
        body=t(f"nudges.page_{key}_body", title=title),
        post_url=post.get("url", "") if key != "deleted" else "",
        community_name=community.name,
    )

"""The vote pages members open from poll emails: the form (GET), the answer (POST), the results.

A GET only shows the question with the clicked option chosen (mail scanners open links too); the
POST records the ballot. A closed poll's link shows its results for `RESULTS_GRACE` after close.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from cerchia.domain import rules
from cerchia.domain.ballots import eligibility, parse_choices
from cerchia.domain.models import Community, Member
from cerchia.domain.polls import NOTHING_CHOSEN, VOTE_PURPOSE, Poll, status_at
from cerchia.domain.tallies import option_labels, tally
from cerchia.errors import InvalidInput, Transient
from cerchia.i18n import translator
from cerchia.polls.wording import results_line, when
from cerchia.store import Store, get_store
from cerchia.store.polls import get_ballot, get_poll, has_voted, record_vote
from cerchia.web.pages import Page, message_page, render_page
from cerchia.web.signed_links import LinkPages, open_signed_link

# An expired link still says which community it was for, in the member's language.
PAGES = LinkPages(
    invalid=("polls.page.invalid_title", "polls.page.invalid_body"),
    not_found=("polls.page.gone_title", "polls.page.gone_body"),
    expired=("polls.page.expired_title", "polls.page.expired_body"),
)


@dataclass(frozen=True)
class Opened:
    """A valid vote link: who opens which poll, with which option chosen in the email."""

    store: Store
    community: Community
    poll: Poll
    member: Member
    option: int | None
    locale: str

    @property
    def timezone(self) -> str:
        return self.member.timezone or self.community.timezone

    def closes(self) -> str:
        return when(self.poll.close_at, self.timezone, self.locale)


def vote_page(token: str, now: datetime, fallback_locale: str = "en") -> Page:
    """GET: the question with the clicked option chosen and a confirm button. Records nothing."""
    opened = open_link(token, now, fallback_locale)
    if isinstance(opened, Page):
        return opened
    if status_at(opened.poll, now) == "closed":
        return _results_page(opened, 200)
    if opened.poll.status != "open":
        return _not_open(opened)
    return _vote_form(opened)


def submit_vote(token: str, values: list[str], now: datetime, fallback_locale: str = "en") -> Page:
    """POST: record the member's answer (or change it), then thank them."""
    opened = open_link(token, now, fallback_locale)
    if isinstance(opened, Page):
        return opened
    poll = opened.poll
    if status_at(poll, now) == "closed":
        return _results_page(opened, 409)
    if poll.status != "open":
        return _not_open(opened)
    try:
        choices = parse_choices(poll, values)
    except InvalidInput as error:
        nothing = error.fields.get("choice") == NOTHING_CHOSEN
        return _vote_form(opened, error_key="polls.page.choose" if nothing else "polls.page.unknown_choice")
    try:
        outcome = record_vote(opened.store, poll, opened.member.member_id, choices, now)
    except Transient:
        return message_page(opened.locale, 503, "polls.page.busy_title", "polls.page.busy_body", opened.community.name)
    if outcome == "closed":
        return _results_page(opened, 409)
    if outcome == "already-voted":
        return _already_answered(opened)
    labels = option_labels(poll)
    return _page(
        "pages/polls_thanks.html",
        opened,
        200,
        title=translator(opened.locale)(
            "polls.page.thanks_title", name=rules.first_name(opened.member.first_name, opened.member.name)
        ),
        outcome=outcome,
        chosen=[labels[index] for index in choices],
        closes=opened.closes(),
    )


def open_link(token: str, now: datetime, fallback_locale: str) -> Opened | Page:
    """Who opens which poll with this token, or the page that says why the link does not work."""
    opened = open_signed_link(token, VOTE_PURPOSE, now, fallback_locale, accepts=names_poll_and_option, pages=PAGES)
    if isinstance(opened, Page):
        return opened
    community, member, locale = opened.community, opened.member, opened.locale
    store = get_store()
    poll = get_poll(store, community.community_id, str(opened.claims["p"]))
    if poll is None:
        return message_page(locale, 404, *PAGES.not_found)
    allowed = eligibility(member, poll)
    if allowed == "left":
        return message_page(locale, 403, "polls.page.left_title", "polls.page.left_body", community.name)
    if allowed == "late":
        return message_page(locale, 403, "polls.page.late_title", "polls.page.late_body", community.name)
    option = opened.claims.get("o")
    if option is not None and not 0 <= option < len(poll.options):
        option = None
    return Opened(store, community, poll, member, option, locale)


def names_poll_and_option(claims: dict[str, Any]) -> bool:
    """A vote token names its poll (`p`) and, if any, the option clicked in the email (`o`, a number)."""
    option = claims.get("o")
    return "p" in claims and (option is None or isinstance(option, int))


def _not_open(opened: Opened) -> Page:
    return message_page(
        opened.locale, 409, "polls.page.not_open_title", "polls.page.not_open_body", opened.community.name
    )


def _vote_form(opened: Opened, error_key: str | None = None) -> Page:
    poll = opened.poll
    labels = option_labels(poll)
    previous: tuple[int, ...] = ()
    if poll.anonymous:
        if has_voted(opened.store, poll, opened.member.member_id):
            return _already_answered(opened)
    else:
        ballot = get_ballot(opened.store, poll.community_id, poll.poll_id, opened.member.member_id)
        previous = ballot.choices if ballot else ()
    if opened.option is not None:
        checked = {opened.option} | (set(previous) if poll.kind == "multiple" else set())
    else:
        checked = set(previous)
    return _page(
        "pages/polls_vote.html",
        opened,
        400 if error_key else 200,
        title=poll.question,
        options=[{"value": index, "label": label, "checked": index in checked} for index, label in enumerate(labels)],
        input_type="checkbox" if poll.kind == "multiple" else "radio",
        previous=[labels[index] for index in previous],
        closes=opened.closes(),
        error=translator(opened.locale)(error_key) if error_key else "",
    )


def _already_answered(opened: Opened) -> Page:
    t = translator(opened.locale)
    return _page(
        "pages/message.html",
        opened,
        200,
        title=t("polls.page.already_title"),
        body=t("polls.page.already_body", closes=opened.closes()),
    )


def _results_page(opened: Opened, status: int) -> Page:
    poll = opened.poll
    mine: list[str] = []
    if not poll.anonymous:
        ballot = get_ballot(opened.store, poll.community_id, poll.poll_id, opened.member.member_id)
        labels = option_labels(poll)
        mine = [labels[index] for index in ballot.choices] if ballot else []
    counted = tally(poll)
    return _page(
        "pages/polls_results.html",
        opened,
        status,
        title=poll.question,
        tally=counted,
        closed=opened.closes(),
        participation=results_line(opened.locale, counted),
        mine=mine,
        refused=status == 409,
    )


def _page(template: str, opened: Opened, status: int, **context: Any) -> Page:
    return render_page(
        template, opened.locale, status, community_name=opened.community.name, poll=opened.poll, **context
    )

"""Polls, from the leader's request to the results.

- Leaders create a poll through the API (`create_poll`); it waits in the due index.
- Its job (`run_poll_job`) opens it at `send_at` and emails every member who has polls on, one
  button per option; reminds the members who have not answered 24 hours before close; closes it
  at `close_at` and emails the results to leaders and to the members who answered.
- Members answer from the email: the link's page (`vote_page`) only shows the question with
  their option chosen; the form's POST (`submit_vote`) records the ballot.
- The weekly digest shows polls closed that week and polls still open (`polls_for_digest`).
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from cerchia.domain import rules
from cerchia.domain.models import Community, Member
from cerchia.domain.polls import (
    NOTHING_CHOSEN,
    RESULTS_GRACE,
    NewPoll,
    Poll,
    PollSummary,
    Tally,
    accepts_votes,
    build_poll,
    eligibility,
    eligible_voters,
    next_due,
    next_step,
    option_labels,
    parse_choices,
    status_at,
    summary,
    tally,
)
from cerchia.errors import InvalidInput, InvalidLink, NotFound, Transient
from cerchia.web.pages import Page

if TYPE_CHECKING:
    from cerchia.jobs import Delivery
    from cerchia.mail.mime import Outgoing
    from cerchia.store.table import Job, Store

JOB_KIND = "poll"
VOTE_PURPOSE = "vote"
VOTE_PATH = "/v/"
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
# A job moves a poll at most through open, announce, remind, close and report in one run.
_MAX_STEPS = 6


# ---------------------------------------------------------------------- the leader API


def create_poll(community: Community, new_poll: NewPoll, now: datetime, idempotency_key: str | None = None) -> Poll:
    """Store the poll and schedule its job at send_at. Raises InvalidInput naming the fields.

    With an idempotency key (the `Idempotency-Key` header) the poll id comes from the key, so a
    client retrying the same request gets the same poll, never a second one.
    """
    from cerchia.errors import AlreadyExists
    from cerchia.store import get_store
    from cerchia.store.polls import delete_poll, get_poll, put_poll

    store = get_store()
    if idempotency_key is not None and not 1 <= len(idempotency_key) <= 128:
        raise InvalidInput("The Idempotency-Key header must be 1 to 128 characters.", {"Idempotency-Key": "length"})
    poll_id = "p_" + (
        hashlib.sha256(f"{community.community_id}\n{idempotency_key}".encode()).hexdigest()[:12]
        if idempotency_key
        else secrets.token_hex(6)
    )
    poll = build_poll(community.community_id, poll_id, new_poll, now).model_copy(
        update={"request_digest": request_digest(new_poll)}
    )
    try:
        put_poll(store, poll)
    except AlreadyExists:
        existing = get_poll(store, community.community_id, poll_id)
        if existing is None or not _same_request(existing, new_poll, poll):
            raise InvalidInput(
                "This Idempotency-Key was already used for another poll; use a new key for a new poll.",
                {"Idempotency-Key": "already used for another poll"},
            ) from None
        if existing.status == "scheduled" and store.get_job(JOB_KIND, poll_id) is None:
            # the first attempt stored the poll but died before scheduling it
            store.schedule_job(JOB_KIND, poll_id, community.community_id, existing.send_at)
        return existing
    try:
        store.schedule_job(JOB_KIND, poll.poll_id, community.community_id, poll.send_at)
    except Exception:
        # A poll nobody would ever send must not stay behind.
        delete_poll(store, community.community_id, poll.poll_id)
        raise Transient("The poll could not be scheduled; please create it again.") from None
    return poll


def request_digest(new_poll: NewPoll) -> str:
    """A fingerprint of every field of a create request, as validated (so `+01:00` and `Z` spellings agree)."""
    return hashlib.sha256(new_poll.model_dump_json().encode()).hexdigest()


def _same_request(existing: Poll, new_poll: NewPoll, poll: Poll) -> bool:
    """Whether a retried create asks for exactly the poll stored under its Idempotency-Key, send_at included."""
    if existing.request_digest:
        return existing.request_digest == poll.request_digest
    # polls stored before the fingerprint: compare what they kept
    same = ("question", "options", "kind", "close_at", "anonymous", "scale_labels")
    sent_at_asked = new_poll.send_at is None or max(new_poll.send_at, existing.created_at or new_poll.send_at) == (
        existing.send_at
    )
    return sent_at_asked and all(getattr(existing, name) == getattr(poll, name) for name in same)


def poll_summary(community: Community, poll_id: str, now: datetime) -> PollSummary:
    from cerchia.store import get_store
    from cerchia.store.polls import get_poll

    poll = get_poll(get_store(), community.community_id, poll_id)
    if poll is None:
        raise NotFound(f"There is no poll {poll_id} in this community.")
    return summary(poll, now)


# ---------------------------------------------------------------------- the job: send, remind, close


def run_poll_job(job: Job, now: datetime) -> datetime | None:
    """Do every step that is due (open, announce, remind, close, report); return when to come back."""
    from cerchia.store import get_store
    from cerchia.store.polls import get_poll

    store = get_store()
    community = store.get_community(job.community_id)
    poll = get_poll(store, job.community_id, job.ref)
    if community is None or poll is None:
        return None
    for _ in range(_MAX_STEPS):
        step = next_step(poll, now)
        if step == "wait":
            return next_due(poll, now)
        if step == "done":
            return None
        _STEPS[step](store, community, poll, now)
        reread = get_poll(store, poll.community_id, poll.poll_id)
        if reread is None:
            return None
        poll = reread
    raise RuntimeError(f"Poll {poll.poll_id} did not settle in {_MAX_STEPS} steps; it stays due.")


def _open(store: Store, community: Community, poll: Poll, now: datetime) -> None:
    from cerchia.store.polls import open_poll

    open_poll(store, poll, len(eligible_voters(store.members(community.community_id))), now)


def _announce(store: Store, community: Community, poll: Poll, now: datetime) -> None:
    from cerchia.jobs import enqueue
    from cerchia.store.polls import mark_step

    voters = eligible_voters(store.members(community.community_id), poll.sent_at)
    enqueue(
        "poll",
        community.community_id,
        poll.poll_id,
        poll.poll_id,
        [m.member_id for m in voters if rules.wants(m, "poll") and not asked_it(community, poll, m)],
    )
    mark_step(store, poll, "announced_at", now)


def _remind(store: Store, community: Community, poll: Poll, now: datetime) -> None:
    from cerchia.jobs import enqueue
    from cerchia.store.polls import mark_step, voter_ids

    answered = set(voter_ids(store, poll))
    late = [
        member.member_id
        for member in eligible_voters(store.members(community.community_id), poll.sent_at)
        if member.member_id not in answered
        and rules.wants(member, "poll-reminder")
        and not asked_it(community, poll, member)
    ]
    enqueue("poll-reminder", community.community_id, poll.poll_id, poll.poll_id, late)
    mark_step(store, poll, "reminded_at", now)


def _close(store: Store, community: Community, poll: Poll, now: datetime) -> None:
    from cerchia.store.polls import close_poll

    close_poll(store, poll, now)


def _report(store: Store, community: Community, poll: Poll, now: datetime) -> None:
    """Results to every leader and to every member who answered, once each (one per address)."""
    from cerchia.jobs import enqueue
    from cerchia.store.polls import mark_step, voter_ids

    leaders = store.leaders(community)
    addresses = {leader.email.casefold() for leader in leaders}
    recipients = [leader.member_id for leader in leaders]
    answered = set(voter_ids(store, poll))
    if poll.author_id:
        answered.add(poll.author_id)  # a member who asked gets the results, voted or not
    if answered:
        for member in store.members(community.community_id):
            if member.member_id in answered and member.email and member.email.casefold() not in addresses:
                addresses.add(member.email.casefold())
                recipients.append(member.member_id)
    enqueue("poll-results", community.community_id, poll.poll_id, poll.poll_id, recipients)
    mark_step(store, poll, "reported_at", now)


_STEPS = {"open": _open, "announce": _announce, "remind": _remind, "close": _close, "report": _report}


# ---------------------------------------------------------------------- emails


def deliver_poll(delivery: Delivery, member_id: str, now: datetime) -> str:
    return _deliver(delivery, member_id, now, "poll")


def deliver_reminder(delivery: Delivery, member_id: str, now: datetime) -> str:
    return _deliver(delivery, member_id, now, "poll-reminder")


def deliver_results(delivery: Delivery, member_id: str, now: datetime) -> str:
    return _deliver(delivery, member_id, now, "poll-results")


_CHUNK: dict[tuple[Any, ...], tuple[Community | None, Poll | None]] = {}


def _deliver(delivery: Delivery, member_id: str, now: datetime, kind: str) -> str:
    """One member's email of a kind for a poll, through the ledger; 'skipped' when it is no longer wanted or due."""
    from cerchia.mail.sending import deliver_once
    from cerchia.store import get_store
    from cerchia.store.polls import get_poll, has_voted

    store = get_store()
    chunk = (delivery.kind, delivery.community_id, delivery.ref, delivery.member_ids)
    if chunk not in _CHUNK:
        # Read once per chunk, not once per member: the poll's times do not change, and every
        # check below that matters (close_at, the member) holds whatever the status read here.
        _CHUNK.clear()
        _CHUNK[chunk] = (
            store.get_community(delivery.community_id),
            get_poll(store, delivery.community_id, delivery.ref),
        )
    community, poll = _CHUNK[chunk]
    member = store.get_member(delivery.community_id, member_id)
    if community is None or poll is None or member is None:
        return "skipped"
    if kind == "poll-results":
        is_leader = member.role == "leader"
        if poll.status != "closed" or not rules.wants(member, "poll-results" if is_leader else "poll"):
            return "skipped"
    elif (
        not accepts_votes(poll, now)
        or asked_it(community, poll, member)
        or not rules.wants(member, kind)
        or eligibility(member, poll) != "yes"
        or (kind == "poll-reminder" and has_voted(store, poll, member_id))
    ):
        return "skipped"
    return deliver_once(
        store,
        kind=kind,
        community_id=community.community_id,
        recipient_id=member_id,
        period=poll.poll_id,
        compose=lambda: compose_poll_email(kind, community, poll, member, now),
        now=now,
        to_address=member.email,
    )


def asked_it(community: Community, poll: Poll, member: Member) -> bool:
    """Whether this member asked the poll: its author, or (no author given) the community's own leader.

    Whoever asked is not sent the poll or its reminder, only the results.
    """
    from cerchia.store import keys

    if poll.author_id:
        return member.member_id == poll.author_id
    if member.role != "leader":
        return False
    leader_email = community.leader_email.casefold()
    return member.member_id == keys.FOUNDER or bool(leader_email and member.email.casefold() == leader_email)


def compose_poll_email(kind: str, community: Community, poll: Poll, member: Member, now: datetime) -> Outgoing:
    """The poll, its reminder or its results, for one member, in their language."""
    from cerchia.i18n import translator
    from cerchia.mail.compose import Recipient, compose

    locale = rules.resolve_locale(member.locale, community.locale)
    t = translator(locale)
    timezone = member.timezone or community.timezone
    recipient = Recipient(
        email=member.email,
        name=member.name,
        locale=member.locale,
        member_id=member.member_id,
        is_leader=member.role == "leader",
        given_name=member.first_name,
    )
    context: dict[str, Any] = {
        "poll": poll,
        "member": member,
        "asker": _asker_name(community, poll),
        "closes": when(poll.close_at, timezone, locale),
    }
    if kind == "poll-results":
        counted = tally(poll)
        context |= {
            "tally": counted,
            "preheader": _results_line(locale, counted),
            "asked_it": asked_it(community, poll, member),
        }
        if recipient.is_leader:
            context["footer_why"] = t("footer.why_leader", community=community.name)
    else:
        context |= {
            "buttons": _buttons(poll, member.member_id),
            "ballot_url": vote_url(poll, member.member_id, None),
            "preheader": poll.question,
        }
    return compose(
        kind,
        kind,
        community,
        recipient,
        now,
        f"polls.subject.{kind}",
        {"question": poll.question},
        **context,
    )


def _asker_name(community: Community, poll: Poll) -> str:
    """Who asks, as the email names them: the member who created the poll, else the community's leader."""
    if poll.author_id:
        from cerchia.store import get_store

        author = get_store().get_member(community.community_id, poll.author_id)
        if author is not None and author.name:
            return author.name
    return community.leader_name or community.name


def _results_line(locale: str, counted: Tally) -> str:
    from cerchia.formatting import plural

    if not counted.ballots:
        return str(_t(locale)("polls.results_nobody"))
    return plural(
        locale, "polls.participation", counted.ballots, eligible=counted.eligible, percent=counted.participation_percent
    )


def _buttons(poll: Poll, member_id: str) -> list[dict[str, str]]:
    return [
        {"label": label, "url": vote_url(poll, member_id, index)} for index, label in enumerate(option_labels(poll))
    ]


def vote_url(poll: Poll, member_id: str, option: int | None) -> str:
    """A link that opens the poll for one member with one option chosen (None: nothing chosen yet)."""
    from cerchia.mail.compose import signed_link

    claims: dict[str, Any] = {"c": poll.community_id, "p": poll.poll_id, "m": member_id}
    if option is not None:
        claims["o"] = option
    return signed_link(VOTE_PURPOSE, VOTE_PATH, claims, poll.close_at + RESULTS_GRACE)


def when(instant: datetime, timezone: str, locale: str) -> str:
    """An instant as people say it where they live, with its zone: "Monday 30 November at 18:00 (Rome time)"."""
    from cerchia import formatting

    return formatting.moment(instant, timezone, locale)


# ---------------------------------------------------------------------- vote pages


@dataclass(frozen=True)
class _Opened:
    """A valid vote link: who opens which poll, with which option chosen in the email."""

    store: Store
    community: Community
    poll: Poll
    member: Member
    option: int | None
    locale: str


def vote_page(token: str, now: datetime, fallback_locale: str = "en") -> Page:
    """GET: the question with the clicked option chosen and a confirm button. Records nothing."""
    opened = _open_link(token, now, fallback_locale)
    if isinstance(opened, Page):
        return opened
    if status_at(opened.poll, now) == "closed":
        return _results_page(opened, 200)
    if opened.poll.status != "open":
        return _message(
            opened.locale, 409, "polls.page.not_open_title", "polls.page.not_open_body", opened.community.name
        )
    return _vote_form(opened)


def submit_vote(token: str, values: list[str], now: datetime, fallback_locale: str = "en") -> Page:
    """POST: record the member's answer (or change it), then thank them."""
    from cerchia.store.polls import record_vote

    opened = _open_link(token, now, fallback_locale)
    if isinstance(opened, Page):
        return opened
    poll = opened.poll
    if status_at(poll, now) == "closed":
        return _results_page(opened, 409)
    if poll.status != "open":
        return _message(
            opened.locale, 409, "polls.page.not_open_title", "polls.page.not_open_body", opened.community.name
        )
    try:
        choices = parse_choices(poll, values)
    except InvalidInput as error:
        nothing = error.fields.get("choice") == NOTHING_CHOSEN
        return _vote_form(opened, error_key="polls.page.choose" if nothing else "polls.page.unknown_choice")
    try:
        outcome = record_vote(opened.store, poll, opened.member.member_id, choices, now)
    except Transient:
        return _message(opened.locale, 503, "polls.page.busy_title", "polls.page.busy_body", opened.community.name)
    if outcome == "closed":
        return _results_page(opened, 409)
    if outcome == "already-voted":
        return _already_answered(opened)
    labels = option_labels(poll)
    return _page(
        "pages/polls_thanks.html",
        opened,
        200,
        title=_t(opened.locale)(
            "polls.page.thanks_title", name=rules.first_name(opened.member.first_name, opened.member.name)
        ),
        outcome=outcome,
        chosen=[labels[index] for index in choices],
        closes=when(poll.close_at, _timezone(opened), opened.locale),
    )


def _open_link(token: str, now: datetime, fallback_locale: str) -> _Opened | Page:
    from cerchia import aws, links
    from cerchia.store import get_store
    from cerchia.store.polls import get_poll

    try:
        # Checked against the epoch first, so an expired link still says which poll it was for.
        claims = links.verify(aws.link_secret(), VOTE_PURPOSE, token, _EPOCH)
        community_id, poll_id, member_id = str(claims["c"]), str(claims["p"]), str(claims["m"])
        option = claims.get("o")
        if option is not None and not isinstance(option, int):
            raise InvalidLink("The link names no option.")
    except (InvalidLink, KeyError):
        return _message(fallback_locale, 403, "polls.page.invalid_title", "polls.page.invalid_body")
    store = get_store()
    community = store.get_community(community_id)
    member = store.get_member(community_id, member_id) if community else None
    locale = (
        rules.resolve_locale(member.locale if member else fallback_locale, community.locale)
        if community
        else fallback_locale
    )
    if claims["exp"] < now.timestamp():
        return _message(
            locale, 403, "polls.page.expired_title", "polls.page.expired_body", community.name if community else ""
        )
    poll = get_poll(store, community_id, poll_id) if community else None
    if community is None or poll is None or member is None:
        return _message(locale, 404, "polls.page.gone_title", "polls.page.gone_body")
    allowed = eligibility(member, poll)
    if allowed == "left":
        return _message(locale, 403, "polls.page.left_title", "polls.page.left_body", community.name)
    if allowed == "late":
        return _message(locale, 403, "polls.page.late_title", "polls.page.late_body", community.name)
    if option is not None and not 0 <= option < len(poll.options):
        option = None
    return _Opened(store, community, poll, member, option, locale)


def _vote_form(opened: _Opened, error_key: str | None = None) -> Page:
    from cerchia.store.polls import get_ballot, has_voted

    poll = opened.poll
    t = _t(opened.locale)
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
        closes=when(poll.close_at, _timezone(opened), opened.locale),
        error=t(error_key) if error_key else "",
    )


def _already_answered(opened: _Opened) -> Page:
    t = _t(opened.locale)
    return _page(
        "pages/message.html",
        opened,
        200,
        title=t("polls.page.already_title"),
        body=t("polls.page.already_body", closes=when(opened.poll.close_at, _timezone(opened), opened.locale)),
    )


def _results_page(opened: _Opened, status: int) -> Page:
    from cerchia.store.polls import get_ballot

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
        closed=when(poll.close_at, _timezone(opened), opened.locale),
        participation=_results_line(opened.locale, counted),
        mine=mine,
        refused=status == 409,
    )


def _timezone(opened: _Opened) -> str:
    return opened.member.timezone or opened.community.timezone


def _t(locale: str) -> Any:
    from cerchia.i18n import translator

    return translator(locale)


def _page(template: str, opened: _Opened, status: int, **context: Any) -> Page:
    from cerchia.rendering import render

    return Page(
        status,
        render(template, opened.locale, community_name=opened.community.name, poll=opened.poll, **context),
    )


def _message(locale: str, status: int, title_key: str, body_key: str, community_name: str = "") -> Page:
    from cerchia.rendering import render

    t = _t(locale)
    return Page(
        status,
        render(
            "pages/message.html",
            locale,
            title=t(title_key, community=community_name),
            body=t(body_key, community=community_name),
            community_name=community_name,
        ),
    )


# ---------------------------------------------------------------------- the weekly digest


def polls_for_digest(
    store: Store, community: Community, start: datetime, end: datetime, member_id: str | None, now: datetime
) -> dict[str, list[dict[str, Any]]]:
    """Polls for a digest of [start, end), read from this community's polls only (no Scan).

    `closed`: polls whose close_at is in [start, end) and past: question, options (label, votes,
    percent), ballots, eligible, participation (0..1) and its percent, average (scale polls).
    `open`: polls taking answers now: question, close_at, and, when `member_id` is given and that
    member may answer, one vote URL per option (`options[].url`), a `ballot_url`, and `voted`.
    """
    from cerchia.store.polls import has_voted, polls_closing

    closed = []
    for poll in polls_closing(store, community.community_id, start, end):
        if poll.close_at > now:
            continue
        counted = tally(poll)
        closed.append(
            {
                "poll_id": poll.poll_id,
                "question": poll.question,
                "kind": poll.kind,
                "anonymous": poll.anonymous,
                "closed_at": poll.close_at,
                "ballots": counted.ballots,
                "eligible": counted.eligible,
                "participation": counted.participation,
                "participation_percent": counted.participation_percent,
                "average": counted.average,
                "options": [
                    {"label": option.label, "votes": option.votes, "percent": option.percent}
                    for option in counted.options
                ],
            }
        )
    member = store.get_member(community.community_id, member_id) if member_id else None
    still_open = []
    for poll in polls_closing(store, community.community_id, now):
        if not accepts_votes(poll, now):
            continue
        may_answer = member is not None and eligibility(member, poll) == "yes" and not asked_it(community, poll, member)
        labels = option_labels(poll)
        still_open.append(
            {
                "poll_id": poll.poll_id,
                "question": poll.question,
                "kind": poll.kind,
                "anonymous": poll.anonymous,
                "close_at": poll.close_at,
                "options": [
                    {"label": label, "url": vote_url(poll, member.member_id, index) if may_answer and member else None}
                    for index, label in enumerate(labels)
                ],
                "ballot_url": vote_url(poll, member.member_id, None) if may_answer and member else None,
                "voted": has_voted(store, poll, member.member_id) if may_answer and member else None,
            }
        )
    return {"closed": closed, "open": still_open}

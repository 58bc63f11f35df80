"""Leader nudges: posts nobody answered and quiet newcomers, told to each leader in one email.

How it works (docs/nudges.md tells the whole story):

- Ingest keys every unanswered post in the sparse `unanswered` index by the instant its first nudge
  is due (created_at + the community's `unanswered_after_hours`). The sweep, every 15 minutes,
  queries `unanswered_at <= now`: it reads only the posts whose nudge has come.
- Per community, one transaction moves each due post's key on (to the reminder at twice the
  threshold; out of reach after the reminder) and appends the (post, stage) entries to each
  leader's nudge queue. A queue is due now, or when that leader's quiet hours end.
- Each due queue becomes one email. Its entries are first recorded as the queue's outgoing batch,
  whose id is the ledger period; then the email goes out through the ledger; then the batch is
  cleared. A sweep that dies half-way is retried: a batch already sent is found sent in the ledger
  and only cleared, the others go out; nobody gets the same nudge twice.
- Quiet newcomers: welcoming a member schedules a `newcomer` job; when it comes due and the member
  has neither posted nor replied, they get one friendly email and the leaders' queues get their name.

The functions at the top are pure rules (time passed in); the rest talks to the store lazily.
"""

from __future__ import annotations

import uuid
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from cerchia.domain import rules
from cerchia.domain.models import Community, Member

if TYPE_CHECKING:
    from cerchia.mail.mime import Outgoing
    from cerchia.store.table import Job, Store
    from cerchia.web.pages import Page

from cerchia.domain.nudges import (
    CLAIMED,
    DISMISSED,
    LINK_LIFETIME,
    MAX_LISTED,
    MAX_POSTS_PER_SWEEP,
    OPEN_QUESTIONS,
    REMINDER,
    SETTLED_BY,
    LinkAction,
    Plan,
    latest_entries,
    leader_quiet_until,
    not_before,
    plan,
    unique_newcomers,
)


def how_long(since: datetime, now: datetime, locale: str) -> str:
    """'26 hours', '3 days', '1 giorno': hours under two days, days after."""
    from cerchia import formatting

    return formatting.how_long(since, now, locale)


def _instant(raw: Any) -> datetime | None:
    return datetime.fromisoformat(str(raw).replace("Z", "+00:00")) if raw else None


def _iso(instant: datetime) -> str:
    from cerchia.store import keys

    return keys.iso(instant)


# ---------------------------------------------------------------------- the sweep


@dataclass
class _Sweep:
    """What one sweep has read so far: communities, their leaders, authors' names (each read once)."""

    store: Store
    now: datetime
    communities: dict[str, Community | None] = field(default_factory=dict)
    leaders_of: dict[str, list[Member]] = field(default_factory=dict)
    names: dict[tuple[str, str], str] = field(default_factory=dict)

    def community(self, community_id: str) -> Community | None:
        if community_id not in self.communities:
            self.communities[community_id] = self.store.get_community(community_id)
        return self.communities[community_id]

    def leaders(self, community: Community) -> list[Member]:
        if community.community_id not in self.leaders_of:
            self.leaders_of[community.community_id] = self.store.leaders(community)
        return self.leaders_of[community.community_id]

    def author_names(self, community_id: str, member_ids: Iterable[str]) -> dict[str, str]:
        from cerchia.store import nudges as nudge_store

        wanted = {member_id for member_id in member_ids if (community_id, member_id) not in self.names}
        if wanted:
            found = nudge_store.member_names(self.store, community_id, wanted)
            for member_id in wanted:
                self.names[(community_id, member_id)] = found.get(member_id, "")
        return {member_id: self.names[(community_id, member_id)] for member_id in member_ids}


def sweep(now: datetime) -> dict[str, int]:
    """Find the posts whose nudge has come, queue them for their leaders, and email every due queue.

    Returns counts of what happened; 'failed' counts leaders whose email could not go out (their
    nudge stays queued and the next sweep, or the scheduler's retry, sends it).
    """
    from cerchia.observability import logger
    from cerchia.store import get_store
    from cerchia.store import nudges as nudge_store

    store = get_store()
    run = _Sweep(store, now)
    counts: Counter[str] = Counter()
    touched: set[tuple[str, str]] = set()
    by_community: dict[str, list[dict[str, Any]]] = {}
    for post in nudge_store.due_posts(store, now, MAX_POSTS_PER_SWEEP):
        by_community.setdefault(post["community_id"], []).append(post)
    for community_id, posts in sorted(by_community.items()):
        touched |= _queue_due_posts(run, community_id, posts, counts)

    queues = {(queue["community_id"], queue["leader_id"]): queue for queue in nudge_store.due_queues(store, now)}
    for community_id, leader_id in touched - queues.keys():
        # the index may lag behind the transaction that just filled this queue
        queue = nudge_store.get_queue(store, community_id, leader_id)
        if queue is not None:
            queues[(community_id, leader_id)] = queue
    for key in sorted(queues):
        try:
            counts[_deliver_queue(run, queues[key])] += 1
        except Exception:
            counts["failed"] += 1
            logger().exception(
                "nudge not sent; it stays queued for the next sweep",
                extra={"community_id": key[0], "leader_id": key[1]},
            )
    return dict(counts)


def next_due() -> datetime | None:
    """When the sweep next has work (a post's nudge or a leader's queue is due); None: nothing waits."""
    from cerchia.store import get_store
    from cerchia.store import nudges as nudge_store

    return nudge_store.next_due(get_store())


def _queue_due_posts(
    run: _Sweep, community_id: str, posts: list[dict[str, Any]], counts: Counter[str]
) -> set[tuple[str, str]]:
    """Move each due post on and put it in every leader's queue; returns the queues written."""
    from cerchia.store import nudges as nudge_store

    community = run.community(community_id)
    moves: list[tuple[dict[str, Any], Plan]] = []
    for post in sorted(posts, key=lambda item: (item.get("created_at") or "", item["post_id"])):
        if community is None:
            decision = Plan("park", reason="no-community")
        else:
            decision = plan(
                community, post.get("author_id", ""), _instant(post.get("created_at")), post.get("nudge_stage"), run.now
            )
        if decision.action == "nudge":
            moves.append((post, decision))
        elif decision.action == "wait":
            assert decision.next_due is not None
            nudge_store.move_post(run.store, post, decision.next_due)
            counts["rescheduled"] += 1
        else:
            nudge_store.park_post(run.store, post, decision.reason or "parked")
            counts["parked"] += 1
    if community is None or not moves:
        return set()
    recipients = {
        leader.member_id: not_before(leader, community, run.now)
        for leader in run.leaders(community)
        if rules.wants(leader, "nudge")
    }
    moved = nudge_store.queue_posts(run.store, community_id, moves, recipients, run.now)
    counts["posts"] += moved
    return {(community_id, leader_id) for leader_id in recipients} if moved else set()


def _deliver_queue(run: _Sweep, queue: dict[str, Any]) -> str:
    """Turn one leader's due queue into (at most) one email. Safe to run again at any later instant."""
    from cerchia.mail.sending import deliver_once
    from cerchia.store import nudges as nudge_store

    community = run.community(queue["community_id"])
    leader = None
    if community is not None:
        leader = next((m for m in run.leaders(community) if m.member_id == queue["leader_id"]), None)
    batch, outcome = _batch_to_send(run, queue, community, leader)
    if batch is None or community is None or leader is None:
        return outcome
    sent = deliver_once(
        run.store,
        kind="nudge",
        community_id=community.community_id,
        recipient_id=leader.member_id,
        period=batch["id"],
        compose=lambda: compose_nudge(run, community, leader, batch),
        now=run.now,
    )
    rest = nudge_store.finish_outgoing(run.store, community.community_id, leader.member_id, batch["id"])
    if rest is not None and not rest.get("pending") and not rest.get("newcomers"):
        nudge_store.delete_queue(run.store, rest)
    return str(sent)


def _batch_to_send(
    run: _Sweep, queue: dict[str, Any] | None, community: Community | None, leader: Member | None
) -> tuple[dict[str, Any] | None, str]:
    """The queue's outgoing batch, recorded now from its pending entries if there is none yet.

    (None, why) when nothing is to be sent now: quiet hours, nothing left, no such leader any more.
    """
    from cerchia.store import nudges as nudge_store

    assert queue is not None
    community_id, leader_id = queue["community_id"], queue["leader_id"]
    for _ in range(5):
        if queue is None:
            return None, "gone"
        if community is None or leader is None or not rules.wants(leader, "nudge"):
            # no longer a leader, left, unsubscribed or turned nudges off: nothing to tell them
            if nudge_store.delete_queue(run.store, queue):
                return None, "dropped"
        elif (quiet_end := leader_quiet_until(leader, community, run.now)) is not None:
            if nudge_store.defer_queue(run.store, queue, quiet_end):
                return None, "deferred"
        elif queue.get("outgoing") is not None:
            return queue["outgoing"], "retry"
        else:
            posts = _still_waiting(run, community_id, queue.get("pending") or [])
            newcomers = unique_newcomers(queue.get("newcomers") or [])
            if not posts and not newcomers:
                if nudge_store.delete_queue(run.store, queue):
                    return None, "nothing-left"
            else:
                # Recorded before sending: a retry, at whatever later instant, sends this very batch.
                outgoing = {"id": f"{_iso(run.now)}~{uuid.uuid4().hex[:8]}", "posts": posts, "newcomers": newcomers}
                if nudge_store.start_outgoing(run.store, queue, outgoing):
                    return outgoing, "new"
        queue = nudge_store.get_queue(run.store, community_id, leader_id)  # it changed: read it again
    return None, "busy"


def _still_waiting(run: _Sweep, community_id: str, entries: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The queued posts that still wait for an answer. Entries queued by this very sweep were just
    read from the index; older ones (quiet hours, a failed sweep) are checked again."""
    from cerchia.store import nudges as nudge_store

    posts = latest_entries(entries)
    now_text = _iso(run.now)
    older = [entry["post_id"] for entry in posts if entry.get("queued_at", "") < now_text]
    if not older:
        return posts
    states = nudge_store.post_states(run.store, community_id, older)
    return [entry for entry in posts if entry["post_id"] not in older or _waiting(states.get(entry["post_id"]))]


def _waiting(state: dict[str, Any] | None) -> bool:
    return bool(
        state
        and state.get("unanswered_pk")
        and not state.get("deleted")
        and state.get("nudge_stage") not in (CLAIMED, DISMISSED)
    )


# ---------------------------------------------------------------------- emails


@dataclass(frozen=True)
class NudgeLine:
    title: str
    url: str
    author: str
    waited: str
    reminder: bool
    claim_url: str
    dismiss_url: str


@dataclass(frozen=True)
class NewcomerLine:
    name: str
    joined: str


def nudge_link(community_id: str, post_id: str, leader_id: str, action: LinkAction, now: datetime) -> str:
    from cerchia.mail.compose import signed_link

    return signed_link(
        "nudge", "/n/", {"c": community_id, "p": post_id, "l": leader_id, "a": action}, now + LINK_LIFETIME
    )


def compose_nudge(run: _Sweep, community: Community, leader: Member, batch: dict[str, Any]) -> Outgoing:
    from cerchia import formatting
    from cerchia.i18n import catalogue, translator
    from cerchia.mail.compose import Recipient, compose

    now = run.now
    locale = rules.resolve_locale(leader.locale, community.locale)
    t = translator(locale)
    posts = batch.get("posts") or []
    listed = posts[:MAX_LISTED]
    # names come with the posts; only entries queued before posts carried them read the member
    unnamed = [entry.get("author_id", "") for entry in listed if not entry.get("author_name")]
    names = run.author_names(community.community_id, unnamed) if unnamed else {}
    lines = [
        NudgeLine(
            title=entry.get("title") or entry.get("url") or "",
            url=entry.get("url", ""),
            author=entry.get("author_name") or names.get(entry.get("author_id", "")) or t("nudges.someone"),
            waited=how_long(_instant(entry.get("created_at")) or now, now, locale),
            reminder=entry["stage"] == REMINDER,
            claim_url=nudge_link(community.community_id, entry["post_id"], leader.member_id, "claim", now),
            dismiss_url=nudge_link(community.community_id, entry["post_id"], leader.member_id, "dismiss", now),
        )
        for entry in listed
    ]
    newcomers = [
        NewcomerLine(
            name=entry.get("name") or t("nudges.someone"),
            joined=how_long(_instant(entry.get("joined_at")) or now, now, locale),
        )
        for entry in batch.get("newcomers") or []
    ]
    reminder = any(entry["stage"] == REMINDER for entry in posts)
    extra: dict[str, Any] = {}
    if len(posts) == 1:
        subject_key = "nudges.subject_post_reminder" if reminder else "nudges.subject_post"
        preheader = t("nudges.preheader_posts")
    elif posts:
        subject_key = "nudges.subject_posts_reminder" if reminder else "nudges.subject_posts"
        subject_key += "." + formatting.plural_form(len(posts) - 1, locale)
        if subject_key not in catalogue(locale):
            subject_key = subject_key.rsplit(".", 1)[0] + ".other"
        preheader = t("nudges.preheader_posts")
    else:
        subject_key, preheader = "nudges.subject_newcomers", t("nudges.preheader_newcomers")
        # the default footer speaks of a conversation waiting; this one is about newcomers
        extra["footer_why"] = t("footer.why_nudge_newcomers", community=community.name)
    return compose(
        "nudge",
        "nudge",
        community,
        Recipient(
            email=leader.email,
            name=leader.name,
            locale=leader.locale,
            member_id=leader.member_id,
            is_leader=True,
            given_name=leader.first_name,
        ),
        now,
        subject_key,
        {"title": lines[0].title if lines else "", "count": len(posts) - 1},
        leader=leader,
        posts=lines,
        total=len(posts),
        more=len(posts) - len(listed),
        newcomers=newcomers,
        newcomers_url=_introductions(run.store, community, [line.url for line in lines]) if newcomers else "",
        preheader=preheader,
        **extra,
    )


# ---------------------------------------------------------------------- quiet newcomers


def schedule_newcomer_check(community: Community, member: Member) -> None:
    """When a member is welcomed: look again `newcomer_after_days` after they joined (a due job)."""
    from cerchia.store import get_store, keys

    if member.membership_started_at is None:
        return
    get_store().schedule_job(
        "newcomer",
        f"{community.community_id}#{member.member_id}",
        community.community_id,
        member.membership_started_at + timedelta(days=community.newcomer_after_days),
        {"member_id": member.member_id, "membership_started_at": keys.iso(member.membership_started_at)},
    )


def run_newcomer_check(job: Job, now: datetime) -> datetime | None:
    """The `newcomer` job: a member still quiet since joining gets one friendly email, and their
    leaders see them in their next nudge. Once per member, however often the job runs."""
    from cerchia.mail.sending import deliver_once
    from cerchia.store import get_store
    from cerchia.store import nudges as nudge_store

    store = get_store()
    community = store.get_community(job.community_id)
    member = store.get_member(job.community_id, str(job.payload.get("member_id", ""))) if community else None
    if community is None or member is None or member.status != "active" or member.role != "member":
        return None
    since = member.membership_started_at or _instant(job.payload.get("membership_started_at")) or now
    if nudge_store.was_active(store, community, member.member_id, since, now):
        return None
    if rules.wants(member, "newcomer"):
        questions = nudge_store.open_questions(store, community.community_id, member.member_id, OPEN_QUESTIONS)
        deliver_once(
            store,
            kind="newcomer",
            community_id=community.community_id,
            recipient_id=member.member_id,
            period="once",
            compose=lambda: compose_newcomer(community, member, questions, now),
            now=now,
        )
    recipients = {
        leader.member_id: not_before(leader, community, now)
        for leader in store.leaders(community)
        if rules.wants(leader, "nudge")
    }
    nudge_store.notice_newcomer(store, community.community_id, member, recipients, now)
    return None


def _introductions(store: Store, community: Community, known_urls: list[str]) -> str:
    """Where to say hello: the community's intro_url or url, else the site its recent posts live on."""
    found = rules.introductions(community, known_urls)
    if found or not community.community_id:
        return found
    return rules.introductions(community, [post.url for post in store.recent_posts(community.community_id)])


def compose_newcomer(community: Community, member: Member, questions: list[dict[str, Any]], now: datetime) -> Outgoing:
    from cerchia.i18n import translator
    from cerchia.mail.compose import Recipient, compose
    from cerchia.store import get_store

    t = translator(rules.resolve_locale(member.locale, community.locale))
    return compose(
        "newcomer",
        "newcomer",
        community,
        Recipient(
            email=member.email,
            name=member.name,
            locale=member.locale,
            member_id=member.member_id,
            given_name=member.first_name,
        ),
        now,
        "nudges.newcomer_subject",
        member=member,
        questions=questions,
        intro_url=_introductions(get_store(), community, [str(question.get("url") or "") for question in questions]),
        preheader=t("nudges.newcomer_preheader"),
        footer_why=t("nudges.newcomer_footer_why", community=community.name),
    )


# ---------------------------------------------------------------------- the links in a nudge


def nudge_link_page(token: str, confirm: bool, now: datetime, fallback_locale: str = "en") -> Page:
    """GET (confirm=False) shows what the link would do, with a form; POST (confirm=True) does it."""
    from cerchia import aws, links
    from cerchia.errors import InvalidLink
    from cerchia.store import get_store
    from cerchia.store import nudges as nudge_store

    try:
        claims = links.verify(aws.link_secret(), "nudge", token, now)
    except InvalidLink:
        return _page_message(fallback_locale, 403, "nudges.page_invalid_title", "nudges.page_invalid_body")
    action = claims.get("a")
    if action not in SETTLED_BY:
        return _page_message(fallback_locale, 403, "nudges.page_invalid_title", "nudges.page_invalid_body")
    store = get_store()
    community_id, post_id, leader_id = str(claims["c"]), str(claims["p"]), str(claims["l"])
    community = store.get_community(community_id)
    leader = store.get_member(community_id, leader_id) if community else None
    post = nudge_store.get_post(store, community_id, post_id) if leader else None
    if community is None or leader is None or post is None:
        return _page_message(fallback_locale, 404, "nudges.page_invalid_title", "nudges.page_not_found_body")
    locale = rules.resolve_locale(leader.locale, community.locale)
    if leader.status != "active" or leader.role != "leader":
        # A link outlives its leader's role: someone who left or stepped down can no longer act.
        return _page_message(locale, 403, "nudges.page_not_leader_title", "nudges.page_not_leader_body", community.name)
    open_to = _waiting(post) or (action == "dismiss" and _claimed_but_unanswered(post))
    if open_to and not confirm:
        return _page_confirm(community, post, str(action), locale)
    if open_to and nudge_store.settle_post(store, community_id, post_id, SETTLED_BY[str(action)], leader_id, now):
        post = {**post, "nudge_stage": SETTLED_BY[str(action)], "settled_by": leader_id}
    else:
        post = nudge_store.get_post(store, community_id, post_id) or post
    return _page_outcome(store, community, leader, post, locale)


def _claimed_but_unanswered(post: dict[str, Any]) -> bool:
    return bool(post.get("unanswered_pk") and not post.get("deleted") and post.get("nudge_stage") == CLAIMED)


def _page_confirm(community: Community, post: dict[str, Any], action: str, locale: str) -> Page:
    from cerchia.i18n import translator
    from cerchia.rendering import render
    from cerchia.web.pages import Page

    t = translator(locale)
    title = post.get("title") or ""
    return Page(
        200,
        render(
            "pages/nudges_confirm.html",
            locale,
            title=t(f"nudges.page_{action}_question"),
            explain=t(f"nudges.page_{action}_explain"),
            button=t(f"nudges.{action}"),
            post_title=title,
            post_url=post.get("url", ""),
            community_name=community.name,
        ),
    )


def _page_outcome(store: Store, community: Community, leader: Member, post: dict[str, Any], locale: str) -> Page:
    title = post.get("title") or ""
    stage = post.get("nudge_stage")
    if post.get("deleted"):
        key = "deleted"
    elif not post.get("unanswered_pk"):
        key = "answered"
    elif stage == CLAIMED and post.get("settled_by") not in (None, leader.member_id):
        other = store.get_member(community.community_id, str(post["settled_by"]))
        return _page_message(
            locale,
            200,
            "nudges.page_claimed_by_other_title",
            "nudges.page_claimed_by_other_body",
            community.name,
            post_url=post.get("url", ""),
            title=title,
            name=(other.name if other and other.name else "?"),
        )
    elif stage in (CLAIMED, DISMISSED):
        key = stage
    else:
        key = "answered"
    return _page_message(
        locale,
        200,
        f"nudges.page_{key}_title",
        f"nudges.page_{key}_body",
        community.name,
        post_url=post.get("url", "") if key != "deleted" else "",
        title=title,
    )


def _page_message(
    locale: str,
    status: int,
    title_key: str,
    body_key: str,
    community_name: str = "",
    post_url: str = "",
    **values: str,
) -> Page:
    from cerchia.i18n import translator
    from cerchia.rendering import render
    from cerchia.web.pages import Page

    t = translator(locale)
    return Page(
        status,
        render(
            "pages/nudges_done.html",
            locale,
            title=t(title_key, **values),
            body=t(body_key, **values),
            post_url=post_url,
            community_name=community_name,
        ),
    )

"""Every key format of the single table. See docs/data-model.md for the access-pattern table."""

from __future__ import annotations

from datetime import UTC, datetime

from cerchia.domain import models

COMMUNITIES = "COMMUNITIES"
UNANSWERED = "UNANSWERED"
# member id of the leader named when the community was created (`cerchia community create`)
FOUNDER = models.FOUNDER


def iso(instant: datetime) -> str:
    """Sortable UTC text of an instant: always `YYYY-MM-DDTHH:MM:SS.ffffffZ`, so string order is time order.

    `strftime("%Y")` does not zero-pad years below 1000 on every platform, and an instant with an
    offset would be written as its local time: both would sort wrongly, so the text is built here.
    A naive instant is taken as UTC.
    """
    utc = instant.astimezone(UTC) if instant.tzinfo is not None else instant
    return (
        f"{utc.year:04d}-{utc.month:02d}-{utc.day:02d}T{utc.hour:02d}:{utc.minute:02d}:{utc.second:02d}"
        f".{utc.microsecond:06d}Z"
    )


def instant_of(sort_key: str) -> datetime | None:
    """The instant a due, unanswered or nudge-queue sort key starts with; None for a parked post (never due)."""
    head = sort_key.split("#", 1)[0]
    if head == UNANSWERED_PARKED:
        return None
    return datetime.strptime(head, "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=UTC)


def community(community_id: str) -> dict[str, str]:
    return {"pk": f"C#{community_id}", "sk": "META"}


def community_registry(community_id: str) -> dict[str, str]:
    return {"pk": COMMUNITIES, "sk": f"C#{community_id}"}


def member(community_id: str, member_id: str) -> dict[str, str]:
    return {"pk": f"C#{community_id}", "sk": f"M#{member_id}"}


def post(community_id: str, post_id: str) -> dict[str, str]:
    return {"pk": f"C#{community_id}", "sk": f"P#{post_id}"}


def reply(community_id: str, reply_id: str) -> dict[str, str]:
    return {"pk": f"C#{community_id}", "sk": f"R#{reply_id}"}


def reaction(community_id: str, post_id: str, member_id: str, kind: str) -> dict[str, str]:
    return {"pk": f"C#{community_id}", "sk": f"X#{post_id}#{member_id}#{kind}"}


def week(community_id: str, week_key: str) -> dict[str, str]:
    return {"pk": f"C#{community_id}", "sk": f"W#{week_key}"}


def member_week(community_id: str, week_key: str, member_id: str) -> dict[str, str]:
    return {"pk": f"C#{community_id}", "sk": f"W#{week_key}#M#{member_id}"}


def webhook(community_id: str, webhook_id: str) -> dict[str, str]:
    return {"pk": f"C#{community_id}", "sk": f"WH#{webhook_id}"}


def ledger(kind: str, community_id: str, recipient: str, period: str) -> dict[str, str]:
    return {"pk": f"MAIL#{community_id}#{recipient}", "sk": f"{kind}#{period}"}


def timeline_posts(community_id: str) -> str:
    return f"C#{community_id}#POSTS"


def timeline_at(created_at: datetime, post_id: str) -> str:
    return f"{iso(created_at)}#{post_id}"


def unanswered_at(created_at: datetime, community_id: str, post_id: str) -> str:
    return f"{iso(created_at)}#{community_id}#{post_id}"


DUE = "DUE"
# Jobs that failed too often wait here (the due index, under another partition) for `cerchia jobs retry`.
PARKED_JOBS = "PARKED"


def job(kind: str, ref: str) -> dict[str, str]:
    return {"pk": f"JOB#{kind}#{ref}", "sk": "JOB"}


def due_at(instant: datetime, kind: str, ref: str) -> str:
    return f"{iso(instant)}#{kind}#{ref}"


def due_until(instant: datetime) -> str:
    """Upper bound of the due index's sort key for everything due at or before an instant."""
    return f"{iso(instant)}#~"


def members_prefix() -> str:
    return "M#"


# ---------------------------------------------------------------- preferences and SES feedback (issue 6)
def suppression(address_hash: str) -> dict[str, str]:
    """An address Cerchia no longer emails in any community (hard bounce, complaint, repeated soft bounces)."""
    return {"pk": f"SUPPRESS#{address_hash}", "sk": "SUPPRESS"}


def ses_feedback(feedback_id: str, address_hash: str) -> dict[str, str]:
    """One SES bounce or complaint for one recipient, once counted (a redelivered notification counts nothing)."""
    return {"pk": f"SESFEEDBACK#{feedback_id}", "sk": f"A#{address_hash}"}


# ---------------------------------------------------------------- nudges (issue 3)
# The `unanswered` index's range key is the instant a post is next due for a nudge: created_at plus
# the community's threshold, then twice the threshold (the reminder). After the reminder, or once a
# leader said "I'll answer it" / "No reply needed", the key moves here: still unanswered, never due.
UNANSWERED_PARKED = "9999-12-31T23:59:59.999999Z"
# Leaders' nudge queues live in the `due` index under their own hash key, so run_due_jobs (which
# reads `DUE`) never sees them and the nudge sweep reads only queues whose instant has come.
NUDGES_DUE = "NUDGES"


def unanswered_until(instant: datetime) -> str:
    """Upper bound of the unanswered index's range key for every post due at or before an instant."""
    return f"{iso(instant)}#~"


def unanswered_parked(community_id: str, post_id: str) -> str:
    return f"{UNANSWERED_PARKED}#{community_id}#{post_id}"


def nudge_queue(community_id: str, leader_id: str) -> dict[str, str]:
    """What one leader is still to be told about (posts due, quiet newcomers), and the email being sent."""
    return {"pk": f"C#{community_id}", "sk": f"NUDGEQ#{leader_id}"}


def nudge_queue_due_at(instant: datetime, community_id: str, leader_id: str) -> str:
    return f"{iso(instant)}#{community_id}#{leader_id}"


def nudge_queues_until(instant: datetime) -> str:
    return f"{iso(instant)}#~"


def newcomer_noticed(community_id: str, member_id: str) -> dict[str, str]:
    """Written once, when a quiet newcomer was put in front of the leaders (never twice per member)."""
    return {"pk": f"C#{community_id}", "sk": f"NEWCOMER#{member_id}"}


# ---------------------------------------------------------------- polls (issue 4)
def poll(community_id: str, poll_id: str) -> dict[str, str]:
    """A poll, with its tallies, in its community's collection."""
    return {"pk": f"C#{community_id}", "sk": f"POLL#{poll_id}"}


def poll_timeline(community_id: str) -> str:
    """The community's polls in the timeline index, sorted by when they close."""
    return f"C#{community_id}#POLLS"


def poll_timeline_at(close_at: datetime, poll_id: str) -> str:
    return f"{iso(close_at)}#{poll_id}"


def poll_voters(community_id: str, poll_id: str) -> str:
    """Partition of a poll's ballots (named polls) or has-voted markers (anonymous polls)."""
    return f"POLL#{community_id}#{poll_id}"


def ballot(community_id: str, poll_id: str, member_id: str) -> dict[str, str]:
    return {"pk": poll_voters(community_id, poll_id), "sk": f"B#{member_id}"}


def voted_marker(community_id: str, poll_id: str, member_id: str) -> dict[str, str]:
    """That a member answered an anonymous poll, and nothing about what they chose."""
    return {"pk": poll_voters(community_id, poll_id), "sk": f"V#{member_id}"}


def voter_id(sort_key: str) -> str:
    """The member id in a ballot's or marker's sort key."""
    return sort_key.split("#", 1)[1]


# ---------------------------------------------------------------- digests (issue 5, bounded in issue 9)
# A community week's write-time aggregates are several small items under `W#<week>#`, none of which
# grows with the week's volume: counter shards (`C#<n>`: posts, replies, reactions, joins, leaves,
# answered, the first-reply histogram), one member-week item per member who did something that week
# (`M#<member>`). Per-post numbers live on the post items (`points`, `first_reply_seconds`) and are
# found through indexes: `top` (the week's posts by points) and the `due` index's `C#<c>#WAITING`
# partition (posts nobody has answered, by creation instant). Legacy `t#/s#/f#` attributes on `W#<week>`
# items written before issue 9 are no longer read.
# Members who wrote a post that week (a string set next to `active_members`), legacy.
WEEK_POSTERS = "posters"
# The week's lost reach, as string sets (a retried write adds nothing): members who unsubscribed, and
# hashes (store.suppression.address_hash) of addresses that bounced or were suppressed that week.
WEEK_UNSUBSCRIBED = "unsubscribed_members"
WEEK_BOUNCED = "bounced_addresses"
WEEK_SUPPRESSED = "suppressed_addresses"
# Counter shards per community week: concurrent events of one community rarely touch the same item.
WEEK_SHARDS = 10
# On a counter shard, `fr<upper bound in seconds>` counts first answers by time bucket: whole minutes up
# to a day, whole hours up to 30 days, then one open-ended bucket (domain.digests.OVERFLOW_BUCKET).
FIRST_REPLY_BUCKET = "fr"
# On a first-reply bucket item, `s<seconds>` counts first answers of exactly that many seconds.
FIRST_REPLY_SECONDS = "s"


def week_aggregates_prefix(week_key: str) -> str:
    """Sort-key prefix of every aggregate item of one community week (counter shards, member weeks)."""
    return f"W#{week_key}#"


def week_lost_reach(community_id: str, week_key: str) -> dict[str, str]:
    """The week's lost reach (unsubscribed members, bounced and suppressed address hashes), as string sets."""
    return {"pk": f"C#{community_id}", "sk": f"W#{week_key}#L"}


def week_shard(community_id: str, week_key: str, shard: int) -> dict[str, str]:
    return {"pk": f"C#{community_id}", "sk": f"W#{week_key}#C#{shard}"}


def first_reply_bucket(community_id: str, week_key: str, upper_bound: int) -> dict[str, str]:
    """Exact first-answer times of one histogram bucket of a week (at most 3,600 distinct values)."""
    return {"pk": f"C#{community_id}", "sk": f"WFR#{week_key}#{upper_bound:010d}"}


def top_posts(community_id: str, week_key: str) -> str:
    """Hash key of the `top` index: the posts written in one community week, ranked by `points`."""
    return f"C#{community_id}#W#{week_key}"


def waiting_posts(community_id: str) -> str:
    """The community's posts nobody but their author has answered, in the `due` index by creation instant."""
    return f"C#{community_id}#WAITING"


def digest_snapshot(community_id: str, week_key: str) -> dict[str, str]:
    """The week's digest content, computed once per community week and read by every sender."""
    return {"pk": f"C#{community_id}", "sk": f"D#{week_key}"}


def digest_send_ref(community_id: str, week_key: str, send_at: datetime) -> str:
    """The job that emails one group of members (those whose local digest hour is this instant)."""
    return f"{community_id}#{week_key}#{iso(send_at)}"


# ---------------------------------------------------------------- the leaders' console (issue 13)
def console_link(link_id: str) -> dict[str, str]:
    """A single-use sign-in link: written when the link is emailed, marked used when it is opened."""
    return {"pk": f"CONSOLELINK#{link_id}", "sk": "LINK"}


def console_session(session_id: str) -> dict[str, str]:
    """A leader's console session (community, leader, CSRF token); deleted at sign-out."""
    return {"pk": f"CONSOLESESSION#{session_id}", "sk": "SESSION"}


def sign_in_count(address_hash: str, hour: datetime) -> dict[str, str]:
    """How many sign-in emails went to an address during one UTC clock hour."""
    return {"pk": f"SIGNIN#{address_hash}", "sk": f"H#{hour.strftime('%Y-%m-%dT%H')}"}


# ---------------------------------------------------------------- member lifecycle (issue 12)
# Prefixes of a community's collection (pk `C#<community>`) that a member's erase or access reads.
WEEKS_PREFIX = "W#"
POLLS_PREFIX = "POLL#"
POSTS_PREFIX = "P#"
REPLIES_PREFIX = "R#"
REACTIONS_PREFIX = "X#"
# Items that copy a member's name: the week's digest snapshots and the leaders' nudge queues.
DIGEST_SNAPSHOTS_PREFIX = "D#"
NUDGE_QUEUES_PREFIX = "NUDGEQ#"


def community_pk(community_id: str) -> str:
    return community(community_id)["pk"]


def ledger_pk(community_id: str, recipient: str) -> str:
    """Every email ledger item of one recipient in one community."""
    return ledger("", community_id, recipient, "")["pk"]


def member_week_suffix(member_id: str) -> str:
    """How a member week's sort key ends (`W#<week>#M#<member>`)."""
    return f"#M#{member_id}"


def poll_id_of(sort_key: str) -> str:
    """The poll id in a poll item's sort key (`POLL#<poll>`)."""
    return sort_key.removeprefix(POLLS_PREFIX)

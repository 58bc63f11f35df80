"""Every key format of the single table. See docs/data-model.md for the access-pattern table."""

from __future__ import annotations

from datetime import datetime

COMMUNITIES = "COMMUNITIES"
UNANSWERED = "UNANSWERED"
# member id of the leader named when the community was created (`cerchia community create`)
FOUNDER = "founder"


def iso(instant: datetime) -> str:
    """Sortable UTC text of an instant (fixed width, so string order is time order)."""
    return instant.strftime("%Y-%m-%dT%H:%M:%S.%fZ")


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


def job(kind: str, ref: str) -> dict[str, str]:
    return {"pk": f"JOB#{kind}#{ref}", "sk": "JOB"}


def due_at(instant: datetime, kind: str, ref: str) -> str:
    return f"{iso(instant)}#{kind}#{ref}"


def due_until(instant: datetime) -> str:
    """Upper bound of the due index's sort key for everything due at or before an instant."""
    return f"{iso(instant)}#~"


def members_prefix() -> str:
    return "M#"

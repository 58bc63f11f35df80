"""The week ends: a few last reactions, then on Monday at 09:00 local time every member gets one digest of
the week (in their language, naming its best posts and the questions still waiting) and each leader a
health report with the change from last week and eight weeks of bars.

Starts wherever the earlier chapters left the clock (during the demo week) and ends on the Monday after
it at 09:05 in London, when both communities' digests have gone out.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from cerchia_infra.demo import seed

LONDON = ZoneInfo("Europe/London")


def _next_monday_morning(now: datetime) -> datetime:
    """Monday 09:05 in London after `now`'s week: Rome's 09:00 has passed by then, Lisbon's is the same."""
    local = now.astimezone(LONDON)
    monday = (local - timedelta(days=local.weekday())).date() + timedelta(days=7)
    return datetime(monday.year, monday.month, monday.day, 9, 5, tzinfo=LONDON)


def _instant(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def play(demo: Any) -> None:
    for key in demo.communities:
        first_post = seed.POSTS[key][0]
        fans = [member for member in demo.members[key] if member["member_id"] != first_post["author_id"]][:2]
        for fan in fans:
            demo.event(key, "reaction.added", {"post_id": first_post["post_id"], "member_id": fan["member_id"]})
    demo.note("End of the week: a few last reactions to the posts people liked most")

    def digest_mail() -> list[dict[str, Any]]:
        return [mail for mail in demo.outbox() if mail["kind"] in ("digest", "leader-digest")]

    already = {mail.get("file") for mail in digest_mail()}
    demo.set_clock(_next_monday_morning(demo.now()))
    sent = [mail for mail in digest_mail() if mail.get("file") not in already]
    for key, community in demo.communities.items():
        mine = [mail for mail in sent if community["name"] in mail["subject"]]
        digests = [mail for mail in mine if mail["kind"] == "digest"]
        reports = [mail for mail in mine if mail["kind"] == "leader-digest"]
        local = ZoneInfo(seed.COMMUNITIES[key]["timezone"])
        hours = sorted({_instant(mail["sent_at"]).astimezone(local).strftime("%H:%M") for mail in digests})
        demo.note(
            f"Monday: {community['name']}: {len(digests)} member digest(s) at {', '.join(hours) or '-'} local time "
            f"and {len(reports)} leader report(s)"
        )
    if sent:
        example = sent[0]
        demo.note(f"e.g. “{example['subject']}” to {example['to']}")

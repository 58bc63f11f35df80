"""Issue 5's promise against `cerchia serve`: after a week of posts and replies, Monday 09:xx in Rome brings
each member exactly one digest naming the week's posts and the leader one report, nothing more that day,
and a community with no activity sends nothing.

The stack's virtual clock starts at the wall clock, so the test plays the rest of the current week
(posts happen "now") and then moves on to the Monday after it: up to a week of virtual time.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

ROME = ZoneInfo("Europe/Rome")
MEMBERS = [
    ("u_giulia", "giulia.rossi@example.com", "Giulia Rossi", "it"),
    ("u_luca", "luca.ferri@example.com", "Luca Ferri", "it"),
    ("u_sara", "sara.conti@example.com", "Sara Conti", "en"),
]


def _event(kind: str, at: datetime, **data: Any) -> dict[str, Any]:
    return {"type": kind, "timestamp": at.isoformat(), "data": data}


def _monday_after_the_week_of(instant: datetime) -> datetime:
    local = instant.astimezone(ROME)
    monday = (local - timedelta(days=local.weekday())).date() + timedelta(days=7)
    return datetime(monday.year, monday.month, monday.day, tzinfo=ROME)


def _digests(stack, kind: str) -> list[dict[str, Any]]:
    return [mail for mail in stack.outbox() if mail["kind"] == kind]


def test_monday_brings_one_digest_per_member_at_nine_in_rome_and_quiet_communities_send_nothing(stack):
    busy = stack.create_community(
        name="Lievito & Co.",
        timezone="Europe/Rome",
        locale="it",
        leader_email="marco.bianchi@example.com",
        leader_name="Marco Bianchi",
    )
    quiet = stack.create_community(
        name="Quiet Corner", timezone="Europe/Rome", locale="en", leader_email="quiet.leader@example.com"
    )
    now = stack.now()
    for member_id, email, name, locale in MEMBERS:
        joined = _event("member.joined", now, member_id=member_id, email=email, name=name, locale=locale)
        assert stack.send(busy, joined).status_code == 202
    # the quiet community's members joined a week earlier: nothing at all happens in it this week
    long_ago = now - timedelta(days=8)
    joined = _event("member.joined", long_ago, member_id="q_1", email="quiet.member@example.com", name="Quinn")
    assert stack.send(quiet, joined).status_code == 202
    posts = [
        ("p_1", "u_giulia", "Come conservate il lievito madre d'estate?", "u_luca"),
        ("p_2", "u_luca", "Pane di farro: la mia ricetta", "u_sara"),
    ]
    for post_id, author, title, replier in posts:
        created = _event(
            "post.created",
            now,
            post_id=post_id,
            author_id=author,
            title=title,
            url=f"https://forum.example.com/t/{post_id}",
            created_at=now.isoformat(),
        )
        reply = _event("reply.created", now, reply_id=f"r_{post_id}", post_id=post_id, author_id=replier)
        assert stack.send(busy, created).status_code == 202
        assert stack.send(busy, reply).status_code == 202
    monday = _monday_after_the_week_of(now)

    stack.set_clock(monday + timedelta(hours=8, minutes=59))
    before_nine = _digests(stack, "digest") + _digests(stack, "leader-digest")
    stack.set_clock(monday + timedelta(hours=10))
    digests, reports = _digests(stack, "digest"), _digests(stack, "leader-digest")
    stack.set_clock(monday + timedelta(hours=23, minutes=59))
    by_the_end_of_monday = _digests(stack, "digest") + _digests(stack, "leader-digest")

    assert before_nine == []
    assert sorted(mail["to"] for mail in digests) == sorted(email for _, email, _, _ in MEMBERS)
    for mail in digests:
        sent = datetime.fromisoformat(mail["sent_at"].replace("Z", "+00:00")).astimezone(ROME)
        assert (sent.date(), sent.hour) == (monday.date(), 9), mail["sent_at"]
        assert mail["headers"]["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    giulia = next(mail for mail in digests if mail["to"] == "giulia.rossi@example.com")
    sara = next(mail for mail in digests if mail["to"] == "sara.conti@example.com")
    assert "«Pane di farro…»" in giulia["subject"] and "https://forum.example.com/t/p_2" in giulia["html"]
    assert "Come conservate il lievito madre d'estate?" in sara["text"] and "Pane di farro" in sara["text"]
    assert [mail["to"] for mail in reports] == ["marco.bianchi@example.com"]
    assert "Lievito & Co." in reports[0]["subject"]
    assert len(by_the_end_of_monday) == len(digests) + len(reports)  # nothing more later that day
    quiet_addresses = {"quiet.member@example.com", "quiet.leader@example.com"}
    assert not [mail for mail in by_the_end_of_monday if mail["to"] in quiet_addresses]

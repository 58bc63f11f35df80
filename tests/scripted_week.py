"""One scripted week in Lievito & Co. through the real handlers under moto, producing every kind of member email.

Monday 23 November 2026 (week 2026-W48 in Rome): five members join, Marco (the founder, also known to
the platform) leads. A poll goes out, four posts are written and answered (or not), a nudge, a
newcomer email, a reminder, a bounce, an unsubscribe, the poll's results; then Monday's digests.

Every input is kept in `Week` exactly as it was sent (the platform events, the votes, the one-click,
the SES notification), so a test can recompute the week's figures from them on its own.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from raw_mail import header_lines

from digests_support import body, start_sweeper
from nudges_support import Sweeper as NudgeSweeper
from polls_support import PollsWorld, iso, poll_request
from preferences_support import FORM, feedback_handler, page_requester, ses_event

ROME_WEEK_START = datetime(2026, 11, 22, 23, 0, tzinfo=UTC)  # Monday 23 November 00:00 in Rome
ROME_WEEK_END = datetime(2026, 11, 29, 23, 0, tzinfo=UTC)  # Monday 30 November 00:00 in Rome
DIGEST_MORNING = datetime(2026, 11, 30, 8, 30, tzinfo=UTC)  # 09:30 in Rome
LEADER_EMAIL = "marco.bianchi@example.com"  # the founder named at `community create` (conftest)
MEMBERS = [
    ("u_giulia", "giulia.rossi@example.com", "Giulia Rossi"),
    ("u_luca", "luca.ferri@example.com", "Luca Ferri"),
    ("u_sara", "sara.conti@example.com", "Sara Conti"),
    ("u_paolo", "paolo.greco@example.com", "Paolo Greco"),
    ("u_anna", "anna.moretti@example.com", "Anna Moretti"),
]
T = datetime(2026, 11, 24, tzinfo=UTC)  # Tuesday


@dataclass
class Week:
    community_id: str
    events: list[dict[str, Any]] = field(default_factory=list)  # platform events as sent
    votes: list[tuple[str, datetime]] = field(default_factory=list)  # (member_id, when)
    unsubscribes: list[tuple[str, datetime]] = field(default_factory=list)
    bounces: list[tuple[str, str, datetime]] = field(default_factory=list)  # (address, bounceType, when)
    poll_close: datetime | None = None


def raw_sent() -> list[bytes]:
    """Every message the emulated SES accepted, as the bytes it received."""
    from moto.ses.models import ses_backends

    return [
        message.raw_data if isinstance(message.raw_data, bytes) else message.raw_data.encode()
        for message in ses_backends["123456789012"]["eu-west-1"].sent_messages
    ]


def kind_of(raw: bytes) -> str:
    for line in header_lines(raw):
        if line.lower().startswith(b"x-cerchia-kind:"):
            return line.partition(b":")[2].strip().decode()
    return ""


def to_of(raw: bytes) -> str:
    for line in header_lines(raw):
        if line.lower().startswith(b"to:"):
            return line.rpartition(b"<")[2].rstrip(b">").decode()
    return ""


def _headers_as_ses_reports_them(raw: bytes) -> list[dict[str, str]]:
    """The `mail.headers` of an SES event: each header of the sent message, unfolded."""
    found: list[dict[str, str]] = []
    for line in header_lines(raw):
        if line[:1] in (b" ", b"\t") and found:
            found[-1]["value"] += line.decode()
        else:
            name, _, value = line.decode().partition(":")
            found.append({"name": name, "value": value.strip()})
    return found


def play(community: Any, ingest: Any, welcome: Any, clock: Any, monkeypatch: Any) -> Week:
    monkeypatch.setenv("POWERTOOLS_METRICS_NAMESPACE", "Cerchia")  # the SES feedback function's metrics
    sweeper = start_sweeper(clock, monkeypatch)
    polls = PollsWorld(community, clock, ingest, sweeper.queue_url)
    nudge_sweep = NudgeSweeper()
    week = Week(community.community_id)

    def send(fixture: str, at: datetime, **data: Any) -> None:
        sweeper.until(at)
        event = body(fixture, at, **data)
        answer = ingest(community, event)
        assert answer["statusCode"] == 202, answer
        week.events.append(event)

    # Monday: five members join; Marco, the founder, is also on the platform (since January) as a leader
    monday = datetime(2026, 11, 23, 8, 10, tzinfo=UTC)
    marco = body("member_joined", datetime(2026, 1, 10, 9, 0, tzinfo=UTC))
    marco["data"] = {"member_id": "u_marco", "email": LEADER_EMAIL, "name": "Marco Bianchi", "role": "leader"}
    assert ingest(community, marco)["statusCode"] == 202
    week.events.append(marco)
    for offset, (member_id, address, name) in enumerate(MEMBERS):
        send("member_joined", monday + timedelta(minutes=offset), member_id=member_id, email=address, name=name)
    welcome(community.community_id, "u_marco", *[member_id for member_id, _, _ in MEMBERS])

    # Tuesday 08:00: the leader's poll goes out; it closes on Saturday at 18:00 in Rome
    sweeper.until(T + timedelta(hours=8))
    week.poll_close = datetime(2026, 11, 28, 17, 0, tzinfo=UTC)
    created = polls.create_poll(poll_request(send_at=iso(clock.now()), close_at=iso(week.poll_close)))
    assert created["statusCode"] == 201, created
    sweeper.once()

    send("post_created", T + timedelta(hours=9), post_id="p_1", author_id="u_giulia",
         title="Come conservate il lievito madre d'estate?", url="https://forum.example.com/t/1")  # fmt: skip
    send("post_created", T + timedelta(hours=10), post_id="p_2", author_id="u_luca",
         title="Pane di farro: la mia ricetta", url="https://forum.example.com/t/2")  # fmt: skip
    send("reply_created", T + timedelta(hours=11), reply_id="r_1", post_id="p_1", author_id="u_luca")
    send("reply_created", T + timedelta(hours=12), reply_id="r_2", post_id="p_1", author_id="u_sara")
    send("reaction_added", T + timedelta(hours=13), post_id="p_1", member_id="u_anna")

    # Giulia and Luca answer the poll from its email
    for member_id, hour in (("u_giulia", 14), ("u_luca", 15)):
        sweeper.until(T + timedelta(hours=hour))
        token = _vote_token(member_id)
        assert polls.submit(token, 0)["statusCode"] == 200
        week.votes.append((member_id, clock.now()))

    # Wednesday 10:30: p_2 has waited over 24 hours: the leader is nudged; Giulia answers it at 16:00
    sweeper.until(T + timedelta(days=1, hours=10, minutes=30))
    nudge_sweep()
    send("reply_created", T + timedelta(days=1, hours=16), reply_id="r_3", post_id="p_2", author_id="u_giulia")

    # Thursday: Paolo has been quiet for three days (newcomer email); Sara asks what nobody answers
    send("post_created", T + timedelta(days=2, hours=9), post_id="p_3", author_id="u_sara",
         title="Which oven thermometer do you trust?", url="https://forum.example.com/t/3")  # fmt: skip

    # Friday: Anna's first post, answered by Marco in half an hour; the poll reminder at 18:00 (24 h before close)
    send("post_created", T + timedelta(days=3, hours=12), post_id="p_4", author_id="u_anna",
         title="Farina di tipo 1 o tipo 2?", url="https://forum.example.com/t/4")  # fmt: skip
    send("reply_created", T + timedelta(days=3, hours=12, minutes=30), reply_id="r_4", post_id="p_4",
         author_id="u_marco")  # fmt: skip

    # Friday 20:00: Paolo's address bounces (hard), reported by SES with the headers of the email it bounced
    sweeper.until(T + timedelta(days=3, hours=19))
    [paolo_mail] = [raw for raw in raw_sent() if to_of(raw) == "paolo.greco@example.com" and kind_of(raw) == "newcomer"]
    bounced_at = T + timedelta(days=3, hours=19)
    notification = ses_event(
        "ses_bounce_permanent",
        address="paolo.greco@example.com",
        feedback_id="0102019ab3f1c2d4-paolo-000000",
        timestamp=bounced_at.isoformat().replace("+00:00", "Z"),
    )
    message = json.loads(notification["Records"][0]["Sns"]["Message"])
    message["mail"]["headers"] = _headers_as_ses_reports_them(paolo_mail)
    notification["Records"][0]["Sns"]["Message"] = json.dumps(message)
    feedback_handler()(notification)
    week.bounces.append(("paolo.greco@example.com", "Permanent", bounced_at))

    # Saturday 10:00: Anna unsubscribes with one click, from the List-Unsubscribe link of her welcome
    sweeper.until(T + timedelta(days=4, hours=9))
    [anna_welcome] = [
        raw for raw in raw_sent() if to_of(raw) == "anna.moretti@example.com" and kind_of(raw) == "welcome"
    ]
    link = _list_unsubscribe(anna_welcome)
    answer = page_requester("serve_member_pages", "u")(
        "POST", link.rsplit("/u/", 1)[1], b"List-Unsubscribe=One-Click", FORM
    )
    assert answer["statusCode"] == 200, answer
    week.unsubscribes.append(("u_anna", clock.now()))

    # Saturday 18:00 the poll closes (results); Monday morning: the digests and the leader report
    sweeper.until(DIGEST_MORNING)
    assert sweeper.failures == []
    return week


def _list_unsubscribe(raw: bytes) -> str:
    lines = header_lines(raw)
    for index, line in enumerate(lines):
        if line.lower().startswith(b"list-unsubscribe:"):
            value = line.partition(b":")[2]
            for more in lines[index + 1 :]:
                if more[:1] not in (b" ", b"\t"):
                    break
                value += more
            return value.strip().strip(b"<>").decode()
    raise AssertionError("no List-Unsubscribe")


def _vote_token(member_id: str) -> str:
    """The token of the first option's link in this member's poll email (from its raw HTML part)."""
    import email
    import email.policy
    import re

    from cerchia import aws, links

    for raw in raw_sent():
        if kind_of(raw) != "poll":
            continue
        message = email.message_from_bytes(raw, policy=email.policy.default)
        part = message.get_body(("html",))
        assert part is not None
        html = str(part.get_content())
        tokens = re.findall(r"https://cerchia\.example/v/([A-Za-z0-9._\-]+)", html)
        if (
            tokens
            and links.verify(aws.link_secret(), "vote", tokens[0], datetime(2026, 11, 24, tzinfo=UTC)).get("m")
            == member_id
        ):
            return str(tokens[0])
    raise AssertionError(f"no poll email for {member_id}")

"""The leader report tells the truth: every figure of a scripted week, recomputed from the raw inputs.

The week (tests/scripted_week.py) goes through the real handlers under moto. The oracle below reads
only what was sent — the platform events, the votes, the one-click, the SES bounce — and applies the
definitions of docs/digests.md with the standard library; it calls nothing of Cerchia's. Its figures
are compared with the ones in the text part of the leader report.
"""

from __future__ import annotations

import email
import email.policy
import re
import statistics
from dataclasses import dataclass
from datetime import datetime

import pytest
from scripted_week import LEADER_EMAIL, ROME_WEEK_END, ROME_WEEK_START, Week, kind_of, play, raw_sent

THRESHOLD = 24 * 3600  # the community's unanswered_after_hours (default 24)


def at(event: dict) -> datetime:
    stamp = event["data"].get("created_at") or event["timestamp"]
    return datetime.fromisoformat(stamp.replace("Z", "+00:00"))


def in_week(instant: datetime) -> bool:
    return ROME_WEEK_START <= instant < ROME_WEEK_END


@dataclass
class Figures:
    people: int
    decided: int
    answered_in_time: int
    median_seconds: float | None
    waiting: int
    oldest_waiting_seconds: float | None
    active: int
    newcomers: int
    newcomers_posted: int
    ballots: int
    eligible: int
    unsubscribes: int
    bounces: int
    suppressed: int
    posts: int
    replies: int
    joins: int
    top_titles: list[str]
    waiting_titles: list[str]


def oracle(week: Week, as_of: datetime) -> Figures:
    """The week's figures from its raw inputs, by the definitions of docs/digests.md."""
    events = sorted(week.events, key=at)
    joins = [e for e in events if e["type"] == "member.joined"]
    address_of = {e["data"]["member_id"]: e["data"]["email"].casefold() for e in joins}
    # the founder named at `community create` is the same person as the platform's row with that address
    person = {member_id: address for member_id, address in address_of.items()}
    people = {LEADER_EMAIL} | set(address_of.values())
    left = {person[e["data"]["member_id"]] for e in events if e["type"] == "member.left" and at(e) < ROME_WEEK_END}
    people -= left

    posts = {e["data"]["post_id"]: e for e in events if e["type"] == "post.created" and in_week(at(e))}
    replies = [e for e in events if e["type"] == "reply.created"]
    first_reply: dict[str, float] = {}
    for reply in replies:
        post = posts.get(reply["data"]["post_id"])
        if post and reply["data"]["author_id"] != post["data"]["author_id"]:
            seconds = (at(reply) - at(post)).total_seconds()
            first_reply[post["data"]["post_id"]] = min(seconds, first_reply.get(post["data"]["post_id"], seconds))
    waited = [(as_of - at(post)).total_seconds() for post_id, post in posts.items() if post_id not in first_reply]
    decided = len(first_reply) + sum(seconds >= THRESHOLD for seconds in waited)

    actors = {
        person[e["data"]["author_id"]]
        for e in events
        if e["type"] in ("post.created", "reply.created") and in_week(at(e))
    }
    actors |= {person[member_id] for member_id, when in week.votes if in_week(when)}
    newcomers = {person[e["data"]["member_id"]] for e in joins if in_week(at(e))}
    posters = {person[post["data"]["author_id"]] for post in posts.values()}

    def points(post_id: str) -> int:
        answers = [r for r in replies if r["data"]["post_id"] == post_id]
        reactions = [e for e in events if e["type"] == "reaction.added" and e["data"]["post_id"] == post_id]
        return 2 * len(answers) + 3 * len({r["data"]["author_id"] for r in answers}) + len(reactions)

    def score(post_id: str) -> float:
        position = (at(posts[post_id]) - ROME_WEEK_START) / (ROME_WEEK_END - ROME_WEEK_START)
        return points(post_id) * (1 + 0.5 * position)

    ranked = sorted((p for p in posts if points(p) > 0), key=lambda p: (score(p), at(posts[p])), reverse=True)
    assert week.poll_close is not None and in_week(week.poll_close)
    return Figures(
        people=len(people),
        decided=decided,
        answered_in_time=sum(seconds <= THRESHOLD for seconds in first_reply.values()),
        median_seconds=statistics.median(first_reply.values()) if first_reply else None,
        waiting=len(waited),
        oldest_waiting_seconds=max(waited) if waited else None,
        active=len(actors & people),
        newcomers=len(newcomers),
        newcomers_posted=len(newcomers & posters),
        ballots=len(week.votes),
        eligible=len(people),  # everyone was a member when the poll went out on Tuesday
        unsubscribes=len({member_id for member_id, when in week.unsubscribes if in_week(when)}),
        bounces=len({address for address, _, when in week.bounces if in_week(when)}),
        suppressed=len({address for address, kind, when in week.bounces if kind == "Permanent" and in_week(when)}),
        posts=len(posts),
        replies=sum(in_week(at(r)) for r in replies),
        joins=sum(in_week(at(e)) for e in joins),
        top_titles=[posts[p]["data"]["title"] for p in ranked][:5],
        waiting_titles=[post["data"]["title"] for post_id, post in posts.items() if post_id not in first_reply],
    )


# ------------------------------------------------------------------ reading the report as a leader reads it


def seconds_in(text: str) -> float:
    """'3 giorni 14 h', '2 h 5 min', '30 min' -> seconds."""
    units = {"giorno": 86400, "giorni": 86400, "h": 3600, "min": 60}
    found = re.findall(r"(\d+) (giorni|giorno|h|min)\b", text)
    assert found, text
    return float(sum(int(number) * units[unit] for number, unit in found))


def same_duration(shown: float, exact: float) -> bool:
    """Durations are shown to the minute, and to the hour from one day on."""
    return abs(shown - exact) < (3600 if exact >= 86400 else 60)


def one(pattern: str, text: str) -> tuple[str, ...]:
    matches = re.findall(pattern, text, flags=re.MULTILINE)
    assert len(matches) == 1, (pattern, matches)
    match = matches[0]
    return match if isinstance(match, tuple) else (match,)


def section(text: str, title: str) -> list[str]:
    block = text.split(f"== {title} ==", 1)[1].split("\n== ", 1)[0]
    return [line[2:].rsplit(" (", 1)[0] for line in block.splitlines() if line.startswith("- ")]


@pytest.fixture
def played(community, ingest, welcome, clock, monkeypatch):
    week = play(community, ingest, welcome, clock, monkeypatch)
    [report] = [raw for raw in raw_sent() if kind_of(raw) == "leader-digest"]
    message = email.message_from_bytes(report, policy=email.policy.default)
    part = message.get_body(("plain",))
    assert part is not None
    return week, str(part.get_content()).replace("\r\n", "\n")


def test_every_figure_of_the_leader_report_matches_an_independent_count_of_the_raw_week(played):
    week, text = played
    expected = oracle(week, as_of=ROME_WEEK_END)  # the report is computed when the week is over

    assert one(r"leader compresi: (\d+) persone a fine settimana", text) == (str(expected.people),)
    percent, in_time, decided = one(r"^Post con risposta entro 24 h: (\d+)% \((\d+) su (\d+)\)$", text)
    assert (int(in_time), int(decided)) == (expected.answered_in_time, expected.decided)
    assert int(percent) == round(100 * expected.answered_in_time / expected.decided)
    (median,) = one(r"^Tempo mediano per la prima risposta: (.+)$", text)
    assert expected.median_seconds is not None and same_duration(seconds_in(median), expected.median_seconds)
    waiting, oldest = one(r"^  (\d+) post ancora senza risposta a fine settimana, (?:il più vecchio )?da (.+)$", text)
    assert int(waiting) == expected.waiting
    assert expected.oldest_waiting_seconds is not None
    assert same_duration(seconds_in(oldest), expected.oldest_waiting_seconds)
    active, people, active_percent = one(
        r"^Membri attivi \(hanno scritto, risposto o votato\): (\d+) su (\d+) \((\d+)%\)$", text
    )
    assert (int(active), int(people)) == (expected.active, expected.people)
    assert int(active_percent) == round(100 * expected.active / expected.people)
    posted, newcomers = one(r"^Persone appena arrivate che hanno scritto il primo post: (\d+) su (\d+)$", text)
    assert (int(posted), int(newcomers)) == (expected.newcomers_posted, expected.newcomers)
    poll_percent, ballots, eligible = one(r"^Partecipazione ai sondaggi: (\d+)% \((\d+) su (\d+)\)$", text)
    assert (int(ballots), int(eligible)) == (expected.ballots, expected.eligible)
    assert int(poll_percent) == round(100 * expected.ballots / expected.eligible)
    assert one(r"disiscrizioni: (\d+) · respinte: (\d+) · bloccati: (\d+)$", text) == tuple(
        str(n) for n in (expected.unsubscribes, expected.bounces, expected.suppressed)
    )
    assert one(r"^(\d+) nuovi post · (\d+) risposte · (\d+) nuovi membri · (\d+) membri attivi$", text) == tuple(
        str(n) for n in (expected.posts, expected.replies, expected.joins, expected.active)
    )
    assert section(text, "I post più coinvolgenti della settimana") == expected.top_titles
    assert section(text, "Domande ancora in attesa") == expected.waiting_titles


def test_the_first_week_says_once_that_trends_start_next_week_and_draws_no_trend(played):
    _, text = played

    assert text.count("il confronto con la settimana prima e l'andamento delle ultime otto settimane arrivano") == 1
    assert "Ultime 8 settimane" not in text and "rispetto alla settimana scorsa" not in text
    assert "niente da confrontare" not in text and "le barre mostrano" not in text
    assert "ecco com'è andata la settimana 23–29 novembre in Lievito & Co." in text

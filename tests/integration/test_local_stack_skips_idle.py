"""The local stack passes over idle time, and the week it plays is the one ticking every instant plays.

The same scripted week (joins, posts and a reply, a poll with a vote, the digest day) runs twice on
the real template: once passing over the instants at which a scheduled run would find nothing (the
default), once firing every schedule at every instant of its cadence. The wall clock stands still
under the virtual one, so every instant is exact and both outboxes must be equal to the second.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from cerchia_infra.client import StackClient
from cerchia_infra.local import LocalStack
from support import event

TODAY = datetime.now(UTC)
# A Monday 07:00 UTC two weeks ahead: where the stack's wall stands still in both runs.
START = (TODAY + timedelta(days=14 - TODAY.weekday())).replace(hour=7, minute=0, second=0, microsecond=0)
HOUR = timedelta(hours=1)
DAY = timedelta(days=1)
LEADER = "marco.bianchi@example.com"
MEMBERS = [
    ("u_1", "Giulia Rossi", "giulia.rossi@example.com", "it"),
    ("u_2", "Sam Lee", "sam.lee@example.com", "en"),
    ("u_3", "Priya Nair", "priya.nair@example.com", "en"),  # never writes: a quiet newcomer
]
VOTE_LINK = re.compile(r'href="(http://127\.0\.0\.1:\d+/v/[A-Za-z0-9._\-]+)"')


def _at(instant: datetime) -> str:
    return instant.isoformat().replace("+00:00", "Z")


def _sent(instant: datetime) -> str:
    """As the outbox writes `sent_at`."""
    return instant.isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _play_week(stack: LocalStack) -> None:
    client = StackClient(stack.url, stack.state_dir)
    community = client.create_community(
        name="Lievito & Co.", timezone="Europe/Rome", locale="en", leader_email=LEADER, leader_name="Marco Bianchi"
    )

    def send(body: dict[str, Any], at: datetime) -> None:
        stack.set_time(at)
        answer = client.send(community, {**body, "timestamp": _at(at)})
        assert answer.status_code == 202, answer.text

    for offset, (member_id, name, address, locale) in enumerate(MEMBERS):
        joined = event("member_joined", member_id=member_id, name=name, email=address, locale=locale)
        send(joined, START + offset * timedelta(minutes=7))
    posted = START + HOUR + timedelta(seconds=17)  # between two instants of both schedules
    send(event("post_created", post_id="p_1", author_id="u_1", created_at=_at(posted)), posted)
    second = START + 2 * HOUR
    send(
        event("post_created", post_id="p_2", author_id="u_2", title="Farina di farro?", created_at=_at(second)), second
    )
    replied = START + 3 * HOUR + timedelta(seconds=41)
    send(event("reply_created", reply_id="r_1", post_id="p_2", author_id="u_1", created_at=_at(replied)), replied)
    send(event("reaction_added", post_id="p_2", member_id="u_2"), START + 4 * HOUR)

    stack.set_time(START + 5 * HOUR)
    poll = client.post(
        f"/v1/communities/{community['community_id']}/polls",
        json={
            "question": "Quale giorno per il laboratorio?",
            "options": ["Sabato", "Domenica"],
            "kind": "single",
            "send_at": _at(START + DAY + 2 * HOUR),
            "close_at": _at(START + 4 * DAY + 2 * HOUR + timedelta(seconds=30)),
            "anonymous": False,
        },
        headers={"Authorization": f"Bearer {community['api_key']}"},
    )
    assert poll.status_code == 201, poll.text

    stack.set_time(START + DAY + 6 * HOUR)
    [invitation] = [m for m in client.outbox() if m["kind"] == "poll" and "sam.lee@example.com" in m["to"]]
    assert client.post(VOTE_LINK.findall(invitation["html"])[1], data={"choice": "1"}).status_code == 200

    stack.set_time(START + 7 * DAY + 4 * HOUR)  # the Monday after: the digest day


def _outbox_of_week(tmp_path: Path, *, skip_idle: bool) -> tuple[list[tuple[str, str, str, str]], Counter[str]]:
    stack = LocalStack(
        tmp_path / ("skip" if skip_idle else "tick"), pump=False, skip_idle=skip_idle, wall=lambda: START
    )
    runs: Counter[str] = Counter()
    stack.start()
    try:
        for logical_id, runtime in stack.functions.items():
            runtime.invoke = _counted(runtime.invoke, runs, logical_id)  # type: ignore[method-assign]
        _play_week(stack)
        outbox = [(m["kind"], m["to"], m["subject"], m["sent_at"]) for m in stack.outbox()]
    finally:
        stack.stop()
    return outbox, runs


def _counted(invoke: Callable[[Any], Any], runs: Counter[str], logical_id: str) -> Callable[[Any], Any]:
    def counted(event: Any) -> Any:
        runs[logical_id] += 1
        return invoke(event)

    return counted


@pytest.fixture(scope="module")
def weeks(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    base = tmp_path_factory.mktemp("weeks")
    skipping, skipping_runs = _outbox_of_week(base, skip_idle=True)
    ticking, ticking_runs = _outbox_of_week(base, skip_idle=False)
    return {"skip": skipping, "tick": ticking, "skip_runs": skipping_runs, "tick_runs": ticking_runs}


def test_passing_over_idle_instants_sends_the_same_emails_at_the_same_instants_as_ticking(weeks):
    kinds = Counter(kind for kind, *_ in weeks["tick"])

    assert weeks["skip"] == weeks["tick"]
    assert {"welcome", "nudge", "newcomer", "poll", "poll-reminder", "poll-results", "digest", "leader-digest"} <= set(
        kinds
    )


def test_a_nudge_goes_out_at_the_first_sweep_after_its_post_waited_the_threshold(weeks):
    nudges = [(to, sent_at) for kind, to, _, sent_at in weeks["skip"] if kind == "nudge"]

    # p_1 (01:00:17 past START) waits 24 hours: the 15-minute sweep after that is 08:15 on Tuesday.
    assert nudges[0] == (LEADER, _sent(START + DAY + HOUR + timedelta(minutes=15)))


def test_the_scheduled_functions_run_only_at_the_instants_where_they_find_work(weeks):
    skipping, ticking = weeks["skip_runs"], weeks["tick_runs"]
    minutes = int((7 * DAY + 4 * HOUR) / timedelta(minutes=1))

    assert ticking["RunDueJobsFunction"] >= minutes and ticking["FlagUnansweredPostsFunction"] >= minutes // 15
    assert skipping["RunDueJobsFunction"] < 100 and skipping["FlagUnansweredPostsFunction"] < 50
    # every other function (HTTP, stream, queue) ran exactly as often either way
    others = {name for name in ticking if name not in ("RunDueJobsFunction", "FlagUnansweredPostsFunction")}
    assert {name: skipping[name] for name in others} == {name: ticking[name] for name in others}

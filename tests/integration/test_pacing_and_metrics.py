"""MaxSendRate paces every kind of email, not only digests; events ingested are counted for the dashboard."""

from __future__ import annotations

import json
from dataclasses import dataclass, field

import pytest

from cerchia.mail import sending
from support import event


@dataclass
class FakeTime:
    now: float = 1000.0
    slept: list[float] = field(default_factory=list)

    def monotonic(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds


@pytest.fixture
def paced(aws, monkeypatch):
    from cerchia import runtime

    monkeypatch.setenv("MAX_SEND_RATE", "2")
    runtime.reset()
    fake = FakeTime()
    configured = sending.pacer()
    sending.use_pacer(sending.SendPacer(configured.rate, fake.monotonic, fake.sleep))
    yield configured, fake
    sending.use_pacer(None)


def test_welcomes_are_paced_at_max_send_rate(community, ingest, welcome, outbox, paced):
    configured, fake = paced
    for number in range(4):
        ingest(community, event("member_joined", member_id=f"u_{number}", email=f"new{number}@example.com"))

    welcome(community.community_id, *(f"u_{number}" for number in range(4)))

    assert configured.rate == 2.0
    assert len(outbox()) == 4
    assert fake.now - 1000.0 == pytest.approx(3 / 2)  # four emails at two per second: 1.5 s of waiting
    assert all(pause == pytest.approx(0.5) for pause in fake.slept)


def test_every_kind_sent_through_the_ledger_waits_for_the_same_pacer(community, outbox, paced, clock):
    from cerchia.mail.mime import Outgoing
    from cerchia.mail.sending import deliver_once
    from cerchia.store import get_store

    _, fake = paced
    for kind in ("nudge", "newcomer", "poll", "poll-results"):
        deliver_once(
            get_store(),
            kind=kind,
            community_id=community.community_id,
            recipient_id="m1",
            period="p",
            now=clock.now(),
            compose=lambda kind=kind: Outgoing(
                kind=kind, to_address="m1@example.com", to_name="M", subject=kind, text="hi", html="<p>hi</p>"
            ),
        )

    assert len(outbox()) == 4
    assert fake.now - 1000.0 == pytest.approx(3 / 2)


def test_each_stored_event_is_counted_once_for_the_dashboard(community, ingest, capsys):
    capsys.readouterr()
    body = event("post_created")

    ingest(community, body, webhook_id="msg_1")
    ingest(community, body, webhook_id="msg_1")  # a duplicate delivery is not a new event

    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines() if '"EventsIngested"' in line]
    assert [(line["EventsIngested"], line["stage"], line["service"]) for line in lines] == [([1.0], "dev", "cerchia")]

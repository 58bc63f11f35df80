"""A week of two small communities under moto, played through the real functions, and every email it sent as raw bytes.

Lievito & Co. (Italian, Rome) and Trail Runners (English, Los Angeles): members join and are welcomed,
questions wait and leaders are nudged (then reminded), quiet newcomers are invited, a poll is sent,
reminded and closed, and the Monday digests go out. Reading of the emails is done here on raw bytes:
the MIME structure is walked, and the text/html parts' content-transfer-encoding is decoded by hand.
"""

from __future__ import annotations

import base64
import quopri
import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from email import message_from_bytes
from email.header import decode_header, make_header
from email.policy import compat32
from typing import Any

import pytest

from digests_support import Sweeper, body
from support import ROOT, LambdaContext, MovableClock, load_handler, webhook_request

ACCOUNT, REGION = "123456789012", "eu-west-1"
LINK = re.compile(r'href="(https://cerchia\.example/([upvn])/[A-Za-z0-9._\-]+)"')


@dataclass
class RawEmail:
    """One sent email as a mail client receives it."""

    raw: bytes
    headers: dict[str, str] = field(default_factory=dict)
    parts: dict[str, str] = field(default_factory=dict)  # "text/plain" / "text/html" -> decoded text

    @property
    def kind(self) -> str:
        return self.headers["X-Cerchia-Kind"]

    @property
    def subject(self) -> str:
        return str(make_header(decode_header(self.headers["Subject"])))

    @property
    def to(self) -> str:
        return str(make_header(decode_header(self.headers["To"])))

    @property
    def html(self) -> str:
        return self.parts["text/html"]

    @property
    def text(self) -> str:
        return self.parts["text/plain"]

    @property
    def locale(self) -> str:
        found = re.search(r'<html lang="(\w+)"', self.html)
        return found.group(1) if found else ""

    def links(self, path: str) -> list[str]:
        """Signed links of one kind: u (unsubscribe), p (preferences), v (vote), n (nudge)."""
        return [url for url, kind in LINK.findall(self.html) if kind == path]


def read_raw(raw: bytes) -> RawEmail:
    message = message_from_bytes(raw, policy=compat32)
    email = RawEmail(raw, {name: str(value) for name, value in message.items()})
    for part in message.walk():
        if part.get_content_maintype() != "text":
            continue
        payload = part.get_payload()
        assert isinstance(payload, str)
        encoding = (part.get("Content-Transfer-Encoding") or "7bit").lower()
        if encoding == "base64":
            data = base64.b64decode(payload)
        elif encoding == "quoted-printable":
            data = quopri.decodestring(payload.encode("ascii"))
        else:
            data = payload.encode("utf-8", "surrogateescape")
        email.parts[part.get_content_type()] = data.decode(part.get_content_charset() or "utf-8")
    return email


def sent_raw() -> list[RawEmail]:
    from moto.ses.models import ses_backends

    found = []
    for message in ses_backends[ACCOUNT][REGION].sent_messages:
        raw = message.raw_data if isinstance(message.raw_data, bytes) else message.raw_data.encode()
        found.append(read_raw(raw))
    return found


@dataclass
class Week:
    """What the week left behind: the communities (conftest's), their ids, and how to read the outbox."""

    italian: Any
    english: Any
    start: datetime
    clock: MovableClock
    sweeper: Sweeper
    sent: list[RawEmail] = field(default_factory=list)

    def emails(self) -> list[RawEmail]:
        """What the week sent (later tests may send more; they read sent_raw() themselves)."""
        return list(self.sent)


ITALIAN_MEMBERS = [
    ("it_giulia", "Giulia Rossi", "giulia.rossi@example.com", "it", None),
    ("it_luca", "Luca Ferri", "luca.ferri@example.com", "it", "Luchino"),
    ("it_sara", "Sara Conti", "sara.conti@example.com", "it", None),
    ("it_paolo", "Paolo Greco", "paolo.greco@example.com", "it", None),
]
ENGLISH_MEMBERS = [
    ("en_maya", "Maya Patel", "maya.patel@example.com", "en", None),
    ("en_tom", "Tom Hughes", "tom.hughes@example.com", "en", None),
    ("en_ines", "Inês Silva", "ines.silva@example.com", "en", None),
    ("en_joe", "Joe King", "joe.king@example.com", "en", None),
]


@dataclass
class _Community:
    community_id: str
    webhook_secret: str
    api_key: str


@contextmanager
def moto_world() -> Iterator[tuple[Any, Any, Any, Any, MovableClock, Sweeper]]:
    """moto with the table from template.yaml, the two communities and a delivery queue, for a whole module.

    Like tests/integration/conftest.py's fixtures, but lasting longer than one test.
    """
    import boto3
    from moto import mock_aws

    from cerchia import clock as cerchia_clock
    from cerchia import runtime
    from cerchia.communities import create_community
    from cerchia_infra.template_table import create_table_from_template

    env = {
        "TABLE_NAME": "cerchia-test",
        "SENDER_ADDRESS": "hello@cerchia.example",
        "PUBLIC_BASE_URL": "https://cerchia.example",
        "CONFIGURATION_SET": "cerchia-test",
        "LINK_SECRET": "test-link-secret-0123456789",
        "AWS_DEFAULT_REGION": REGION,
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "POWERTOOLS_SERVICE_NAME": "cerchia",
    }
    clock = MovableClock()
    with pytest.MonkeyPatch.context() as patch, mock_aws():
        for name, value in env.items():
            patch.setenv(name, value)
        patch.delenv("AWS_ENDPOINT_URL", raising=False)
        cerchia_clock.use(clock.now)
        runtime.reset()
        create_table_from_template(
            boto3.client("dynamodb", region_name=REGION), ROOT / "template.yaml", env["TABLE_NAME"]
        )
        ses = boto3.client("sesv2", region_name=REGION)
        ses.create_email_identity(EmailIdentity=env["SENDER_ADDRESS"])
        ses.create_configuration_set(ConfigurationSetName=env["CONFIGURATION_SET"])
        url = boto3.client("sqs", region_name=REGION).create_queue(QueueName="delivery")["QueueUrl"]
        patch.setenv("DELIVERY_QUEUE_URL", url)
        patch.setenv("MAX_SEND_RATE", "0")  # no pacing of our own: sending's pacer never waits
        runtime.reset()
        italian = create_community(
            name="Lievito & Co.",
            timezone="Europe/Rome",
            locale="it",
            leader_email="marco.bianchi@example.com",
            leader_name="Marco Bianchi",
            purpose="Panificatori di casa che si scambiano ricette e consigli.",
        )
        english = create_community(
            name="Trail Runners <Bay Area>",
            timezone="America/Los_Angeles",
            locale="en",
            leader_email="sam.lee@example.com",
            leader_name="Sam Lee",
        )
        module = load_handler("ingest_event")

        def ingest(community: Any, event: Any) -> dict[str, Any]:
            request = webhook_request(community.community_id, community.webhook_secret, event)
            return dict(module.lambda_handler(request, LambdaContext()))

        def welcome(community_id: str, *member_ids: str) -> None:
            from cerchia.welcome.service import welcome_member

            for member_id in member_ids:
                welcome_member(community_id, member_id, clock.now())

        try:
            yield (
                _Community(italian.community_id, italian.webhook_secret, italian.api_key),
                _Community(english.community_id, english.webhook_secret, english.api_key),
                ingest,
                welcome,
                clock,
                Sweeper(clock, str(url)),
            )
        finally:
            cerchia_clock.use(None)
            runtime.reset()


def play_week(community: Any, english_community: Any, ingest: Any, welcome: Any, clock: Any, sweeper: Sweeper) -> Week:
    """Play the week; every email kind goes out in both languages."""
    from cerchia import polls
    from cerchia.communities import configure_community
    from cerchia.domain.polls import NewPoll
    from cerchia.nudges.sweep import sweep as nudge_sweep
    from cerchia.polls import pages as poll_pages
    from cerchia.store import get_store

    start = clock.now()
    configure_community(community.community_id, {"intro_url": "https://forum.lievito.example/t/presentazioni"})
    configure_community(english_community.community_id, {"community_url": "https://club.trail.example/"})

    def send(target: Any, fixture: str, **data: Any) -> None:
        answer = ingest(target, body(fixture, clock.now(), **data))
        assert answer["statusCode"] == 202, answer

    for target, members, zone in (
        (community, ITALIAN_MEMBERS, "Europe/Rome"),
        (english_community, ENGLISH_MEMBERS, "America/Los_Angeles"),
    ):
        for member_id, name, address, locale, first_name in members:
            extra = {"first_name": first_name} if first_name else {}
            send(
                target,
                "member_joined",
                member_id=member_id,
                name=name,
                email=address,
                locale=locale,
                timezone=zone,
                **extra,
            )
    clock.advance(minutes=5)
    send(
        community,
        "post_created",
        post_id="it_p1",
        author_id="it_sara",
        title="Farina di tipo 1 o integrale per il pane di tutti i giorni, e perché?",
        url="https://forum.lievito.example/t/1",
    )
    send(
        community,
        "post_created",
        post_id="it_p2",
        author_id="it_luca",
        title="La mia prima pagnotta con lievito madre",
        url="https://forum.lievito.example/t/2",
    )
    send(
        english_community,
        "post_created",
        post_id="en_p1",
        author_id="en_maya",
        title="Best shoes for muddy descents when the trail turns into a river?",
        url="https://club.trail.example/t/1",
    )
    send(
        english_community,
        "post_created",
        post_id="en_p2",
        author_id="en_tom",
        title="Saturday loop around the lake: who's in?",
        url="https://club.trail.example/t/2",
    )
    clock.advance(minutes=5)
    # welcomes are sent from the stream: by then the week's first posts are there to recommend
    welcome(community.community_id, *(m[0] for m in ITALIAN_MEMBERS))
    welcome(english_community.community_id, *(m[0] for m in ENGLISH_MEMBERS))
    clock.advance(hours=2)
    send(community, "reply_created", reply_id="it_r1", post_id="it_p2", author_id="it_sara")
    send(community, "reaction_added", post_id="it_p2", member_id="it_giulia")
    send(english_community, "reply_created", reply_id="en_r1", post_id="en_p2", author_id="en_ines")

    store = get_store()
    it_model = store.get_community(community.community_id)
    en_model = store.get_community(english_community.community_id)
    assert it_model is not None and en_model is not None
    now = clock.now()
    # the Italian poll is asked by the community's leader, the English one by a member
    polls.create_poll(
        it_model,
        NewPoll(
            question="Quale farina usate per il pane di tutti i giorni a casa vostra?",
            options=["Tipo 0", "Tipo 1", "Integrale"],
            send_at=now + timedelta(minutes=10),
            close_at=now + timedelta(days=3),
        ),
        now,
    )
    polls.create_poll(
        en_model,
        NewPoll(
            question="Which weekend suits you for the long autumn trail run?",
            options=["First weekend", "Second weekend"],
            send_at=now + timedelta(minutes=10),
            close_at=now + timedelta(days=3),
            author_id="en_tom",
        ),
        now,
    )
    voted = False
    for _ in range(24 * 4):
        clock.advance(hours=1)
        sweeper.until(clock.now())
        nudge_sweep(clock.now())
        if not voted:
            for mail in sent_raw():
                if mail.kind == "poll" and mail.links("v"):
                    page = poll_pages.submit_vote(mail.links("v")[0].rsplit("/", 1)[1], ["0"], clock.now())
                    assert page.status == 200, page.html
                    voted = True
                    break
    # Monday after: the digests at 09:00 local (Rome, then Los Angeles)
    send(community, "reaction_added", post_id="it_p2", member_id="it_paolo")
    sweeper.until(datetime(2026, 11, 30, 18, 0, tzinfo=start.tzinfo))
    assert sweeper.failures == []
    return Week(community, english_community, start, clock, sweeper, sent_raw())

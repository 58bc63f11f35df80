"""The welcome function under moto: who is welcomed, how, and never twice."""

from __future__ import annotations

from datetime import UTC, datetime

from support import event


def test_new_member_gets_one_welcome_in_their_language(community, ingest, welcome, outbox):
    ingest(community, event("post_created"))
    ingest(community, event("member_joined"))

    result = welcome(community.community_id, "u_1042")

    assert result == {"batchItemFailures": []}
    [message] = outbox()
    assert message["To"].addresses[0].addr_spec == "giulia.rossi@example.com"
    assert message["X-Cerchia-Kind"] == "welcome"
    assert message["Subject"] == "Ti diamo il benvenuto in Lievito & Co., Giulia!"
    assert message["List-Unsubscribe"].startswith("<https://cerchia.example/u/")
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    text = message.get_body(("plain",)).get_content()
    html = message.get_body(("html",)).get_content()
    assert "Marco Bianchi si prende cura della community" in text
    assert "Come conservate il lievito madre" not in html  # her own post is never recommended to her
    assert "Panificatori di casa" in text


def test_second_delivery_of_the_same_stream_record_sends_no_second_welcome(community, ingest, welcome, outbox):
    ingest(community, event("member_joined"))

    welcome(community.community_id, "u_1042")
    welcome(community.community_id, "u_1042")

    assert len(outbox()) == 1


def test_leader_gets_no_welcome(community, ingest, welcome, outbox):
    ingest(community, event("member_joined_leader"))

    welcome(community.community_id, "u_7")

    assert outbox() == []


def test_member_who_rejoins_within_30_days_is_not_welcomed_again(community, ingest, welcome, outbox):
    ingest(community, event("member_joined"))
    welcome(community.community_id, "u_1042")
    ingest(community, event("member_left"))
    rejoin = event("member_joined")
    rejoin["timestamp"] = "2026-12-10T09:00:00Z"
    ingest(community, rejoin)

    welcome(community.community_id, "u_1042")

    assert len(outbox()) == 1


def test_member_who_rejoins_after_30_days_is_welcomed_again(community, ingest, welcome, outbox, clock):
    ingest(community, event("member_joined"))
    welcome(community.community_id, "u_1042")
    ingest(community, event("member_left"))
    rejoin = event("member_joined")
    rejoin["timestamp"] = "2027-01-30T09:00:00Z"
    clock.current = datetime(2027, 1, 30, 9, 0, tzinfo=UTC)  # an event arrives when it happens, not before
    ingest(community, rejoin)

    welcome(community.community_id, "u_1042")

    assert len(outbox()) == 2


def test_script_in_a_name_arrives_escaped_and_cr_lf_cannot_add_headers(english_community, ingest, welcome, outbox):
    joined = event("member_joined", name="<script>alert(1)</script>\r\nBcc: victim@example.com", locale="en")
    ingest(english_community, joined)

    welcome(english_community.community_id, "u_1042")

    [message] = outbox()
    html = message.get_body(("html",)).get_content()
    assert "<script>alert(1)</script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert message["Bcc"] is None
    assert "Trail Runners &lt;Bay Area&gt;" in html
    assert message["Subject"].startswith("Welcome to Trail Runners <Bay Area>")


def test_ses_throttling_is_retried_with_backoff_and_then_keeps_the_welcome_for_the_due_sweep(
    community, ingest, welcome, outbox, monkeypatch, clock
):
    from botocore.exceptions import ClientError

    from cerchia.mail import sending
    from cerchia.store import get_store
    from support import LambdaContext, load_handler

    ingest(community, event("member_joined"))
    calls = {"count": 0}

    class Throttled:
        def send_email(self, **request):
            calls["count"] += 1
            raise ClientError({"Error": {"Code": "TooManyRequestsException", "Message": "slow down"}}, "SendEmail")

    waits: list[float] = []
    sending.use_pacer(sending.SendPacer(0, sleep=waits.append))
    sending.use_ses(Throttled())
    try:
        kept = welcome(community.community_id, "u_1042")
    finally:
        sending.use_ses(None)
        sending.use_pacer(None)

    assert calls["count"] == 6 and len(waits) == 5
    assert kept == {"batchItemFailures": []}  # not left to the stream's retries, which run out
    member = get_store().get_member(community.community_id, "u_1042")
    assert get_store().email_status("welcome", community.community_id, "u_1042", _iso(member)) is None
    assert outbox() == []

    clock.advance(minutes=10)
    load_handler("run_due_jobs").lambda_handler({}, LambdaContext())
    assert len(outbox()) == 1
    assert get_store().email_status("welcome", community.community_id, "u_1042", _iso(member)) == "sent"


def _iso(member):
    return member.membership_started_at.strftime("%Y-%m-%dT%H:%M:%S.%fZ")

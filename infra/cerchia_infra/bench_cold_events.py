"""The first event of each function for the `cold-first-call` bench: a seeded community on the
emulator, and a fresh event of each kind, shaped as its real source sends it (cerchia_infra.bench_cold).
"""

from __future__ import annotations

import json
import os
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from cerchia_infra.bench_world import LAMBDA_ENV, REGION, ROOT, TEMPLATE, http_api_event

EVENTS_DIR = ROOT / "tests" / "events"


class World:
    """The emulator and one seeded community; makes a fresh event of each kind on demand."""

    def __init__(self, endpoint: str) -> None:
        import boto3

        from cerchia import communities
        from cerchia_infra.template_table import create_table_from_template

        self.endpoint = endpoint
        create_table_from_template(boto3.client("dynamodb"), TEMPLATE, LAMBDA_ENV["TABLE_NAME"])
        ses = boto3.client("sesv2")
        ses.create_email_identity(EmailIdentity=LAMBDA_ENV["SENDER_ADDRESS"])
        ses.create_configuration_set(ConfigurationSetName=LAMBDA_ENV["CONFIGURATION_SET"])
        self.queue_url = boto3.client("sqs").create_queue(QueueName="cerchia-bench-delivery")["QueueUrl"]
        os.environ["DELIVERY_QUEUE_URL"] = self.queue_url
        created = communities.create_community(
            name="Bench Bakers", timezone="Europe/Rome", locale="en", leader_email="leader@example.com"
        )
        communities.configure_community(created.community_id, {"quiet_start_hour": "0", "quiet_end_hour": "0"})
        self.community_id = created.community_id
        self.secret = created.webhook_secret
        self.api_key = created.api_key
        self.count = 0
        self.member("m_seed")
        self.post("p_seed", "m_seed", datetime.now(UTC))

    @property
    def env(self) -> dict[str, str]:
        return {**LAMBDA_ENV, "AWS_ENDPOINT_URL": self.endpoint, "DELIVERY_QUEUE_URL": self.queue_url}

    def _next(self, prefix: str) -> str:
        self.count += 1
        return f"{prefix}_{self.count}_{uuid.uuid4().hex[:6]}"

    def _signed(self, event_type: str, data: dict[str, Any]) -> dict[str, Any]:
        body = json.dumps({"type": event_type, "timestamp": datetime.now(UTC).isoformat(), "data": data})
        return http_api_event(self.community_id, self.secret, body, f"msg_{uuid.uuid4().hex}")

    def _ingest(self, event_type: str, data: dict[str, Any]) -> None:
        from cerchia.ingest.webhooks import ingest_webhook

        event = self._signed(event_type, data)
        ingest_webhook(self.community_id, event["headers"], event["body"].encode(), datetime.now(UTC))

    def member(self, member_id: str) -> str:
        data = {"member_id": member_id, "email": f"{member_id}@example.com", "name": f"Member {member_id}"}
        self._ingest("member.joined", {**data, "locale": "en"})
        return member_id

    def post(self, post_id: str, author_id: str, created_at: datetime) -> str:
        data = {"post_id": post_id, "author_id": author_id, "title": f"Question {post_id}?"}
        self._ingest(
            "post.created", {**data, "url": f"https://forum.example/t/{post_id}", "created_at": _iso(created_at)}
        )
        return post_id

    def poll(self, send_at: datetime) -> Any:
        from cerchia.domain.polls import NewPoll
        from cerchia.polls import create_poll
        from cerchia.store import get_store

        community = get_store().get_community(self.community_id)
        assert community is not None
        new = NewPoll.model_validate(
            {
                "question": "Which day suits you for the meetup?",
                "options": ["Saturday", "Sunday"],
                "kind": "single",
                "send_at": _iso(send_at),
                "close_at": _iso(send_at + timedelta(days=3)),
                "anonymous": False,
            }
        )
        return create_poll(community, new, send_at - timedelta(hours=1))

    def http(self, method: str, route: str, path: str, parameters: dict[str, str], **extra: Any) -> dict[str, Any]:
        event = http_api_event(self.community_id, self.secret, extra.pop("body", ""), f"req_{uuid.uuid4().hex}")
        event["routeKey"] = event["requestContext"]["routeKey"] = f"{method} {route}"
        event["rawPath"] = event["requestContext"]["http"]["path"] = path
        event["requestContext"]["http"]["method"] = method
        event["pathParameters"] = parameters
        event["headers"] = {"accept-language": "en-GB,en;q=0.8", "user-agent": "Mozilla/5.0", **extra}
        if method == "GET":
            event.pop("body", None)
        return event

    # ------------------------------------------------------------------ one event per function

    def ingest_event(self) -> dict[str, Any]:
        member_id = self._next("m")
        data = {"member_id": member_id, "email": f"{member_id}@example.com", "name": "Ada", "locale": "en"}
        return self._signed("member.joined", data)

    def welcome_member(self) -> dict[str, Any]:
        import boto3

        member_id = self.member(self._next("m"))
        key = {"pk": {"S": f"C#{self.community_id}"}, "sk": {"S": f"M#{member_id}"}}
        image = boto3.client("dynamodb").get_item(TableName=LAMBDA_ENV["TABLE_NAME"], Key=key)["Item"]
        record = json.loads((EVENTS_DIR / "dynamodb_stream_member_insert.json").read_text())["Records"][0]
        record["dynamodb"].update({"Keys": key, "NewImage": image, "ApproximateCreationDateTime": _epoch()})
        return {"Records": [record]}

    def manage_polls(self) -> dict[str, Any]:
        now = datetime.now(UTC)
        body = json.dumps(
            {
                "question": "Which day suits you for the meetup?",
                "options": ["Saturday morning", "Saturday afternoon", "Sunday morning"],
                "kind": "single",
                "send_at": _iso(now + timedelta(days=1)),
                "close_at": _iso(now + timedelta(days=4)),
                "anonymous": False,
            }
        )
        path = f"/v1/communities/{self.community_id}/polls"
        return self.http(
            "POST",
            "/v1/communities/{community_id}/polls",
            path,
            {"community_id": self.community_id},
            body=body,
            authorization=f"Bearer {self.api_key}",
            **{"content-type": "application/json"},
        )

    def run_due_jobs(self) -> dict[str, Any]:
        self.poll(datetime.now(UTC) - timedelta(minutes=1))  # its send is due: the run emails it out
        return _scheduled()

    def deliver_emails(self) -> dict[str, Any]:
        import boto3

        from cerchia.dispatch import run_due_jobs

        self.poll(datetime.now(UTC) - timedelta(minutes=1))
        run_due_jobs(datetime.now(UTC))
        sqs = boto3.client("sqs")
        messages = sqs.receive_message(QueueUrl=self.queue_url, MaxNumberOfMessages=10).get("Messages", [])
        for message in messages:
            sqs.delete_message(QueueUrl=self.queue_url, ReceiptHandle=message["ReceiptHandle"])
        if not messages:
            raise RuntimeError("the poll job put no chunk on the delivery queue")
        return {"Records": [_sqs_record(dict(messages[-1]), self.queue_url)]}

    def flag_unanswered_posts(self) -> dict[str, Any]:
        self.post(self._next("p"), "m_seed", datetime.now(UTC) - timedelta(hours=30))  # nobody answered for 30 h
        return _scheduled()

    def record_ses_feedback(self) -> dict[str, Any]:
        text = (EVENTS_DIR / "ses_bounce_permanent.json").read_text()
        address = f"{self._next('bounced')}@example.com"
        text = text.replace("giulia.rossi@example.com", address)
        text = text.replace("0102019ab3f1c2d4-7e1f2a3b", f"0102019ab3f1c2d4-{uuid.uuid4().hex[:8]}")
        return dict(json.loads(text))

    def serve_member_pages(self) -> dict[str, Any]:
        from cerchia.mail.compose import unsubscribe_url

        return self._page("/u/{token}", unsubscribe_url(self.community_id, self.member(self._next("m")), _now()))

    def serve_preference_pages(self) -> dict[str, Any]:
        from cerchia.mail.compose import preferences_url

        return self._page("/p/{token}", preferences_url(self.community_id, self.member(self._next("m")), _now()))

    def serve_vote_pages(self) -> dict[str, Any]:
        from cerchia.dispatch import run_due_jobs
        from cerchia.polls.vote_links import vote_url

        poll = self.poll(datetime.now(UTC) - timedelta(minutes=1))
        run_due_jobs(datetime.now(UTC))  # opens it (its chunks wait on the queue, unread)
        return self._page("/v/{token}", vote_url(poll, "m_seed", 1))

    def serve_nudge_links(self) -> dict[str, Any]:
        from cerchia.nudges.links import nudge_link
        from cerchia.store import keys

        post_id = self.post(self._next("p"), "m_seed", datetime.now(UTC) - timedelta(hours=2))
        return self._page("/n/{token}", nudge_link(self.community_id, post_id, keys.FOUNDER, "claim", _now()))

    def ingest_discourse_event(self) -> dict[str, Any]:
        from cerchia.ingest.discourse import signature

        delivery = json.loads((EVENTS_DIR / "discourse" / "user_created.json").read_text())
        user_id = 10_000 + self.count
        self._next("d")
        delivery["user"].update(id=user_id, username=f"user_{user_id}", email=f"user_{user_id}@example.com")
        body = json.dumps(delivery)
        path = f"/v1/communities/{self.community_id}/discourse"
        return self.http(
            "POST",
            "/v1/communities/{community_id}/discourse",
            path,
            {"community_id": self.community_id},
            body=body,
            **{
                "content-type": "application/json",
                "x-discourse-event": "user_created",
                "x-discourse-event-type": "user",
                "x-discourse-event-id": str(user_id),
                "x-discourse-instance": "https://forum.lievito.example",
                "x-discourse-event-signature": signature(self.secret, body.encode()),
            },
        )

    def manage_members(self) -> dict[str, Any]:
        members = []
        for _ in range(3):
            member_id = self._next("m")
            members.append({"member_id": member_id, "email": f"{member_id}@example.com", "name": "Ada", "locale": "en"})
        path = f"/v1/communities/{self.community_id}/members:import"
        return self.http(
            "POST",
            "/v1/communities/{community_id}/members:import",
            path,
            {"community_id": self.community_id},
            body=json.dumps({"members": members}),
            authorization=f"Bearer {self.api_key}",
            **{"content-type": "application/json"},
        )

    def serve_console(self) -> dict[str, Any]:
        from cerchia.console.sessions import COOKIE, issue_link, open_session
        from cerchia.store import keys

        _, cookie = open_session(issue_link(self.community_id, keys.FOUNDER, _now()).rsplit("/", 1)[1], _now())
        path = f"/l/{self.community_id}"
        event = self.http("GET", "/l/{proxy+}", path, {"proxy": self.community_id})
        event["cookies"] = [f"{COOKIE}={cookie}"]
        return event

    def _page(self, route: str, url: str) -> dict[str, Any]:
        token = url.rsplit("/", 1)[1]
        return self.http("GET", route, route.replace("{token}", token), {"token": token})


def _now() -> datetime:
    return datetime.now(UTC)


def _iso(instant: datetime) -> str:
    return instant.isoformat().replace("+00:00", "Z")


def _epoch() -> int:
    return int(datetime.now(UTC).timestamp())


def _scheduled() -> dict[str, Any]:
    now = datetime.now(UTC)
    return {
        "version": "0",
        "id": str(uuid.uuid4()),
        "detail-type": "Scheduled Event",
        "source": "aws.scheduler",
        "account": "123456789012",
        "time": now.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "region": REGION,
        "resources": ["arn:aws:scheduler:eu-west-1:123456789012:schedule/default/cerchia-bench"],
        "detail": {},
    }


def _sqs_record(message: dict[str, Any], queue_url: str) -> dict[str, Any]:
    now_ms = str(int(datetime.now(UTC).timestamp() * 1000))
    return {
        "messageId": message["MessageId"],
        "receiptHandle": message["ReceiptHandle"],
        "body": message["Body"],
        "attributes": {
            "ApproximateReceiveCount": "1",
            "SentTimestamp": now_ms,
            "SenderId": "AIDAIENQZJOLO23YVJ4VO",
            "ApproximateFirstReceiveTimestamp": now_ms,
        },
        "messageAttributes": {},
        "md5OfBody": message.get("MD5OfBody", ""),
        "eventSource": "aws:sqs",
        "eventSourceARN": f"arn:aws:sqs:{REGION}:123456789012:{queue_url.rsplit('/', 1)[1]}",
        "awsRegion": REGION,
    }

"""Hostile input under moto: every bad request is a 4xx naming the problem, never a 5xx, never a poisoned community."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta, timezone

import pytest

from polls_support import PollsWorld, iso, poll_request
from support import event

DEEP = b"[" * 100_000 + b"]" * 100_000
NOT_UTF8 = b"choice=\xff\xfe\xfa&List-Unsubscribe=One-Click&confirm=yes&emails=\xc3\x28"


def _community_items(community_id: str) -> list[dict]:
    """Every item of the community's collection, read with a Query (what a 4xx must leave untouched)."""
    import boto3

    from cerchia.settings import get_settings

    client = boto3.client("dynamodb")
    items, start = [], None
    while True:
        page = client.query(
            TableName=get_settings().table_name,
            KeyConditionExpression="pk = :pk",
            ExpressionAttributeValues={":pk": {"S": f"C#{community_id}"}},
            **({"ExclusiveStartKey": start} if start else {}),
        )
        items += page["Items"]
        start = page.get("LastEvaluatedKey")
        if not start:
            return sorted(items, key=lambda item: item["sk"]["S"])


# ---------------------------------------------------------------------- instants on the events route


@pytest.mark.parametrize(
    ("fixture", "changes", "field"),
    [
        ("member_joined", {"timestamp": "0999-01-01T00:00:00Z"}, "timestamp"),
        ("post_created", {"data.created_at": "0999-01-01T00:00:00Z"}, "data.created_at"),
        ("post_created", {"data.created_at": "1999-12-31T23:59:59Z"}, "data.created_at"),
        ("post_created", {"data.created_at": "9999-12-31T23:30:00Z"}, "data.created_at"),
        ("post_created", {"timestamp": "9999-12-31T23:30:00Z"}, "timestamp"),
        ("reply_created", {"data.created_at": "0001-01-01T00:30:00+01:00"}, "data.created_at"),
        ("reaction_added", {"timestamp": "0001-01-01T00:30:00+01:00"}, "timestamp"),
        ("member_left", {"timestamp": "9999-12-31T23:59:59-01:00"}, "timestamp"),
    ],
)
def test_an_instant_outside_the_sane_window_is_400_naming_it_and_stores_nothing(
    community, ingest, fixture, changes, field
):
    body = event(fixture)
    for name, value in changes.items():
        if name.startswith("data."):
            body["data"][name.removeprefix("data.")] = value
        else:
            body[name] = value
    before = _community_items(community.community_id)

    answer = ingest(community, body)

    assert answer["statusCode"] == 400, answer
    assert field in answer["json"]["fields"]
    assert _community_items(community.community_id) == before


def test_created_at_later_than_arrival_plus_the_tolerance_is_400(community, ingest):
    signed = datetime.now(UTC).replace(microsecond=0)
    late = event("post_created", created_at=iso(signed + timedelta(minutes=6)))
    just_in = event("post_created", post_id="p_302", created_at=iso(signed + timedelta(minutes=4)))

    refused = ingest(community, late, at=signed)
    accepted = ingest(community, just_in, at=signed)

    assert refused["statusCode"] == 400
    assert list(refused["json"]["fields"]) == ["data.created_at"]
    assert "dated after it arrived" in refused["json"]["error"]
    assert accepted["statusCode"] == 202
    from cerchia.store import get_store

    assert get_store().get_post(community.community_id, "p_301") is None
    assert get_store().get_post(community.community_id, "p_302") is not None


def test_a_year_999_post_never_blocks_the_welcomes_of_members_who_join_later(community, ingest, welcome, outbox):
    """The issue's poisoned community: the post is refused, and all three later members are welcomed."""
    poisoned = ingest(community, event("post_created", created_at="0999-01-01T00:00:00Z"))
    for number in range(3):
        joined = event("member_joined", member_id=f"u_{number}", email=f"m{number}@example.com", name=f"M {number}")
        assert ingest(community, joined)["statusCode"] == 202
        welcome(community.community_id, f"u_{number}")

    assert poisoned["statusCode"] == 400
    assert sorted(str(message["To"]) for message in outbox()) == [
        "M 0 <m0@example.com>",
        "M 1 <m1@example.com>",
        "M 2 <m2@example.com>",
    ]


# ---------------------------------------------------------------------- bodies and headers on the events route


def test_json_nested_100000_deep_is_400_on_the_events_route(community, ingest):
    before = _community_items(community.community_id)

    answer = ingest(community, DEEP)

    assert answer["statusCode"] == 400
    assert answer["json"]["fields"] == {"body": "nested too deeply"}
    assert _community_items(community.community_id) == before


def test_a_webhook_id_over_200_characters_is_400_naming_the_header(community, ingest):
    before = _community_items(community.community_id)

    too_long = ingest(community, event("member_joined"), webhook_id="msg_" + "x" * 197)
    longest = ingest(community, event("member_joined"), webhook_id="msg_" + "x" * 196)

    assert too_long["statusCode"] == 400
    assert list(too_long["json"]["fields"]) == ["webhook-id"]
    assert "at most 200" in too_long["json"]["error"]
    assert longest["statusCode"] == 202
    assert len(_community_items(community.community_id)) > len(before)


def test_ids_that_overflow_a_dynamodb_key_are_400_with_a_sentence_not_500(community, ingest):
    wide = "\U0001f35e" * 128  # 128 characters, 512 bytes in UTF-8: three of them exceed a 1 KiB sort key
    before = _community_items(community.community_id)

    answer = ingest(community, event("reaction_added", post_id=wide, member_id=wide, reaction="\U0001f35e" * 64))

    assert answer["statusCode"] == 400, answer
    assert answer["json"]["error"].startswith("This request cannot be stored")
    assert _community_items(community.community_id) == before


# ---------------------------------------------------------------------- the polls API


@pytest.fixture
def polls(community, clock, ingest, monkeypatch):
    return PollsWorld.start(community, clock, ingest, monkeypatch)


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"send_at": "9999-12-31T23:30:00Z"}, "send_at"),
        ({"send_at": "0001-01-01T00:30:00+01:00"}, "send_at"),
        ({"send_at": "1999-12-31T23:00:00Z"}, "send_at"),
        ({"close_at": "9999-12-31T23:30:00Z"}, "close_at"),
        ({"close_at": "0001-01-01T00:30:00+01:00"}, "close_at"),
        ({"send_at": "9999-12-31T22:00:00Z", "close_at": "9999-12-31T23:30:00Z"}, "send_at"),
        ({"send_at": "2028-01-01T00:00:00Z", "close_at": "2028-01-02T00:00:00Z"}, "send_at"),
    ],
)
def test_poll_instants_at_either_end_are_400_naming_the_field(polls, changes, field):
    before = _community_items(polls.community.community_id)

    answer = polls.create_poll(poll_request(**changes))

    assert answer["statusCode"] == 400, answer
    assert field in answer["json"]["fields"]
    assert answer["json"]["error"].endswith(".")
    assert _community_items(polls.community.community_id) == before


@pytest.mark.parametrize(
    ("body", "field"), [(DEEP, "nested too deeply"), (b'{"question": "\xff\xfe caff\xe8?"}', "not UTF-8")]
)
def test_unreadable_poll_bodies_are_400_with_the_key_and_401_without(polls, body, field):
    before = _community_items(polls.community.community_id)

    with_key = polls.create_poll(body)
    wrong_key = polls.create_poll(body, key="ck_wrong")

    assert with_key["statusCode"] == 400, with_key
    assert with_key["json"]["fields"] == {"body": field}
    assert wrong_key["statusCode"] == 401
    assert "Authorization: Bearer" in wrong_key["json"]["error"]
    assert _community_items(polls.community.community_id) == before


def test_same_idempotency_key_with_another_send_at_is_400_and_keeps_the_first_poll(polls, clock):
    body = poll_request(send_at=iso(clock.now() + timedelta(hours=1)), close_at=iso(clock.now() + timedelta(days=3)))
    first = polls.create_poll(body, idempotency_key="leader-retry-7")
    moved = polls.create_poll(
        {**body, "send_at": iso(clock.now() + timedelta(hours=2))}, idempotency_key="leader-retry-7"
    )
    same_instant = polls.create_poll(
        {**body, "send_at": (clock.now() + timedelta(hours=1)).astimezone(timezone(timedelta(hours=1))).isoformat()},
        idempotency_key="leader-retry-7",
    )

    assert first["statusCode"] == 201
    assert moved["statusCode"] == 400
    assert moved["json"]["fields"] == {"Idempotency-Key": "already used for another poll"}
    assert same_instant["statusCode"] == 201
    assert same_instant["json"] == first["json"]
    from cerchia.store import get_store

    job = get_store().get_job("poll", first["json"]["poll_id"])
    assert job is not None and job.due == clock.now() + timedelta(hours=1)


def test_same_idempotency_key_without_send_at_then_with_one_is_400(polls, clock):
    body = poll_request(close_at=iso(clock.now() + timedelta(days=3)))
    del body["send_at"]
    first = polls.create_poll(body, idempotency_key="k-asap")
    clock.advance(seconds=30)
    retried = polls.create_poll(body, idempotency_key="k-asap")
    scheduled = polls.create_poll({**body, "send_at": iso(clock.now() + timedelta(hours=5))}, idempotency_key="k-asap")

    assert (first["statusCode"], retried["statusCode"], scheduled["statusCode"]) == (201, 201, 400)
    assert retried["json"] == first["json"]


# ---------------------------------------------------------------------- member pages: /u, /p, /v


def test_bodies_that_are_not_utf8_on_member_pages_are_400_and_change_nothing(
    community, ingest, welcome, outbox, polls, clock
):
    from polls_support import kind_of, vote_tokens
    from preferences_support import FORM, link_token, page_requester

    ingest(community, event("member_joined"))
    welcome(community.community_id, "u_1042")
    [welcome_email] = outbox()
    unsubscribe_token = welcome_email["List-Unsubscribe"].strip("<>").rsplit("/u/", 1)[1]
    preferences_token = link_token(welcome_email.get_body(("plain",)).get_content(), "p")
    clock.advance(hours=2)  # the poll goes out after Giulia joined (the leader who asks gets none)
    poll_id = polls.scheduled_poll()
    polls.sweep()
    [poll_email] = [message for message in outbox() if kind_of(message) == "poll"]
    vote_token = vote_tokens(poll_email)[0]
    before = _community_items(community.community_id)

    answers = {
        "u": page_requester("serve_member_pages", "u")("POST", unsubscribe_token, NOT_UTF8, FORM),
        "p": page_requester("serve_preference_pages", "p")("POST", preferences_token, NOT_UTF8, FORM),
        "v": page_requester("serve_vote_pages", "v")("POST", vote_token, NOT_UTF8, FORM),
    }

    for answer in answers.values():
        assert answer["statusCode"] == 400
        assert "This form could not be read" in answer["body"] and "nothing was changed" in answer["body"]
        assert answer["headers"]["Cache-Control"] == "no-store"
    assert _community_items(community.community_id) == before
    assert polls.read_poll(poll_id)["json"]["ballots"] == 0


# ---------------------------------------------------------------------- one unreadable item stops nobody else


def _plant(**attributes: str) -> None:
    """Write an item straight into the table, as an older version or a hand edit might have left it."""
    import boto3

    from cerchia.settings import get_settings

    boto3.client("dynamodb").put_item(
        TableName=get_settings().table_name, Item={name: {"S": value} for name, value in attributes.items()}
    )


def _unreadable_counted(output: str) -> list[dict]:
    """The UnreadableItems metrics (CloudWatch embedded metric format) printed on stdout."""
    found = []
    for line in output.splitlines():
        if '"UnreadableItems"' in line:
            document = json.loads(line)
            value = document["UnreadableItems"]
            found.append({"entity": document["entity"], "value": sum(value) if isinstance(value, list) else value})
    return found


def test_an_unreadable_post_in_the_timeline_never_stops_a_welcome(community, ingest, welcome, outbox, capsys):
    cid = community.community_id
    _plant(
        pk=f"C#{cid}", sk="P#p_old", entity="post", community_id=cid, post_id="p_old",
        created_at="999-01-01T00:00:00.000000Z", timeline_pk=f"C#{cid}#POSTS", timeline_at="999-01-01T00:00:00Z#p_old",
    )  # fmt: skip
    capsys.readouterr()
    for number in range(3):
        joined = event("member_joined", member_id=f"u_{number}", email=f"m{number}@example.com", name=f"M {number}")
        ingest(community, joined)
    answer = welcome(cid, "u_0", "u_1", "u_2")

    assert answer == {"batchItemFailures": []}
    assert sorted(str(message["To"]) for message in outbox()) == [
        "M 0 <m0@example.com>",
        "M 1 <m1@example.com>",
        "M 2 <m2@example.com>",
    ]
    output = capsys.readouterr().out
    assert _unreadable_counted(output) == [{"entity": "post", "value": 1.0}] * 3  # one per welcome that read it
    assert "m0@example.com" not in "".join(line for line in output.splitlines() if "unreadable item" in line)


def test_an_unreadable_member_never_stops_a_poll_going_out_to_the_others(polls, outbox, capsys):
    cid = polls.community.community_id
    polls.join("u_1042", "Giulia Rossi", "giulia.rossi@example.com")
    _plant(
        pk=f"C#{cid}", sk="M#u_bad", entity="member", community_id=cid, member_id="u_bad",
        email="bad@example.com", role="overlord", status="active", joined_at="2026-11-01T00:00:00.000000Z",
    )  # fmt: skip
    polls.join("u_7", "Luca Neri", "luca.neri@example.com")
    capsys.readouterr()

    polls.scheduled_poll()
    polls.sweep()

    poll_emails = [str(message["To"]) for message in outbox() if message["X-Cerchia-Kind"] == "poll"]
    assert sorted(poll_emails) == [
        "Giulia Rossi <giulia.rossi@example.com>",
        "Luca Neri <luca.neri@example.com>",
    ]  # Marco, the leader who asked, gets the results, never the poll
    counted = _unreadable_counted(capsys.readouterr().out)
    assert counted and {entry["entity"] for entry in counted} == {"member"}


def test_an_unreadable_due_job_never_stops_the_jobs_due_after_it(polls, clock, outbox, capsys):
    polls.join("u_1042", "Giulia Rossi", "giulia.rossi@example.com")
    _plant(
        pk="JOB#poll#p_broken", sk="JOB", entity="job", ref="p_broken", due="yesterday",
        due_pk="DUE", due_at="2000-01-01T00:00:00.000000Z#poll#p_broken",
    )  # fmt: skip
    polls.scheduled_poll()
    capsys.readouterr()

    ran = polls.sweep()

    assert ran["ran"] == 1
    assert "giulia.rossi@example.com" in " ".join(
        str(message["To"]) for message in outbox() if message["X-Cerchia-Kind"] == "poll"
    )
    assert _unreadable_counted(capsys.readouterr().out) == [{"entity": "job", "value": 1.0}]

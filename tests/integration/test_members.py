"""The member lifecycle API under moto: import without welcomes, erase within the request, right of access."""

from __future__ import annotations

import json
from typing import Any

import pytest

from polls_support import PollsWorld, with_json
from support import LambdaContext, event, http_event, load_handler


@pytest.fixture
def members(community: Any) -> Any:
    module = load_handler("manage_members")

    def call(method: str, suffix: str, body: Any = None, key: str | None = None) -> dict[str, Any]:
        cid = community.community_id
        route, parameters = "/v1/communities/{community_id}/members:import", {"community_id": cid}
        if suffix != ":import":
            route, parameters = (
                "/v1/communities/{community_id}/members/{member_id}",
                {**parameters, "member_id": suffix},
            )
        path = f"/v1/communities/{cid}/members" + (suffix if suffix == ":import" else f"/{suffix}")
        raw = json.dumps(body).encode() if body is not None else b""
        headers = {"authorization": f"Bearer {key or community.api_key}", "content-type": "application/json"}
        request = http_event(method, path, route, parameters, raw, headers)
        if raw:
            request["body"], request["isBase64Encoded"] = raw.decode(), False
        return with_json(module.lambda_handler(request, LambdaContext()))

    return call


def _rows(count: int, start: int = 0) -> list[dict[str, Any]]:
    return [
        {"member_id": str(1000 + n), "email": f"member{n}@example.com", "name": f"Member {n}", "locale": "en"}
        for n in range(start, start + count)
    ]


def test_imported_members_are_active_get_no_welcome_and_a_rerun_changes_nothing(community, members, welcome, outbox):
    first = members("POST", ":import", {"members": _rows(3)})
    welcome(community.community_id, "1000", "1001", "1002")
    again = members("POST", ":import", {"members": _rows(3)})

    assert first["statusCode"] == 200
    assert (first["json"]["imported"], first["json"]["already_there"], first["json"]["rejected"]) == (3, 0, 0)
    assert (again["json"]["imported"], again["json"]["already_there"]) == (0, 3)
    assert outbox() == []
    from cerchia.store import get_store

    member = get_store().get_member(community.community_id, "1001")
    assert (member.status, member.email, member.name) == ("active", "member1@example.com", "Member 1")


def test_rejected_rows_are_named_with_their_reason_and_the_others_are_imported(community, members):
    rows = [*_rows(1), {"member_id": "2000", "email": "not-an-address", "name": "Bad"}, {"email": "x@example.com"}]

    answer = members("POST", ":import", {"members": rows})

    results = answer["json"]["results"]
    assert [r["outcome"] for r in results] == ["imported", "rejected", "rejected"]
    assert results[1]["member_id"] == "2000" and "email" in results[1]["reason"]
    assert "member_id" in results[2]["reason"] and "name" in results[2]["reason"]


def test_more_than_a_thousand_members_in_one_call_is_a_400(community, members):
    answer = members("POST", ":import", {"members": _rows(1001)})

    assert answer["statusCode"] == 400
    assert "1 to 1,000" in answer["json"]["error"]


def test_wrong_key_is_401_before_the_body_is_read(community, members):
    answer = members("POST", ":import", {"members": "nonsense"}, key="ck_wrong")

    assert answer["statusCode"] == 401


def test_imported_member_who_left_and_rejoins_after_30_days_is_welcomed(
    community, members, ingest, welcome, outbox, clock
):
    from datetime import UTC, datetime

    members("POST", ":import", {"members": _rows(1)})
    ingest(community, {"type": "member.left", "timestamp": "2026-11-24T09:00:00Z", "data": {"member_id": "1000"}})
    rejoin = {
        **event("member_joined", member_id="1000", email="member0@example.com"),
        "timestamp": "2027-01-10T09:00:00Z",
    }
    clock.current = datetime(2027, 1, 10, 9, 0, tzinfo=UTC)  # an event is never dated after its arrival
    ingest(community, rejoin)

    welcome(community.community_id, "1000")

    [message] = outbox()
    assert message["X-Cerchia-Kind"] == "welcome"


def _every_item() -> list[dict[str, Any]]:
    """Every item of the table, read through the emulator (a test may scan; runtime code never does)."""
    import boto3

    from cerchia.settings import get_settings

    client = boto3.client("dynamodb")
    items, start = [], None
    while True:
        page = client.scan(TableName=get_settings().table_name, **({"ExclusiveStartKey": start} if start else {}))
        items += page["Items"]
        start = page.get("LastEvaluatedKey")
        if not start:
            return items


def _copy_the_name_into_a_nudge_queue_and_a_digest_snapshot(community_id: str, now: Any) -> None:
    from datetime import timedelta

    from cerchia.domain.digests import NewMember, PostCard, Snapshot
    from cerchia.store import get_store
    from cerchia.store.digests import save_snapshot
    from cerchia.store.nudges import notice_newcomer

    store = get_store()
    notice_newcomer(store, community_id, store.get_member(community_id, "u_1"), {"founder": now}, now)
    card = PostCard(post_id="p_301", title="Lievito", url="https://x.example/p", author_id="u_1",
                    author_name="Ada Lovelace", created_at=now)  # fmt: skip
    snapshot = Snapshot(
        community_id=community_id, week="2026-W48", start=now, end=now + timedelta(days=7), activity=True,
        top_posts=[card], new_members=[NewMember(member_id="u_1", name="Ada Lovelace"),
                                       NewMember(member_id="u_2", name="Bo Diddley")], new_member_count=2,
    )  # fmt: skip
    save_snapshot(store, snapshot)


def test_erase_leaves_the_email_in_no_item_and_keeps_tallies_and_counters(
    community, clock, ingest, welcome, monkeypatch, members
):
    from cerchia.store import get_store
    from cerchia.store.polls import get_poll, record_vote

    world = PollsWorld.start(community, clock, ingest, monkeypatch)
    world.join("u_1", "Ada Lovelace", "ada.lovelace@example.com", locale="en")
    world.join("u_2", "Bo Diddley", "bo.diddley@example.com", locale="en")
    welcome(community.community_id, "u_1")  # a ledger entry for u_1
    ingest(community, event("post_created", author_id="u_1"))
    ingest(community, event("reply_created", author_id="u_2"))  # a member week for u_1: a reply received
    poll_id = world.scheduled_poll()
    world.sweep()  # the poll goes out: a poll ledger entry each
    poll = get_poll(get_store(), community.community_id, poll_id)
    record_vote(get_store(), poll, "u_1", (0,), clock.now())
    _copy_the_name_into_a_nudge_queue_and_a_digest_snapshot(community.community_id, clock.now())
    before = members("GET", "u_1")["json"]
    assert sorted(before["named_in"]) == ["D#2026-W48", "NUDGEQ#founder"]
    assert (before["noticed_as_newcomer"], [vote["choices"] for vote in before["votes"]]) == (True, [[0]])
    assert any("ada.lovelace@example.com" in json.dumps(item) for item in _every_item())
    assert len([item for item in _every_item() if "Ada Lovelace" in json.dumps(item)]) >= 3

    first = members("DELETE", "u_1")
    second = members("DELETE", "u_1")

    assert (first["statusCode"], second["statusCode"]) == (204, 204)
    assert not first.get("body")
    leftovers = [item for item in _every_item() if "ada.lovelace@example.com" in json.dumps(item).lower()]
    assert leftovers == []
    assert [item["sk"]["S"] for item in _every_item() if "Ada Lovelace" in json.dumps(item)] == []
    assert not [item for item in _every_item() if item["pk"]["S"].startswith(f"MAIL#{community.community_id}#u_1")]
    assert not [item for item in _every_item() if item["sk"]["S"].endswith("#M#u_1") or item["sk"]["S"] == "B#u_1"]
    after = get_poll(get_store(), community.community_id, poll_id)
    assert (after.ballots, after.votes[0]) == (1, 1)
    week = get_store().week_counters(community.community_id, "2026-W48")
    assert (week["posts"], week["replies"]) == (1, 1)
    from cerchia.store.digests import get_snapshot

    kept = get_snapshot(get_store(), community.community_id, "2026-W48")
    assert ([m.name for m in kept.new_members], kept.new_member_count, kept.top_posts[0].title) == (
        ["Bo Diddley"],
        2,
        "Lievito",
    )
    held = members("GET", "u_1")["json"]
    assert (held["profile"], held["emails"], held["weeks"], held["votes"], held["named_in"]) == (None, [], [], [], [])
    assert held["posts"] == ["p_301"]  # the platform's content, by member id only, stays


def test_access_to_a_member_never_seen_is_404(community, members):
    answer = members("GET", "u_nobody")

    assert answer["statusCode"] == 404
    assert "nothing" in answer["json"]["error"]


def test_member_erased_webhook_erases_like_the_api(community, ingest, members):
    ingest(community, event("member_joined"))

    answer = ingest(community, {"type": "member.erased", "data": {"member_id": "u_1042"}})

    assert (answer["statusCode"], answer["json"]["type"]) == (202, "member.erased")
    assert not [item for item in _every_item() if "giulia.rossi@example.com" in json.dumps(item)]


def test_access_shows_profile_preferences_emails_weeks_votes_and_posts(community, clock, ingest, welcome, members):
    ingest(community, event("member_joined"))
    welcome(community.community_id, "u_1042")
    ingest(community, event("post_created", author_id="u_1042"))
    ingest(community, event("reply_created", author_id="u_7"))

    answer = members("GET", "u_1042")

    record = answer["json"]
    assert answer["statusCode"] == 200
    assert (record["profile"]["email"], record["profile"]["name"]) == ("giulia.rossi@example.com", "Giulia Rossi")
    assert [e["kind"] for e in record["emails"]] == ["welcome"]
    assert record["weeks"] == [{"week": "2026-W48", "replies_received": 1}]
    assert record["posts"] == ["p_301"]
    assert record["suppressed"] is False
    assert "pk" not in record["profile"] and "version" not in record["profile"]


def test_erasing_an_imported_leader_takes_them_out_of_the_leaders(community, members):
    from cerchia.store import get_store

    members("POST", ":import", {"members": [{**_rows(1)[0], "role": "leader"}]})
    assert "1000" in get_store().get_community(community.community_id).leader_ids

    members("DELETE", "1000")

    assert "1000" not in get_store().get_community(community.community_id).leader_ids
    assert [leader.member_id for leader in get_store().leaders(get_store().get_community(community.community_id))] == [
        "founder"
    ]


@pytest.mark.parametrize(
    ("raw", "problem"),
    [(b'{"members": "caf\xe9"}', "not UTF-8"), (b'{"members": ' + b"[" * 100_000 + b"]" * 100_000 + b"}", "nested")],
    ids=["not-utf8", "nested-100000-deep"],
)
def test_an_unreadable_import_body_is_a_400_after_the_key_and_a_wrong_key_still_401(community, raw, problem):
    import base64

    module = load_handler("manage_members")
    cid = community.community_id

    def post(key: str) -> dict[str, Any]:
        headers = {"authorization": f"Bearer {key}", "content-type": "application/json"}
        request = http_event(
            "POST",
            f"/v1/communities/{cid}/members:import",
            "/v1/communities/{community_id}/members:import",
            {"community_id": cid},
            raw,
            headers,
        )
        request["body"], request["isBase64Encoded"] = base64.b64encode(raw).decode(), True
        return with_json(module.lambda_handler(request, LambdaContext()))

    assert post("ck_wrong")["statusCode"] == 401
    answer = post(community.api_key)
    assert answer["statusCode"] == 400
    assert problem in answer["json"]["error"]

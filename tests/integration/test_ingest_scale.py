"""Ingest under DynamoDB's real limits: item size, transaction conflicts, and what one event costs."""

from __future__ import annotations

import json
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta

import pytest

from digests_support import WEEK, body
from support import LambdaContext, load_handler, webhook_request

TUE = datetime(2026, 11, 24, 10, 0, tzinfo=UTC)


def _record(store, community, event_body, webhook_id):
    from cerchia.domain.events import parse_event

    # each event arrives when it happened (an event dated after its arrival is refused)
    at = datetime.fromisoformat(event_body["timestamp"].replace("Z", "+00:00"))
    event = parse_event(event_body, received_at=at)
    return store.record_event(community, webhook_id, event, at)


def _long_id(prefix, number):
    return f"{prefix}{number:06d}".ljust(128, "x")


@pytest.fixture
def fast_transactions():
    """moto's transactions back up only the items they touch (and run one at a time across threads)."""
    from cerchia_infra.moto_speed import backups_of_touched_items_only

    with backups_of_touched_items_only():
        yield


def _write_posts(store, meta, numbers):
    for number in numbers:
        post_id = _long_id("p", number)
        at = TUE + timedelta(seconds=30 * number)
        post = body(
            "post_created", at, post_id=post_id, author_id=_long_id("a", number), title="Q", url="https://f.example/1"
        )
        reply = body(
            "reply_created",
            at + timedelta(minutes=5),
            reply_id=_long_id("r", number),
            post_id=post_id,
            author_id=_long_id("b", number),
        )
        assert _record(store, meta, post, f"msg_p{number}") == "stored"
        assert _record(store, meta, reply, f"msg_r{number}") == "stored"


def test_the_largest_item_does_not_grow_with_the_weeks_posts_of_128_character_ids(community, fast_transactions):
    import boto3

    from cerchia.store import digests as digest_store
    from cerchia.store import get_store
    from cerchia_infra.item_size import largest_item

    store = get_store()
    table = boto3.client("dynamodb")  # the same moto table, read from outside the store
    meta = store.get_community(community.community_id)
    _write_posts(store, meta, range(40))
    after_40, _ = largest_item(table, store.table_name)
    _write_posts(store, meta, range(40, 120))
    after_120, key = largest_item(table, store.table_name)
    week = digest_store.week_activities(store, community.community_id, [WEEK])[WEEK]

    # today's week item grows ~420 bytes per answered post (t#/s#/f# names carry the id): 400 KB near post 1,000
    assert after_120 == after_40 and after_120 < 4 * 1024, (after_40, after_120, key)
    assert (week.posts, week.replies, week.answered, week.median_first_reply_seconds) == (120, 120, 120, 300)
    assert len(week.active_members) == 240 and len(week.posters) == 120
    assert len(digest_store.top_post_candidates(store, community.community_id, WEEK)) == 24


@pytest.fixture
def conflicts():
    """The store rebuilt on a client that cancels transactions as DynamoDB does under contention."""
    from cerchia.store import faults, table
    from cerchia.store.backoff import Backoff

    made = {}

    def install(**options):
        table.wrap_client(lambda client: made.setdefault("client", faults.TransactionConflicts(client, **options)))
        store = table.get_store()
        waits = []
        clock = [0.0]

        def sleep(seconds):  # the virtual clock moves by what the backoff waits
            waits.append(seconds)
            clock[0] += seconds

        store.backoff = Backoff(sleep=sleep, random=lambda: 1.0, monotonic=lambda: clock[0])
        return made["client"], waits

    yield install
    table.wrap_client(None)


def test_transaction_conflicts_are_retried_with_growing_waits_until_the_reply_is_stored(community, ingest, conflicts):
    from cerchia.store import get_store

    ingest(
        community, body("post_created", TUE, post_id="p_1", author_id="u_a", title="Biga?", url="https://f.example/1")
    )
    client, waits = conflicts(first=3)

    answer = ingest(
        community, body("reply_created", TUE + timedelta(hours=1), reply_id="r_1", post_id="p_1", author_id="u_b")
    )

    assert answer["statusCode"] == 202 and client.cancelled == 3
    assert waits == [0.025, 0.05, 0.1]  # full jitter's ceiling doubles each time (random pinned to 1.0)
    post = get_store().get_post(community.community_id, "p_1")
    assert (post.reply_count, post.first_reply_at) == (1, TUE + timedelta(hours=1))


def test_conflicts_that_outlast_the_time_budget_answer_503_and_store_nothing(community, ingest, conflicts):
    from cerchia.store import get_store

    ingest(
        community, body("post_created", TUE, post_id="p_1", author_id="u_a", title="Biga?", url="https://f.example/1")
    )
    client, waits = conflicts(share=1.0)

    answer = ingest(
        community, body("reply_created", TUE + timedelta(hours=1), reply_id="r_1", post_id="p_1", author_id="u_b")
    )

    assert answer["statusCode"] == 503 and answer["headers"]["Retry-After"] == "5"
    assert "retry" in answer["json"]["error"]
    assert 29 <= sum(waits) <= 30 and client.cancelled == len(waits) + 1  # the function had 30 s left
    assert get_store().get_post(community.community_id, "p_1").reply_count == 0


def test_twenty_concurrent_replies_to_one_post_under_injected_conflicts_are_all_stored_once(
    community, conflicts, fast_transactions
):
    from cerchia.store import get_store

    handler = load_handler("ingest_event")
    ingest_once = load_handler("ingest_event")
    first = body("post_created", TUE, post_id="p_hot", author_id="u_a", title="Hot", url="https://f.example/1")
    ingest_once.lambda_handler(
        webhook_request(community.community_id, community.webhook_secret, first), LambdaContext()
    )
    client, _ = conflicts(share=0.3, seed=11)
    requests = [
        webhook_request(
            community.community_id,
            community.webhook_secret,
            body("reply_created", TUE + timedelta(minutes=n), reply_id=f"r_{n}", post_id="p_hot", author_id=f"u_{n}"),
            f"msg_reply_{n}",
        )
        for n in range(20)
    ]

    with ThreadPoolExecutor(max_workers=20) as pool:
        answers = list(pool.map(lambda request: handler.lambda_handler(request, LambdaContext()), requests))
    again = handler.lambda_handler(requests[0], LambdaContext())  # a redelivery changes nothing

    assert [answer["statusCode"] for answer in answers] == [202] * 20 and client.cancelled > 0
    assert json.loads(again["body"])["status"] == "duplicate"
    post = get_store().get_post(community.community_id, "p_hot")
    stored = get_store().get({"pk": f"C#{community.community_id}", "sk": "P#p_hot"})
    assert (post.reply_count, len(post.repliers), stored["points"]) == (20, 20, 20 * 5)
    week = get_store().week_counters(community.community_id, WEEK)
    assert (week["replies"], week["answered"]) == (20, 1)


class _Counting:
    """A client wrapper counting DynamoDB requests by operation."""

    def __init__(self, client):
        self.client = client
        self.calls = []

    def __getattr__(self, name):
        attribute = getattr(self.client, name)
        if callable(attribute) and not name.startswith(("_", "meta", "exceptions")):

            def counted(*args, **kwargs):
                self.calls.append(name)
                return attribute(*args, **kwargs)

            return counted
        return attribute


@pytest.fixture
def counted():
    from cerchia.store import table

    made = {}
    table.wrap_client(lambda client: made.setdefault("client", _Counting(client)))
    table.get_store()
    yield made["client"]
    table.wrap_client(None)


def _joined(n):
    return body("member_joined", TUE, member_id=f"m_{n}", email=f"m{n}@example.com", name=f"Member {n}")


def test_a_cold_environment_stores_a_join_in_two_requests_and_a_warm_one_in_one(community, ingest, counted):
    assert ingest(community, _joined(1))["statusCode"] == 202
    cold, counted.calls = counted.calls, []
    assert ingest(community, _joined(2))["statusCode"] == 202
    warm, counted.calls = counted.calls, []
    assert ingest(community, _joined(2), webhook_id=None)["json"]["status"] == "stored"  # same member, new id

    assert cold == ["get_item", "transact_write_items"]
    assert warm == ["transact_write_items"]


def test_replies_and_reactions_to_a_post_this_environment_knows_cost_one_request(community, ingest, counted):
    from cerchia.store import get_store

    ingest(
        community, body("post_created", TUE, post_id="p_1", author_id="u_a", title="Biga?", url="https://f.example/1")
    )
    counted.calls = []
    for n, event in enumerate(
        [
            body("reply_created", TUE + timedelta(hours=1), reply_id="r_1", post_id="p_1", author_id="u_b"),
            body("reply_created", TUE + timedelta(hours=2), reply_id="r_2", post_id="p_1", author_id="u_c"),
            body("reaction_added", TUE + timedelta(hours=3), post_id="p_1", member_id="u_d"),
        ]
    ):
        assert ingest(community, event, webhook_id=f"msg_{n}")["statusCode"] == 202

    assert counted.calls == ["transact_write_items"] * 3
    post = get_store().get_post(community.community_id, "p_1")
    assert (post.reply_count, post.reactions, post.first_reply_at) == (2, 1, TUE + timedelta(hours=1))


def test_a_rotated_webhook_secret_is_honoured_at_once_by_a_warm_environment(community, ingest):
    from cerchia.store import get_store

    ingest(community, _joined(1))  # the community is now cached
    get_store().update_community_settings(community.community_id, {"webhook_secret": "whsec_" + "A" * 32})
    get_store().forget_community("nobody")  # another environment's update: this one still holds the old secret
    rotated = type(community)(community.community_id, "whsec_" + "A" * 32, community.api_key)

    assert ingest(rotated, _joined(2))["statusCode"] == 202


def test_the_cached_community_is_read_again_after_sixty_seconds(community, ingest, counted):
    from cerchia.store import get_store
    from cerchia.store.backoff import Backoff

    seconds = [0.0]
    get_store().backoff = Backoff(monotonic=lambda: seconds[0])
    ingest(community, _joined(1))
    counted.calls = []
    seconds[0] = 59.0
    ingest(community, _joined(2))
    within, counted.calls = counted.calls, []
    seconds[0] = 61.0
    ingest(community, _joined(3))

    assert within == ["transact_write_items"]
    assert counted.calls == ["get_item", "transact_write_items"]


def test_a_post_carries_its_authors_name_and_a_new_name_reaches_the_posts_still_waiting(community, ingest):
    from cerchia.store import get_store

    ingest(community, _joined(1))
    ingest(
        community, body("post_created", TUE, post_id="p_1", author_id="m_1", title="Biga?", url="https://f.example/1")
    )
    ingest(
        community, body("post_created", TUE, post_id="p_2", author_id="m_1", title="Farina?", url="https://f.example/2")
    )
    ingest(community, body("reply_created", TUE + timedelta(hours=1), reply_id="r_1", post_id="p_2", author_id="u_b"))
    named = get_store().get({"pk": f"C#{community.community_id}", "sk": "P#p_1"})["author_name"]

    ingest(community, body("member_updated", TUE + timedelta(hours=2), member_id="m_1", name="Ada Lovelace"))

    posts = {
        post_id: get_store().get({"pk": f"C#{community.community_id}", "sk": f"P#{post_id}"})
        for post_id in ("p_1", "p_2")
    }
    assert named == "Member 1"
    assert posts["p_1"]["author_name"] == "Ada Lovelace"  # still waiting: the nudge shows it
    assert posts["p_2"]["author_name"] == "Member 1"  # answered: no nudge will name it


def test_a_cold_environment_reads_a_replys_post_with_its_community_in_one_request(community, ingest, counted):
    from cerchia.store import get_store, table

    ingest(
        community, body("post_created", TUE, post_id="p_1", author_id="u_a", title="Biga?", url="https://f.example/1")
    )
    table.wrap_client(lambda client: counted)  # a new execution environment on the same counting client
    table.get_store()
    counted.calls = []

    answer = ingest(
        community, body("reply_created", TUE + timedelta(hours=1), reply_id="r_1", post_id="p_1", author_id="u_b")
    )

    assert answer["statusCode"] == 202
    assert counted.calls == ["batch_get_item", "transact_write_items"]
    assert get_store().get_post(community.community_id, "p_1").first_reply_at == TUE + timedelta(hours=1)


def test_a_second_post_by_an_author_this_environment_knows_costs_one_request_and_a_renamed_one_is_read(
    community, ingest, counted
):
    from cerchia.store import get_store, table

    ingest(community, _joined(1))
    ingest(
        community, body("post_created", TUE, post_id="p_1", author_id="m_1", title="Biga?", url="https://f.example/1")
    )
    counted.calls = []
    ingest(
        community, body("post_created", TUE, post_id="p_2", author_id="m_1", title="Farina?", url="https://f.example/2")
    )
    warm, counted.calls = counted.calls, []
    other = table.Store(get_store().client, get_store().table_name)  # another environment renames m_1
    other.call(
        "update_item",
        TableName=other.table_name,
        Key={"pk": {"S": f"C#{community.community_id}"}, "sk": {"S": "M#m_1"}},
        UpdateExpression="SET #n = :n",
        ExpressionAttributeNames={"#n": "name"},
        ExpressionAttributeValues={":n": {"S": "Ada Lovelace"}},
    )
    counted.calls = []
    ingest(
        community, body("post_created", TUE, post_id="p_3", author_id="m_1", title="Forno?", url="https://f.example/3")
    )

    assert warm == ["transact_write_items"]
    # the stale name fails the ConditionCheck: the post and the name are read, the transaction rebuilt
    assert counted.calls == ["transact_write_items", "get_item", "get_item", "transact_write_items"]
    assert get_store().get({"pk": f"C#{community.community_id}", "sk": "P#p_3"})["author_name"] == "Ada Lovelace"

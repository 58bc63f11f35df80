"""BatchGetItem's UnprocessedKeys: asked again after a jittered, doubling, capped wait, within a bound."""

from __future__ import annotations

from typing import Any

import pytest

from cerchia.store import backoff
from support import event


class Unprocessing:
    """DynamoDB under throttling: the first `times` batch reads leave all but one key unprocessed."""

    def __init__(self, real: Any, times: int, served: int = 1) -> None:
        self.real, self.times, self.served, self.batch_reads = real, times, served, 0

    def __getattr__(self, name: str) -> Any:
        return getattr(self.real, name)

    def batch_get_item(self, **request: Any) -> Any:
        self.batch_reads += 1
        if self.batch_reads > self.times:
            return self.real.batch_get_item(**request)
        [(table, ask)] = request["RequestItems"].items()
        first, rest = ask["Keys"][: self.served], ask["Keys"][self.served :]
        if not first:
            return {"Responses": {table: []}, "UnprocessedKeys": request["RequestItems"]}
        answer = self.real.batch_get_item(RequestItems={table: {**ask, "Keys": first}})
        answer["UnprocessedKeys"] = {table: {**ask, "Keys": rest}} if rest else {}
        return answer


@pytest.fixture
def waits():
    recorded: list[float] = []
    backoff.use_sleep(recorded.append)
    yield recorded
    backoff.use_sleep(None)


@pytest.fixture
def five_members(community, ingest):
    for number in range(5):
        ingest(community, event("member_joined", member_id=f"u_{number}", email=f"u{number}@example.com"))
    return [f"u_{number}" for number in range(5)]


def throttled_store(times: int, served: int = 1):
    import boto3

    from cerchia.store import get_store
    from cerchia.store.table import Store

    client = Unprocessing(boto3.client("dynamodb", region_name="eu-west-1"), times, served)
    return Store(client, get_store().table_name), client  # the public seam: a Store takes its client


def test_unprocessed_keys_of_a_digest_read_are_asked_again_after_growing_jittered_waits(community, five_members, waits):
    from cerchia.store import digests as digest_store

    store, client = throttled_store(times=3)

    found = digest_store.members(store, community.community_id, five_members)

    assert sorted(found) == five_members
    assert client.batch_reads == 4 and len(waits) == 3
    assert [0 <= wait <= min(backoff.CAP_S, backoff.BASE_S * 2**n) for n, wait in enumerate(waits)] == [True] * 3


def test_a_digest_read_that_stays_unprocessed_gives_up_within_its_bound_and_says_it_will_retry(
    community, five_members, waits
):
    from cerchia.errors import Transient
    from cerchia.store import digests as digest_store

    store, client = throttled_store(times=100, served=0)

    with pytest.raises(Transient, match="retry"):
        digest_store.members(store, community.community_id, five_members)
    assert client.batch_reads == digest_store.BATCH_GET_ATTEMPTS
    assert sum(waits) <= digest_store.BATCH_GET_ATTEMPTS * backoff.CAP_S


def test_unprocessed_keys_of_a_nudge_read_are_asked_again_after_a_wait(community, five_members, waits):
    from cerchia.store import nudges as nudge_store

    store, client = throttled_store(times=2)

    names = nudge_store.member_names(store, community.community_id, five_members)

    assert sorted(names) == five_members
    assert client.batch_reads == 3 and len(waits) == 2

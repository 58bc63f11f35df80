"""The ingest function under moto: the webhook contract and the state each event leaves behind."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

from support import event


def test_member_joined_is_stored_and_answered_202(community, ingest):
    response = ingest(community, event("member_joined"))

    assert response["statusCode"] == 202
    assert response["json"] == {"status": "stored", "type": "member.joined"}
    from cerchia.store import get_store

    member = get_store().get_member(community.community_id, "u_1042")
    assert member is not None
    assert (member.status, member.locale, member.timezone, member.name) == (
        "active",
        "it",
        "Europe/Rome",
        "Giulia Rossi",
    )


def test_same_webhook_id_three_times_changes_nothing_after_the_first(community, ingest):
    answers = [ingest(community, event("member_joined"), webhook_id="msg_same")["statusCode"] for _ in range(3)]

    assert answers == [202, 200, 200]
    from cerchia.domain.rules import week_of
    from cerchia.store import get_store

    week = week_of(datetime(2026, 11, 23, 9, 15, tzinfo=UTC), "Europe/Rome")
    assert get_store().week_counters(community.community_id, week)["joins"] == 1


def test_reply_by_someone_else_answers_the_post_once_even_when_redelivered_with_new_ids(community, ingest):
    ingest(community, event("post_created"))
    for webhook_id in ("msg_a", "msg_b"):  # the platform resends the same reply under a new webhook-id
        ingest(community, event("reply_created"), webhook_id=webhook_id)

    from cerchia.store import get_store

    post = get_store().get_post(community.community_id, "p_301")
    assert post.reply_count == 1
    assert post.first_reply_at == datetime(2026, 11, 23, 13, 30, tzinfo=UTC)
    week = get_store().week_counters(community.community_id, "2026-W48")
    assert (week["posts"], week["replies"]) == (1, 1)
    assert set(week["active_members"]) == {"u_1042", "u_7"}


def _unanswered_ids():
    import boto3

    from cerchia.settings import get_settings

    client = boto3.client("dynamodb")
    items = client.query(
        TableName=get_settings().table_name,
        IndexName="unanswered",
        KeyConditionExpression="unanswered_pk = :u",
        ExpressionAttributeValues={":u": {"S": "UNANSWERED"}},
    )["Items"]
    return {item["post_id"]["S"] for item in items}


def test_post_is_unanswered_until_someone_other_than_its_author_replies(community, ingest):
    ingest(community, event("post_created"))
    assert _unanswered_ids() == {"p_301"}

    ingest(community, event("reply_created", reply_id="r_own", author_id="u_1042"))
    assert _unanswered_ids() == {"p_301"}

    ingest(community, event("reply_created"))
    assert _unanswered_ids() == set()


def test_deleted_post_leaves_the_unanswered_index(community, ingest):
    ingest(community, event("post_created"))
    ingest(community, event("post_deleted"))

    assert _unanswered_ids() == set()


def test_reply_arriving_before_its_post_is_kept_and_answers_it(community, ingest):
    ingest(community, event("reply_created"))
    ingest(community, event("reaction_added"))
    ingest(community, event("post_created"))

    from cerchia.store import get_store

    post = get_store().get_post(community.community_id, "p_301")
    assert (post.placeholder, post.reply_count, post.reactions, post.title) == (
        False,
        1,
        1,
        "Come conservate il lievito madre d'estate?",
    )
    assert post.first_reply_at == datetime(2026, 11, 23, 13, 30, tzinfo=UTC)
    assert _unanswered_ids() == set()


def test_member_updated_for_an_unknown_member_is_kept_and_merged_on_join(community, ingest):
    later_update = event("member_updated")
    later_update["timestamp"] = "2026-11-23T10:00:00Z"
    ingest(community, later_update)
    ingest(community, event("member_joined"))

    from cerchia.store import get_store

    member = get_store().get_member(community.community_id, "u_1042")
    assert (member.status, member.name, member.locale, member.email) == (
        "active",
        "Giulia R.",
        "en",
        "giulia.rossi@example.com",
    )


def test_invalid_email_is_a_400_naming_the_field(community, ingest):
    response = ingest(community, event("member_joined", email="not-an-email"))

    assert response["statusCode"] == 400
    assert "data.email" in response["json"]["fields"]


def test_truncated_json_is_a_400(community, ingest):
    raw = json.dumps(event("member_joined")).encode()[:-7]

    response = ingest(community, raw)

    assert response["statusCode"] == 400
    assert response["json"]["fields"] == {"body": response["json"]["fields"]["body"]}


def test_unknown_type_is_a_200_ignored(community, ingest):
    response = ingest(community, event("unknown_type"))

    assert (response["statusCode"], response["json"]["status"]) == (200, "ignored")


def test_signature_from_another_community_is_a_401(community, english_community, ingest):
    from support import LambdaContext, load_handler, webhook_request

    handler = load_handler("ingest_event")
    request = webhook_request(community.community_id, english_community.webhook_secret, event("member_joined"))

    assert handler.lambda_handler(request, LambdaContext())["statusCode"] == 401


def test_stale_timestamp_and_garbage_signature_are_401(community, ingest):
    stale = ingest(community, event("member_joined"), at=datetime.now(UTC) - timedelta(minutes=10))
    assert stale["statusCode"] == 401

    from support import LambdaContext, load_handler, webhook_request

    handler = load_handler("ingest_event")
    request = webhook_request(community.community_id, community.webhook_secret, event("member_joined"))
    request["headers"]["webhook-signature"] = "v1,@@@not-base64@@@ garbage"
    assert handler.lambda_handler(request, LambdaContext())["statusCode"] == 401


def test_unknown_community_is_a_401_like_a_bad_signature(community, ingest):
    from support import LambdaContext, load_handler, webhook_request

    handler = load_handler("ingest_event")
    request = webhook_request("c_doesnotexist", community.webhook_secret, event("member_joined"))

    response = handler.lambda_handler(request, LambdaContext())
    assert response["statusCode"] == 401


def test_body_over_256_kib_is_a_413(community, ingest):
    body = event("post_created", body="x" * (256 * 1024))

    assert ingest(community, body)["statusCode"] == 413


def test_member_left_then_rejoined_keeps_the_membership_within_30_days(community, ingest, clock):
    from cerchia.store import get_store

    ingest(community, event("member_joined"))
    first = get_store().get_member(community.community_id, "u_1042").membership_started_at
    ingest(community, event("member_left"))
    rejoin = event("member_joined")
    rejoin["timestamp"] = "2026-12-10T09:00:00Z"
    clock.current = datetime(2026, 12, 10, 9, 0, tzinfo=UTC)  # an event arrives when it happens, not before
    ingest(community, rejoin)

    member = get_store().get_member(community.community_id, "u_1042")
    assert (member.status, member.membership_started_at) == ("active", first)


def test_leaders_are_the_founder_and_members_who_joined_as_leaders(community, ingest):
    from cerchia.store import get_store

    ingest(community, event("member_joined_leader", member_id="u_8", email="anna@example.com", name="Anna"))
    ingest(community, event("member_joined"))
    store = get_store()

    leaders = store.leaders(store.get_community(community.community_id))

    assert sorted(leader.name for leader in leaders) == ["Anna", "Marco Bianchi"]

    ingest(community, event("member_left", member_id="u_8"))
    assert [leader.name for leader in store.leaders(store.get_community(community.community_id))] == ["Marco Bianchi"]


def test_a_leader_who_also_joins_through_the_platform_is_one_leader(community, ingest):
    from cerchia.store import get_store

    ingest(community, event("member_joined_leader"))  # same address as the founder
    store = get_store()

    assert len(store.leaders(store.get_community(community.community_id))) == 1

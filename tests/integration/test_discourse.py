"""The Discourse connector under moto: Discourse-shaped signed deliveries and the state they leave."""

from __future__ import annotations

import json
from typing import Any

import pytest
from discourse_support import discourse_request, payload

from support import LambdaContext, load_handler


@pytest.fixture
def discourse() -> Any:
    module = load_handler("ingest_discourse_event")

    def post(community: Any, event_name: str, body: Any, **kwargs: Any) -> dict[str, Any]:
        request = discourse_request(
            community.community_id, kwargs.pop("secret", community.webhook_secret), event_name, body, **kwargs
        )
        response = dict(module.lambda_handler(request, LambdaContext()))
        response["json"] = json.loads(response["body"]) if response.get("body") else None
        return response

    return post


def _store() -> Any:
    from cerchia.store import get_store

    return get_store()


def test_user_created_becomes_an_active_member_with_its_discourse_id_name_email_and_locale(community, discourse):
    answer = discourse(community, "user_created", payload("user_created"))

    assert (answer["statusCode"], answer["json"]) == (202, {"status": "stored", "type": "member.joined"})
    member = _store().get_member(community.community_id, "42")
    assert (member.status, member.name, member.email, member.locale, member.role) == (
        "active",
        "Giulia Rossi",
        "giulia.rossi@example.com",
        "it",
        "member",
    )


def test_retried_user_created_with_a_new_event_id_sends_no_second_welcome(community, discourse, welcome, outbox):
    first = discourse(community, "user_created", payload("user_created"), event_id=101)
    welcome(community.community_id, "42")
    retry = discourse(community, "user_created", payload("user_created"), event_id=102)
    welcome(community.community_id, "42")

    assert (first["statusCode"], retry["statusCode"], retry["json"]["status"]) == (202, 200, "duplicate")
    [message] = outbox()
    assert message["To"].addresses[0].addr_spec == "giulia.rossi@example.com"
    assert message["X-Cerchia-Kind"] == "welcome"


def test_unconfirmed_user_is_kept_without_welcome_until_the_email_is_confirmed(community, discourse, welcome, outbox):
    unconfirmed = payload("user_created_unconfirmed")
    discourse(community, "user_created", unconfirmed)
    kept = _store().get_member(community.community_id, "43")
    welcome(community.community_id, "43")
    assert (kept.status, kept.name, outbox()) == ("provisional", "piero_b", [])

    unconfirmed["user"]["active"] = True
    discourse(community, "user_confirmed_email", unconfirmed)
    welcome(community.community_id, "43")

    assert _store().get_member(community.community_id, "43").status == "active"
    [message] = outbox()
    assert message["To"].addresses[0].addr_spec == "piero.b@example.com"


def test_admin_or_moderator_becomes_a_leader(community, discourse):
    discourse(community, "user_created", payload("user_created_admin"))

    assert _store().get_member(community.community_id, "7").role == "leader"
    assert "7" in _store().get_community(community.community_id).leader_ids


def test_user_without_email_is_a_400_naming_user_email(community, discourse):
    answer = discourse(community, "user_created", payload("user_created_without_email"))

    assert answer["statusCode"] == 400
    assert answer["json"]["fields"] == {"user.email": "missing"}
    assert "admin" in answer["json"]["error"]


def test_user_updated_changes_the_name_and_a_second_real_update_is_applied_too(community, discourse):
    discourse(community, "user_created", payload("user_created"))
    update = payload("user_updated")
    first = discourse(community, "user_updated", update)
    retry = discourse(community, "user_updated", update)
    update["user"]["name"] = "Giulia R."
    second = discourse(community, "user_updated", update)

    assert [first["statusCode"], retry["statusCode"], second["statusCode"]] == [202, 200, 202]
    assert _store().get_member(community.community_id, "42").name == "Giulia R."


def test_user_destroyed_means_the_member_left(community, discourse):
    discourse(community, "user_created", payload("user_created"))
    answer = discourse(community, "user_destroyed", payload("user_destroyed"))

    assert answer["json"]["type"] == "member.left"
    assert _store().get_member(community.community_id, "42").status == "left"


def test_first_post_is_a_post_on_its_topic_with_title_url_and_excerpt(community, discourse):
    answer = discourse(community, "post_created", payload("post_created_topic"))

    assert answer["json"] == {"status": "stored", "type": "post.created"}
    post = _store().get_post(community.community_id, "301")
    assert (post.title, post.url, post.author_id) == (
        "Lievito madre che non cresce",
        "https://forum.lievito.example/t/lievito-madre-che-non-cresce/301",
        "42",
    )
    assert post.excerpt.startswith("Il mio lievito madre non cresce")
    assert post.created_at.isoformat() == "2026-11-23T10:00:00+00:00"


def test_reply_by_someone_else_answers_the_topic_once_even_when_retried(community, discourse):
    discourse(community, "post_created", payload("post_created_topic"))
    answers = [
        discourse(community, "post_created", payload("post_created_reply"), event_id=n)["statusCode"] for n in (1, 2)
    ]

    post = _store().get_post(community.community_id, "301")
    assert answers == [202, 200]
    assert (post.reply_count, post.first_reply_at.isoformat()) == (1, "2026-11-23T13:30:00+00:00")


def test_own_reply_leaves_the_topic_unanswered(community, discourse):
    discourse(community, "post_created", payload("post_created_topic"))
    discourse(community, "post_created", payload("post_created_own_reply"))

    post = _store().get_post(community.community_id, "301")
    assert (post.reply_count, post.first_reply_at) == (1, None)


@pytest.mark.parametrize(
    ("event_name", "fixture"),
    [
        ("post_created", "post_created_pm"),
        ("post_created", "post_created_whisper"),
        ("post_created", "post_created_small_action"),
        ("post_created", "post_created_system"),
        ("ping", "ping"),
        ("topic_created", "topic_destroyed"),
    ],
)
def test_pms_whispers_small_actions_the_system_user_pings_and_other_events_are_ignored(
    community, discourse, event_name, fixture
):
    discourse(community, "post_created", payload("post_created_topic"))

    answer = discourse(community, event_name, payload(fixture))

    assert (answer["statusCode"], answer["json"]["status"]) == (200, "ignored")
    post = _store().get_post(community.community_id, "301")
    assert (post.reply_count, post.first_reply_at, post.deleted) == (0, None, False)
    assert _store().get_post(community.community_id, "401") is None
    assert _store().get_post(community.community_id, "501") is None


def test_like_of_the_first_post_is_a_reaction_counted_once(community, discourse):
    discourse(community, "post_created", payload("post_created_topic"))
    answers = [discourse(community, "post_liked", payload("post_liked"))["statusCode"] for _ in range(2)]

    assert answers == [202, 200]
    assert _store().get_post(community.community_id, "301").reactions == 1


@pytest.mark.parametrize(
    ("event_name", "fixture"), [("post_destroyed", "post_destroyed_topic"), ("topic_destroyed", "topic_destroyed")]
)
def test_deleting_the_first_post_or_the_topic_deletes_the_post(community, discourse, event_name, fixture):
    discourse(community, "post_created", payload("post_created_topic"))

    answer = discourse(community, event_name, payload(fixture))

    assert answer["json"]["type"] == "post.deleted"
    assert _store().get_post(community.community_id, "301").deleted is True


def test_wrong_signature_missing_signature_and_unknown_community_are_the_same_401(community, discourse):
    body = payload("user_created")
    wrong = discourse(community, "user_created", body, secret="whsec_not-the-secret")
    missing = discourse(community, "user_created", body, headers={"X-Discourse-Event-Signature": ""})
    unknown = discourse(type(community)("c_nobody", community.webhook_secret, ""), "user_created", body)

    assert [wrong["statusCode"], missing["statusCode"], unknown["statusCode"]] == [401, 401, 401]
    assert wrong["json"] == unknown["json"]
    assert _store().get_member(community.community_id, "42") is None


def test_form_encoded_body_is_a_415_saying_to_choose_json(community, discourse):
    answer = discourse(
        community,
        "user_created",
        b"payload=%7B%22user%22%3A%7B%7D%7D",
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )

    assert answer["statusCode"] == 415
    assert "application/json" in answer["json"]["error"]


def test_openapi_documents_the_discourse_route_its_headers_and_the_member_routes():
    from polls_support import with_json
    from support import http_event

    api = load_handler("manage_polls")
    document = with_json(
        api.lambda_handler(http_event("GET", "/v1/openapi.json", "/v1/openapi.json", {}), LambdaContext())
    )["json"]

    route = document["paths"]["/v1/communities/{community_id}/discourse"]["post"]
    headers = {parameter["name"] for parameter in route["parameters"] if parameter["in"] == "header"}
    assert {"x-discourse-event-signature", "x-discourse-event"} <= headers
    assert {"200", "202", "400", "401", "413", "415"} <= set(route["responses"])
    members = document["paths"]["/v1/communities/{community_id}/members/{member_id}"]
    assert set(members) == {"get", "delete"} and "204" in members["delete"]["responses"]
    imported = document["paths"]["/v1/communities/{community_id}/members:import"]["post"]
    assert imported["security"] == [{"leaderApiKey": []}]


def test_connect_discourse_prints_the_webhook_form_and_keeps_the_forum_url(community, monkeypatch, capsys):
    import argparse

    from cerchia_infra import cli_members

    monkeypatch.setattr(cli_members, "use_stack", lambda args: None)  # moto is the stack here
    monkeypatch.setattr(cli_members, "api_url", lambda args: "https://api.cerchia.example")
    args = argparse.Namespace(
        state_dir=None, stack_name="cerchia-test", region=None, community_id=community.community_id,
        instance_url="https://forum.lievito.example/",
    )  # fmt: skip

    assert cli_members.run_connect_discourse(args) == 0

    printed = capsys.readouterr().out
    assert f"Payload URL:   https://api.cerchia.example/v1/communities/{community.community_id}/discourse" in printed
    assert "Content Type:  application/json" in printed
    assert f"Secret:        {community.webhook_secret}" in printed
    assert "Users: user_created, user_approved, user_confirmed_email, user_updated, user_destroyed" in printed
    assert "Likes: post_liked" in printed
    assert _store().get_community(community.community_id).community_url == "https://forum.lievito.example"


def test_connect_discourse_refuses_an_instance_url_that_is_not_a_web_address(community):
    import argparse

    from cerchia_infra.cli import CliError
    from cerchia_infra.cli_members import run_connect_discourse

    args = argparse.Namespace(state_dir=None, stack_name="s", region=None, community_id="c", instance_url="forum")

    with pytest.raises(CliError, match="must be the forum's address"):
        run_connect_discourse(args)


def test_a_signed_body_nested_100000_deep_is_a_400_not_a_server_error(community, discourse):
    nested = b"[" * 100_000 + b"]" * 100_000

    answer = discourse(community, "post_created", nested)

    assert answer["statusCode"] == 400
    assert answer["json"]["fields"] == {"body": "nested too deeply"}

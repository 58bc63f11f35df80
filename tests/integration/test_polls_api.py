"""The leader API under moto: create (201), wrong key (401), bad input (400 naming fields), read, OpenAPI."""

from __future__ import annotations

import json
from datetime import timedelta

import jsonschema
import pytest
import yaml

from polls_support import PollsWorld, iso, poll_request
from support import ROOT


@pytest.fixture
def polls(community, clock, ingest, monkeypatch):
    return PollsWorld.start(community, clock, ingest, monkeypatch)


def _schema(document, name):
    """A component of the document as a JSON Schema that resolves the document's own $refs."""
    return {"$ref": f"#/components/schemas/{name}", "components": document["components"]}


def test_create_answers_201_with_a_poll_id_and_schedules_the_send(polls, clock):
    from cerchia.store import get_store

    answer = polls.create_poll(poll_request(send_at="2026-11-23T10:00:00+01:00"))

    assert answer["statusCode"] == 201
    poll_id = answer["json"]["poll_id"]
    assert poll_id.startswith("p_")
    job = get_store().get_job("poll", poll_id)
    assert job is not None and job.due == clock.now() + timedelta(hours=1)  # 10:00 in Rome is 09:00 UTC


def test_read_shows_question_status_and_zero_tallies_before_send(polls, clock):
    poll_id = polls.create_poll(
        poll_request(send_at=iso(clock.now() + timedelta(hours=2)), close_at=iso(clock.now() + timedelta(days=3)))
    )["json"]["poll_id"]

    answer = polls.read_poll(poll_id)

    assert answer["statusCode"] == 200
    assert answer["json"] | {"send_at": None, "close_at": None} == {
        "poll_id": poll_id,
        "question": "Quale giorno preferite per il laboratorio di lievito madre?",
        "kind": "single",
        "status": "scheduled",
        "anonymous": False,
        "send_at": None,
        "close_at": None,
        "eligible": 0,
        "ballots": 0,
        "participation": 0.0,
        "options": [
            {"label": "Sabato mattina", "votes": 0},
            {"label": "Sabato pomeriggio", "votes": 0},
            {"label": "Domenica mattina", "votes": 0},
        ],
    }


def test_wrong_key_gets_401_with_a_sentence_even_with_a_bad_body(polls):
    wrong = polls.create_poll(poll_request(), key="ck_not-the-key")
    wrong_and_bad = polls.create_poll(poll_request("polls_create_one_option"), key="ck_not-the-key")
    unknown_community = polls.create_poll(poll_request(), community_id="c_nobody")

    assert [wrong["statusCode"], wrong_and_bad["statusCode"], unknown_community["statusCode"]] == [401, 401, 401]
    assert "Authorization: Bearer" in wrong["json"]["error"]
    assert wrong_and_bad["json"]["fields"] == {}


def test_one_option_gets_400_naming_options(polls):
    answer = polls.create_poll(poll_request("polls_create_one_option"))

    assert answer["statusCode"] == 400
    assert list(answer["json"]["fields"]) == ["options"]
    assert "options" in answer["json"]["error"]


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"options": [f"Option {n}" for n in range(11)]}, "options"),
        ({"options": ["Rye", "rye"]}, "options"),
        ({"kind": "ranked"}, "kind"),
        ({"question": ""}, "question"),
        ({"close_at": "2026-11-23T08:30:00Z"}, "close_at"),
        ({"close_at": "next friday"}, "close_at"),
        ({"close_at": "2026-11-28T18:00:00"}, "close_at"),
        ({"send_at": "2026-11-01T08:00:00Z"}, "send_at"),
        ({"colour": "red"}, "colour"),
        ({"kind": "scale", "options": ["Bad", "OK", "Good"]}, "options"),
    ],
)
def test_bad_input_gets_400_naming_the_field(polls, changes, field):
    answer = polls.create_poll(poll_request(**changes))

    assert answer["statusCode"] == 400
    assert field in answer["json"]["fields"], answer["json"]


def test_a_body_that_is_not_json_gets_400(polls):
    answer = polls.create_poll(b'{"question": "Half a')

    assert answer["statusCode"] == 400
    assert answer["json"]["fields"]


def test_unknown_poll_is_404_and_other_communities_polls_are_invisible(polls, english_community):
    poll_id = polls.scheduled_poll()

    missing = polls.read_poll("p_000000000000")
    foreign = polls.read_poll(poll_id, key=english_community.api_key)

    assert missing["statusCode"] == 404 and "p_000000000000" in missing["json"]["error"]
    assert foreign["statusCode"] == 401


def test_scale_poll_reads_with_labelled_ends(polls):
    scale_id = polls.create_poll(
        poll_request("polls_create_scale", send_at=None, close_at=iso(polls.clock.now() + timedelta(days=2)))
    )["json"]["poll_id"]

    answer = polls.read_poll(scale_id)

    assert [option["label"] for option in answer["json"]["options"]] == [
        "1 – Not useful at all",
        "2",
        "3",
        "4",
        "5 – Extremely useful",
    ]
    assert answer["json"]["anonymous"] is True


# ---------------------------------------------------------------------- the OpenAPI document stays true


def test_openapi_document_is_served_and_valid_openapi_3_1(polls):
    openapi_spec_validator = pytest.importorskip("openapi_spec_validator")

    answer = polls.openapi()

    assert answer["statusCode"] == 200
    openapi_spec_validator.validate(answer["json"])
    assert answer["json"]["openapi"].startswith("3.1")


def test_openapi_documents_exactly_the_v1_routes_of_the_template(polls):
    document = polls.openapi()["json"]
    template = yaml.load((ROOT / "template.yaml").read_text(), Loader=_CfnLoader)
    routes = {
        (event["Properties"]["Method"].lower(), event["Properties"]["Path"])
        for resource in template["Resources"].values()
        if resource.get("Type") == "AWS::Serverless::Function"
        for event in (resource["Properties"].get("Events") or {}).values()
        if event.get("Type") == "HttpApi" and event["Properties"]["Path"].startswith("/v1/")
    }

    documented = {(method, path) for path, operations in document["paths"].items() for method in operations}

    assert documented == routes


def test_openapi_says_what_the_api_really_answers(polls, clock):
    document = polls.openapi()["json"]
    operations = document["paths"]
    created = polls.create_poll(poll_request())
    bad = polls.create_poll(poll_request("polls_create_one_option"))
    wrong_key = polls.create_poll(poll_request(), key="ck_wrong")
    read = polls.read_poll(created["json"]["poll_id"])

    create_responses = operations["/v1/communities/{community_id}/polls"]["post"]["responses"]
    read_responses = operations["/v1/communities/{community_id}/polls/{poll_id}"]["get"]["responses"]
    for answer, responses in (
        (created, create_responses),
        (bad, create_responses),
        (wrong_key, create_responses),
        (read, read_responses),
    ):
        documented = responses[str(answer["statusCode"])]["content"]["application/json"]["schema"]
        jsonschema.validate(answer["json"], {**documented, "components": document["components"]})
    assert "422" not in json.dumps({path: list(ops) for path, ops in operations.items()})
    jsonschema.validate(poll_request("polls_create_multiple"), _schema(document, "NewPoll"))
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(poll_request("polls_create_one_option"), _schema(document, "NewPoll"))


def test_openapi_declares_415_503_with_retry_after_and_the_idempotency_key(polls):
    from support import LambdaContext, http_event

    document = polls.openapi()["json"]
    create = document["paths"]["/v1/communities/{community_id}/polls"]["post"]
    community_id = polls.community.community_id
    request = http_event(
        "POST",
        f"/v1/communities/{community_id}/polls",
        "/v1/communities/{community_id}/polls",
        {"community_id": community_id},
        json.dumps(poll_request()).encode(),
        {"authorization": f"Bearer {polls.community.api_key}", "content-type": "text/plain"},
    )

    not_json = polls.api.lambda_handler(request, LambdaContext())

    assert not_json["statusCode"] == 415
    declared = create["responses"]["415"]["content"]["application/json"]["schema"]
    jsonschema.validate(json.loads(not_json["body"]), {**declared, "components": document["components"]})
    assert "Content-Type: application/json" in json.loads(not_json["body"])["error"]
    assert {"413", "415", "503"} <= set(create["responses"])
    for operation in (create, document["paths"]["/v1/communities/{community_id}/events"]["post"]):
        assert set(operation["responses"]["503"]["headers"]) == {"Retry-After"}
    [header] = [parameter for parameter in create["parameters"] if parameter["in"] == "header"]
    assert header["name"].lower() == "idempotency-key" and header["required"] is False


def test_openapi_describes_the_webhook_and_the_leader_key(polls):
    document = polls.openapi()["json"]

    webhook = document["paths"]["/v1/communities/{community_id}/events"]["post"]
    headers = {parameter["name"] for parameter in webhook["parameters"] if parameter["in"] == "header"}
    assert headers == {"webhook-id", "webhook-timestamp", "webhook-signature"}
    assert set(webhook["responses"]) == {"200", "202", "400", "401", "413", "503"}
    jsonschema.validate(
        json.loads((ROOT / "tests/events/member_joined.json").read_text()), _schema(document, "WebhookBody")
    )
    assert document["components"]["securitySchemes"]["leaderApiKey"] == {
        "type": "http",
        "scheme": "bearer",
        "description": "The community's API key, from `cerchia community create`.",
    }


class _CfnLoader(yaml.SafeLoader):
    """Reads template.yaml's short-form intrinsics (!Ref, !Sub...) as plain values."""


_CfnLoader.add_multi_constructor("!", lambda loader, suffix, node: None)


def test_a_retried_create_with_the_same_idempotency_key_gives_the_same_poll_once(polls, clock):
    from cerchia.store import get_store
    from cerchia.store.polls import get_poll

    body = poll_request(send_at=iso(clock.now() + timedelta(hours=1)), close_at=iso(clock.now() + timedelta(days=3)))

    first = polls.create_poll(body, idempotency_key="retry-me-1")
    get_store().finish_job(get_store().get_job("poll", first["json"]["poll_id"]), None)  # as if it died unscheduled
    second = polls.create_poll(body, idempotency_key="retry-me-1")
    other = polls.create_poll({**body, "question": "Something else entirely?"}, idempotency_key="retry-me-1")

    assert (first["statusCode"], second["statusCode"]) == (201, 201)
    assert first["json"]["poll_id"] == second["json"]["poll_id"]
    assert get_poll(get_store(), polls.community.community_id, first["json"]["poll_id"]) is not None
    assert get_store().get_job("poll", first["json"]["poll_id"]) is not None  # the retry scheduled it again
    assert other["statusCode"] == 400 and "Idempotency-Key" in other["json"]["fields"]


def test_without_a_key_two_creates_are_two_polls(polls, clock):
    body = poll_request(send_at=iso(clock.now() + timedelta(hours=1)), close_at=iso(clock.now() + timedelta(days=3)))

    assert polls.create_poll(body)["json"]["poll_id"] != polls.create_poll(body)["json"]["poll_id"]

"""The composition root: settings and clients built once, configured without the environment, one reset()."""

from __future__ import annotations

import os

import pytest

from cerchia import runtime, settings
from cerchia.settings import Settings


@pytest.fixture(autouse=True)
def fresh(monkeypatch):
    monkeypatch.setenv("AWS_DEFAULT_REGION", "eu-west-1")
    monkeypatch.setenv("TABLE_NAME", "from-the-environment")
    monkeypatch.setenv("LINK_SECRET", "environment-secret")
    runtime.reset()
    yield
    runtime.reset()


def test_settings_come_from_the_environment_once_until_reset(monkeypatch):
    first = settings.get_settings()
    monkeypatch.setenv("TABLE_NAME", "changed")

    assert first.table_name == "from-the-environment"
    assert settings.get_settings() is first
    runtime.reset()
    assert settings.get_settings().table_name == "changed"


def test_a_tool_configures_settings_and_aws_without_writing_the_environment():
    before = dict(os.environ)

    runtime.configure(
        settings=Settings(table_name="cli-table", link_secret="cli-secret"),
        aws=runtime.AwsTarget(
            endpoint_url="http://127.0.0.1:1", region="eu-south-1", access_key_id="a", secret_access_key="b"
        ),
    )

    assert (runtime.get_settings().table_name, runtime.link_secret()) == ("cli-table", "cli-secret")
    client = runtime.dynamodb()
    assert (client.meta.endpoint_url, client.meta.region_name) == ("http://127.0.0.1:1", "eu-south-1")
    assert runtime.dynamodb() is client
    assert dict(os.environ) == before


def test_reset_forgets_clients_caches_and_configuration():
    runtime.configure(settings=Settings(table_name="cli-table"), aws=runtime.AwsTarget(region="eu-south-1"))
    client = runtime.sqs()
    runtime.cache("anything")["kept"] = 1
    built = runtime.remember("thing", object)

    runtime.reset()

    assert runtime.cache("anything") == {}
    assert runtime.remember("thing", object) is not built
    assert runtime.sqs() is not client
    assert runtime.get_settings().table_name == "from-the-environment"
    assert runtime.aws_target() == runtime.AwsTarget()


def test_no_link_secret_is_an_error_that_says_what_to_set(monkeypatch):
    monkeypatch.delenv("LINK_SECRET")
    monkeypatch.delenv("LINK_SECRET_ARN", raising=False)
    runtime.reset()

    with pytest.raises(RuntimeError, match="LINK_SECRET or LINK_SECRET_ARN"):
        runtime.link_secret()

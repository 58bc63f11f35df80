"""What one execution environment builds once and keeps: the composition root.

A Lambda execution environment serves many invocations; whatever is worth keeping between them
(AWS clients, the link secret, the store, per-chunk caches) lives here, so there is one place that
knows it and one `reset()` that forgets it all (tests, the local stack between runs).

In Lambda everything comes from the environment. A tool that drives a stack from outside (the CLI)
calls `configure(settings=..., aws=...)` instead of writing `os.environ`.

Other layers keep what they build in `cache("<name>")` or `remember("<name>", build)`:

    def get_store() -> Store:
        return runtime.remember("store", lambda: Store(runtime.dynamodb(), get_settings().table_name))
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TypeVar

import boto3
from botocore.config import Config

from cerchia import settings as configuration
from cerchia.settings import Settings

if TYPE_CHECKING:
    from mypy_boto3_dynamodb.client import DynamoDBClient
    from mypy_boto3_sesv2.client import SESV2Client

Built = TypeVar("Built")

_caches: dict[str, dict[Any, Any]] = {}
_KEPT = "runtime"  # this module's own cache: clients, the link secret, the AWS target


@dataclass(frozen=True)
class AwsTarget:
    """Where this process's AWS clients go; a field left None is resolved by boto3 as usual (the environment)."""

    endpoint_url: str | None = None
    region: str | None = None
    access_key_id: str | None = None
    secret_access_key: str | None = None


def cache(name: str) -> dict[Any, Any]:
    """A named cache kept for the life of the execution environment, emptied by `reset()`."""
    return _caches.setdefault(name, {})


def remember(name: str, build: Callable[[], Built]) -> Built:
    """The value `build()` made the first time `name` was asked for in this environment (until `reset()`)."""
    kept = cache(_KEPT)
    if name not in kept:
        kept[name] = build()
    return kept[name]  # type: ignore[no-any-return]


def configure(*, settings: Settings | None = None, aws: AwsTarget | None = None) -> None:
    """Use these settings and this AWS target instead of the environment's, until `reset()`.

    For tools that drive a stack from outside it (the CLI): nothing is written to `os.environ`.
    """
    reset()
    configuration.use(settings)
    if aws is not None:
        cache(_KEPT)["aws-target"] = aws


def reset() -> None:
    """Forget everything this environment has built, cached or been configured with."""
    for kept in _caches.values():
        kept.clear()
    configuration.use(None)


def get_settings() -> Settings:
    """This process's settings (the same as `cerchia.settings.get_settings`)."""
    return configuration.get_settings()


# ---------------------------------------------------------------------- AWS clients


def aws_target() -> AwsTarget:
    return cache(_KEPT).get("aws-target") or AwsTarget()


def client(service: str) -> Any:
    """The boto3 client of `service` for this environment, built once (cold starts are part of the product)."""
    return remember(f"client:{service}", lambda: _build_client(service))


def _build_client(service: str) -> Any:
    target = aws_target()
    # Throttling is retried here by botocore and again by the callers' own backoff where they have one.
    retries = Config(retries={"mode": "standard", "max_attempts": 6}, connect_timeout=3, read_timeout=10)
    return boto3.client(
        service,  # type: ignore[call-overload]
        config=retries,
        endpoint_url=target.endpoint_url,
        region_name=target.region,
        aws_access_key_id=target.access_key_id,
        aws_secret_access_key=target.secret_access_key,
    )


def dynamodb() -> DynamoDBClient:
    return client("dynamodb")  # type: ignore[no-any-return]


def sesv2() -> SESV2Client:
    return client("sesv2")  # type: ignore[no-any-return]


def sqs() -> Any:
    return client("sqs")


def link_secret() -> str:
    """The key that signs links: from the settings, else from Secrets Manager (read once)."""
    return remember("link-secret", _read_link_secret)


def _read_link_secret() -> str:
    settings = get_settings()
    if settings.link_secret:
        return settings.link_secret
    if not settings.link_secret_arn:
        raise RuntimeError("Set LINK_SECRET or LINK_SECRET_ARN so Cerchia can sign links in emails.")
    return str(client("secretsmanager").get_secret_value(SecretId=settings.link_secret_arn)["SecretString"])

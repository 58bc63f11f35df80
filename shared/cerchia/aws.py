"""AWS clients, built lazily once per process (cold starts are part of the product)."""

from __future__ import annotations

from functools import lru_cache
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from mypy_boto3_dynamodb.client import DynamoDBClient
    from mypy_boto3_sesv2.client import SESV2Client


def _config(**extra: Any) -> Any:
    from botocore.config import Config

    return Config(retries={"mode": "standard", "max_attempts": 6}, connect_timeout=3, read_timeout=10, **extra)


@lru_cache(maxsize=1)
def dynamodb() -> DynamoDBClient:
    import boto3

    return boto3.client("dynamodb", config=_config())


@lru_cache(maxsize=1)
def sesv2() -> SESV2Client:
    import boto3

    # Throttling is retried here by botocore and again by the mailer's own backoff.
    return boto3.client("sesv2", config=_config())


@lru_cache(maxsize=1)
def sqs() -> Any:
    import boto3

    return boto3.client("sqs", config=_config())


@lru_cache(maxsize=1)
def link_secret() -> str:
    """The key that signs links: from the environment, else from Secrets Manager (cached)."""
    from cerchia.settings import get_settings

    settings = get_settings()
    if settings.link_secret:
        return settings.link_secret
    if not settings.link_secret_arn:
        raise RuntimeError("Set LINK_SECRET or LINK_SECRET_ARN so Cerchia can sign links in emails.")
    import boto3

    secrets = boto3.client("secretsmanager", config=_config())
    return secrets.get_secret_value(SecretId=settings.link_secret_arn)["SecretString"]


def reset() -> None:
    dynamodb.cache_clear()
    sesv2.cache_clear()
    sqs.cache_clear()
    link_secret.cache_clear()

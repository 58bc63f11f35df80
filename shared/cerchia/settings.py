"""Configuration from the environment, validated once per process on first use.

A plain pydantic model read from `os.environ` (each field from its upper-case variable): what
pydantic-settings would do here, without its import on every cold start.
"""

from __future__ import annotations

import os
from functools import lru_cache

from pydantic import BaseModel, ConfigDict, Field


class Settings(BaseModel):
    """What every function may need. Names match template.yaml's environment variables."""

    model_config = ConfigDict(extra="ignore", frozen=True, defer_build=True)

    table_name: str = Field(min_length=1)
    stage: str = "dev"
    sender_address: str = "cerchia@example.org"
    sender_name: str = "Cerchia"
    # Base URL of the HTTP API for links in emails; functions behind the API derive it from the request.
    public_base_url: str = ""
    configuration_set: str = ""
    # Link signing key: given directly (local stack, tests) or read from Secrets Manager by ARN.
    link_secret: str = ""
    link_secret_arn: str = ""
    # Where jobs put chunks of members to email (the delivery queue).
    delivery_queue_url: str = ""
    # Upper bound on SES sends per second from one worker (0 = no limit beyond SES's own).
    max_send_rate: float = 0.0


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    variables = {name: os.environ[name.upper()] for name in Settings.model_fields if name.upper() in os.environ}
    return Settings.model_validate(variables)


def reset() -> None:
    """Forget cached settings and clients (tests and the local stack change the environment)."""
    get_settings.cache_clear()
    from cerchia import aws
    from cerchia.store.table import get_store

    aws.reset()
    get_store.cache_clear()

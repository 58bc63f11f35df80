"""Configuration from the environment, validated once per process on first use.

A plain pydantic model read from `os.environ` (each field from its upper-case variable): what
pydantic-settings would do here, without its import on every cold start. A tool driving a stack
from outside (the CLI) installs its own with `cerchia.runtime.configure(settings=...)` instead of
writing the environment; `cerchia.runtime.reset()` forgets either.
"""

from __future__ import annotations

import os
from collections.abc import Mapping

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

    @classmethod
    def from_environment(cls, environ: Mapping[str, str] = os.environ) -> Settings:
        """The settings the variables of `environ` give (TABLE_NAME, STAGE, ...)."""
        return cls.model_validate({name: environ[name.upper()] for name in cls.model_fields if name.upper() in environ})


# The settings in use: installed by `use`, else read from the environment on first use. This layer
# sits below `cerchia.runtime`, so it keeps the one value itself; `runtime.reset()` calls `use(None)`.
_in_use: list[Settings] = []


def get_settings() -> Settings:
    if not _in_use:
        _in_use.append(Settings.from_environment())
    return _in_use[0]


def use(settings: Settings | None) -> None:
    """Use these settings from now on; None: read the environment again on next use (`runtime.reset()`)."""
    _in_use.clear()
    if settings is not None:
        _in_use.append(settings)

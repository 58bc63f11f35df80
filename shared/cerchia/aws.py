"""The AWS clients, under the names callers have always used; they are built and kept by `cerchia.runtime`."""

from __future__ import annotations

from cerchia.runtime import dynamodb, link_secret, sesv2, sqs

__all__ = ["dynamodb", "link_secret", "sesv2", "sqs"]

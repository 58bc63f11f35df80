"""Signed, expiring, purpose-bound tokens for the links in emails.

A token names its purpose (unsubscribe, vote, preferences...), the community and member it is
for, and when it expires; the signature covers all of it, so a token for one purpose or
member is worthless for another.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from cerchia.errors import InvalidLink


def _serializer(secret: str, purpose: str) -> Any:
    from itsdangerous import URLSafeSerializer

    return URLSafeSerializer(secret, salt=f"cerchia.{purpose}")


def sign(secret: str, purpose: str, claims: dict[str, Any], expires_at: datetime) -> str:
    return str(_serializer(secret, purpose).dumps({**claims, "exp": int(expires_at.timestamp())}))


def verify(secret: str, purpose: str, token: str, now: datetime) -> dict[str, Any]:
    """The claims of a valid token. Raises InvalidLink for forged, altered, foreign or expired ones."""
    from itsdangerous import BadSignature

    try:
        claims = _serializer(secret, purpose).loads(token)
    except (BadSignature, UnicodeDecodeError, ValueError):
        raise InvalidLink("This link is not valid.") from None
    if not isinstance(claims, dict) or not isinstance(claims.get("exp"), int):
        raise InvalidLink("This link is not valid.")
    if claims["exp"] < now.timestamp():
        raise InvalidLink("This link has expired.")
    return claims

"""Signed, expiring, purpose-bound tokens for the links in emails.

A token names its purpose (unsubscribe, vote, preferences...), the community and member it is
for, and when it expires; the signature covers all of it, so a token for one purpose or
member is worthless for another.
"""

from __future__ import annotations

import secrets
from datetime import datetime, timedelta
from typing import Any

from itsdangerous import BadSignature, URLSafeSerializer

from cerchia import runtime
from cerchia.errors import InvalidLink

# A console sign-in link (`/l/open/{token}`): made here so that the emails of lower layers can
# carry one; opened (and used once) by cerchia.console.sessions, whose LINK_PURPOSE and OPEN_PATH
# are these.
CONSOLE_LINK_PURPOSE = "console-link"
CONSOLE_OPEN_PATH = "/l/open/"
# A member's preference page stays reachable from any email of the past year.
PREFERENCES_LINK_LIFETIME = timedelta(days=365)


def _serializer(secret: str, purpose: str) -> URLSafeSerializer:
    return URLSafeSerializer(secret, salt=f"cerchia.{purpose}")


def sign(secret: str, purpose: str, claims: dict[str, Any], expires_at: datetime) -> str:
    return str(_serializer(secret, purpose).dumps({**claims, "exp": int(expires_at.timestamp())}))


def verify(secret: str, purpose: str, token: str, now: datetime) -> dict[str, Any]:
    """The claims of a valid token. Raises InvalidLink for forged, altered, foreign or expired ones."""
    try:
        claims = _serializer(secret, purpose).loads(token)
    except (BadSignature, UnicodeDecodeError, ValueError):
        raise InvalidLink("This link is not valid.") from None
    if not isinstance(claims, dict) or not isinstance(claims.get("exp"), int):
        raise InvalidLink("This link is not valid.")
    if claims["exp"] < now.timestamp():
        raise InvalidLink("This link has expired.")
    return claims


def console_link_path(community_id: str, leader_id: str, now: datetime, lifetime: timedelta) -> str:
    """The path `/l/open/{token}` of a fresh single-use console link (nothing is written until it is used)."""
    link_id = secrets.token_urlsafe(12)
    claims = {"c": community_id, "l": leader_id, "j": link_id}
    return CONSOLE_OPEN_PATH + sign(runtime.link_secret(), CONSOLE_LINK_PURPOSE, claims, now + lifetime)

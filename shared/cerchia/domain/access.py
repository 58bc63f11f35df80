"""Who may act for a community: leaders' API keys (kept hashed, checked) and who leads it now."""

from __future__ import annotations

import hashlib
import hmac

from cerchia.domain.models import FOUNDER, Community, Member
from cerchia.errors import Unauthorized


def hash_api_key(api_key: str) -> str:
    # API keys are 256-bit random strings, so a plain SHA-256 is enough (no password stretching needed).
    return hashlib.sha256(api_key.encode()).hexdigest()


def authenticate_leader(community: Community | None, authorization: str | None) -> Community:
    """The community whose API key is presented as `Bearer <key>`; Unauthorized otherwise."""
    scheme, _, key = (authorization or "").partition(" ")
    if community is None or scheme.lower() != "bearer" or not key:
        raise Unauthorized("A valid API key is required.")
    if not hmac.compare_digest(hash_api_key(key.strip()), community.api_key_hash):
        raise Unauthorized("A valid API key is required.")
    return community


def is_leader(community: Community | None, member: Member | None) -> bool:
    """Whether the member leads the community now (an active member with the leader role)."""
    if community is None or member is None or member.status != "active" or member.role != "leader":
        return False
    return member.member_id == FOUNDER or member.member_id in community.leader_ids

"""The signed links in a nudge: "I'll answer it" (claim) and "No reply needed" (dismiss)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from cerchia import aws, links
from cerchia.domain.nudges import LINK_LIFETIME, SETTLED_BY, LinkAction
from cerchia.errors import InvalidLink
from cerchia.mail.compose import signed_link

PURPOSE = "nudge"
PATH = "/n/"


@dataclass(frozen=True)
class NudgeLinkClaims:
    """What a nudge link says: which leader may do what to which post."""

    community_id: str
    post_id: str
    leader_id: str
    action: str  # a key of SETTLED_BY


def nudge_link(community_id: str, post_id: str, leader_id: str, action: LinkAction, now: datetime) -> str:
    return signed_link(
        PURPOSE, PATH, {"c": community_id, "p": post_id, "l": leader_id, "a": action}, now + LINK_LIFETIME
    )


def read_nudge_link(token: str, now: datetime) -> NudgeLinkClaims | None:
    """The link's claims; None if it was changed, has expired or asks for no action we know."""
    try:
        claims = links.verify(aws.link_secret(), PURPOSE, token, now)
    except InvalidLink:
        return None
    action = claims.get("a")
    if action not in SETTLED_BY:
        return None
    return NudgeLinkClaims(str(claims["c"]), str(claims["p"]), str(claims["l"]), str(action))

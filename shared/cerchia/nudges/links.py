"""The signed links in a nudge: "I'll answer it" (claim) and "No reply needed" (dismiss)."""

from __future__ import annotations

from datetime import datetime

from cerchia.domain.nudges import LINK_LIFETIME, LinkAction
from cerchia.mail.compose import signed_link

PURPOSE = "nudge"
PATH = "/n/"


def nudge_link(community_id: str, post_id: str, leader_id: str, action: LinkAction, now: datetime) -> str:
    return signed_link(
        PURPOSE, PATH, {"c": community_id, "p": post_id, "l": leader_id, "a": action}, now + LINK_LIFETIME
    )

"""What Cerchia keeps about communities, members and posts."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

MemberStatus = Literal["active", "left", "provisional"]

# The member row `cerchia community create` writes for the leader it names (the founder).
FOUNDER = "founder"


class Community(BaseModel):
    model_config = ConfigDict(frozen=True, defer_build=True)

    community_id: str
    name: str
    purpose: str = ""
    timezone: str = "UTC"
    locale: str = "en"
    leader_name: str = ""
    leader_email: str = ""
    # Where replies to the emails in the leader's voice go (welcome, newcomer, poll); "" = leader_email.
    reply_to: str = ""
    webhook_secret: str = ""
    # After a rotation (the console), the previous secret still verifies webhooks until this instant.
    previous_webhook_secret: str = ""
    previous_webhook_secret_until: datetime | None = None
    api_key_hash: str = ""
    created_at: datetime | None = None
    # How long a post may wait for an answer before leaders are nudged (hours, 1-336).
    unanswered_after_hours: int = Field(default=24, ge=1, le=336)
    # Members with role leader (kept by ingest) so leaders are found without reading every member.
    leader_ids: frozenset[str] = frozenset()
    # Nudges (issue 3): whether leaders' own posts are nudged too; when a quiet newcomer is noticed
    # (days after joining); the quiet hours of leaders who set none (local hours, start inclusive).
    include_leader_posts: bool = False
    newcomer_after_days: int = Field(default=3, ge=1, le=60)
    quiet_start_hour: int = Field(default=21, ge=0, le=23)
    quiet_end_hour: int = Field(default=8, ge=0, le=23)
    # Digests (issue 5): the weekday (ISO: 1 = Monday ... 7 = Sunday) and local hour at which the
    # weekly digest goes out, in the community's time zone (members with their own zone: in theirs).
    digest_day: int = Field(default=1, ge=1, le=7)
    digest_hour: int = Field(default=9, ge=0, le=23)
    # Where members find the community, and where newcomers introduce themselves (http or https, or empty).
    community_url: str = Field(default="", max_length=500, pattern=r"^(https?://[^\s]+)?$")
    intro_url: str = Field(default="", max_length=500, pattern=r"^(https?://[^\s]+)?$")


class Member(BaseModel):
    model_config = ConfigDict(frozen=True, defer_build=True)

    community_id: str
    member_id: str
    email: str = ""
    name: str = ""
    # The name emails greet them by ("Ciao Giulia,"); empty: the first word of `name`.
    first_name: str = ""
    locale: str | None = None
    timezone: str | None = None
    role: Literal["member", "leader"] = "member"
    status: MemberStatus = "active"
    joined_at: datetime | None = None
    left_at: datetime | None = None
    # Start of the current membership; a rejoin within the grace period keeps it (no second welcome).
    membership_started_at: datetime | None = None
    # Set by `members import`: the membership brought in from the platform, which gets no welcome.
    imported_membership: datetime | None = None
    unsubscribed: bool = False
    # Preferences (member page): digest cadence, poll emails; for leaders, nudges and quiet hours.
    digest: Literal["weekly", "biweekly", "off"] = "weekly"
    polls: bool = True
    nudges: bool = True
    quiet_start_hour: int | None = Field(default=None, ge=0, le=23)
    quiet_end_hour: int | None = Field(default=None, ge=0, le=23)
    version: int = 0


class Post(BaseModel):
    model_config = ConfigDict(frozen=True, defer_build=True)

    community_id: str
    post_id: str
    author_id: str = ""
    title: str = ""
    url: str = ""
    excerpt: str = ""
    created_at: datetime | None = None
    reply_count: int = 0
    reactions: int = 0
    repliers: frozenset[str] = frozenset()
    first_reply_at: datetime | None = None
    deleted: bool = False
    # True until post.created arrives (replies or reactions came first).
    placeholder: bool = False
    version: int = 0

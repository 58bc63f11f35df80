"""What one feature hands another: a poll as a digest shows it, built by the polls feature."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from pydantic import BaseModel, ConfigDict


class PollOption(BaseModel):
    model_config = ConfigDict(frozen=True, defer_build=True)

    label: str
    votes: int = 0
    share: float = 0.0  # of ballots, 0..1
    url: str = ""


class PollCard(BaseModel):
    """A poll as the digest shows it: results with bars (closed) or one button per option (open)."""

    model_config = ConfigDict(frozen=True, defer_build=True)

    poll_id: str = ""
    question: str
    kind: str = "single"
    options: list[PollOption]
    ballots: int = 0
    eligible: int = 0
    url: str = ""  # the ballot page (multiple choice, or any poll without per-option links)
    voted: bool = False  # open polls: this member answered already (and may change it until close)
    closed_at: datetime | None = None

    @property
    def participation(self) -> float | None:
        return self.ballots / self.eligible if self.eligible else None


@dataclass(frozen=True)
class PollCards:
    """The polls a digest of one week shows: closed in the week (results), and open now (buttons)."""

    closed: list[PollCard] = field(default_factory=list)
    open: list[PollCard] = field(default_factory=list)

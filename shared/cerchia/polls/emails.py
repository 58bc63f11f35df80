"""The poll's emails: the poll itself (one button per option), its reminder, and its results."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from cerchia.domain import rules
from cerchia.domain.ballots import asked_it
from cerchia.domain.models import Community, Member
from cerchia.domain.polls import Poll
from cerchia.domain.tallies import option_labels, tally
from cerchia.i18n import translator
from cerchia.mail.compose import Recipient, compose
from cerchia.mail.mime import Outgoing
from cerchia.polls.vote_links import vote_url
from cerchia.polls.wording import results_line, when
from cerchia.store import get_store


def compose_poll_email(kind: str, community: Community, poll: Poll, member: Member, now: datetime) -> Outgoing:
    """The poll, its reminder or its results, for one member, in their language."""
    locale = rules.resolve_locale(member.locale, community.locale)
    t = translator(locale)
    timezone = member.timezone or community.timezone
    recipient = Recipient.for_member(member, is_leader=member.role == "leader")
    context: dict[str, Any] = {
        "poll": poll,
        "member": member,
        "asker": asker_name(community, poll),
        "closes": when(poll.close_at, timezone, locale),
    }
    if kind == "poll-results":
        counted = tally(poll)
        context |= {
            "tally": counted,
            "preheader": results_line(locale, counted),
            "asked_it": asked_it(community, poll, member),
        }
        if recipient.is_leader:
            context["footer_why"] = t("footer.why_leader", community=community.name)
    else:
        context |= {
            "buttons": _buttons(poll, member.member_id),
            "ballot_url": vote_url(poll, member.member_id, None),
            "preheader": poll.question,
        }
    return compose(
        kind,
        kind,
        community,
        recipient,
        now,
        f"polls.subject.{kind}",
        {"question": poll.question},
        **context,
    )


def asker_name(community: Community, poll: Poll) -> str:
    """Who asks, as the email names them: the member who created the poll, else the community's leader."""
    if poll.author_id:
        author = get_store().get_member(community.community_id, poll.author_id)
        if author is not None and author.name:
            return author.name
    return community.leader_name or community.name


def _buttons(poll: Poll, member_id: str) -> list[dict[str, str]]:
    return [
        {"label": label, "url": vote_url(poll, member_id, index)} for index, label in enumerate(option_labels(poll))
    ]

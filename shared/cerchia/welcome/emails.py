"""The welcome email: a hello in the member's language, with a few posts worth reading."""

from __future__ import annotations

from datetime import datetime

from cerchia.domain import rules
from cerchia.domain.models import Community, Member, Post
from cerchia.i18n import translator
from cerchia.mail.compose import Recipient, compose
from cerchia.mail.mime import Outgoing

WELCOME_POSTS = 3


def compose_welcome(community: Community, member: Member, posts: list[Post], now: datetime) -> Outgoing:
    t = translator(rules.resolve_locale(member.locale, community.locale))
    # never their own post (a rejoining member may have written the community's best one)
    others = [post for post in posts if post.author_id != member.member_id]
    return compose(
        "welcome",
        "welcome",
        community,
        Recipient.for_member(member),
        now,
        "welcome.subject",
        member=member,
        posts=others[:WELCOME_POSTS],
        intro_url=rules.introductions(community, [post.url for post in posts]),
        preheader=t("welcome.preheader"),
    )

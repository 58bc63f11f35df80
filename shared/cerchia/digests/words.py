"""How the digest says numbers, days and durations in one language (bound for the templates)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from cerchia import formatting
from cerchia.domain.digest_content import PostCard
from cerchia.i18n import Translate


class Words:
    """Everything is said by cerchia.formatting (CLDR through Babel); this binds it to a language and zone."""

    def __init__(self, t: Translate, timezone: str, locale: str = "en") -> None:
        self.t = t
        self.timezone = timezone
        self.locale = locale

    def count(self, key: str, count: int) -> str:
        return formatting.plural(self.locale, key, count)

    def count_with(self, key: str, count: int, **values: Any) -> str:
        return formatting.plural(self.locale, key, count, **values)

    def day(self, instant: datetime) -> str:
        return formatting.day(instant, self.timezone, self.locale)

    def short_day(self, instant: datetime) -> str:
        return formatting.short_day(instant, self.timezone, self.locale)

    def week_range(self, start: datetime, end: datetime) -> str:
        return formatting.week_range(start, end, self.timezone, self.locale)

    def duration(self, seconds: float | None) -> str:
        return formatting.duration(seconds, self.locale)

    def percent(self, share: float | None) -> str:
        return self.t("digests.none") if share is None else self.t("digests.percent", percent=round(share * 100))

    def post_meta(self, post: PostCard) -> str:
        parts = [self.t("digests.by", author=post.author_name)] if post.author_name else []
        parts.append(self.count("digests.replies", post.replies))
        if post.reactions:
            parts.append(self.count("digests.reactions", post.reactions))
        return " · ".join(parts)

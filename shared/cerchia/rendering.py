"""Jinja2 environments for emails and pages. HTML autoescapes; plain text does not need to."""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from cerchia.domain.text import clean
from cerchia.i18n import translator


def _finalize(value: Any) -> Any:
    """Every value a template prints loses NUL and bidi controls, even from rows stored before they were cleaned."""
    # str.translate on markupsafe's Markup returns Markup: already-safe HTML stays safe, and is not escaped twice.
    return clean(value) if isinstance(value, str) else value


@lru_cache(maxsize=2)
def _environment(html: bool) -> Any:
    from jinja2 import Environment, PackageLoader, StrictUndefined

    return Environment(
        loader=PackageLoader("cerchia", "templates"),
        autoescape=html,  # noqa: S701 - plain-text parts are never HTML; HTML always escapes
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        finalize=_finalize,
    )


def render(template: str, locale: str, **context: Any) -> str:
    """Render `templates/<template>` in a locale; `t` is the catalogue, `n(key, count)` its plural forms."""
    from functools import partial

    from cerchia.formatting import plural

    html = template.endswith(".html")
    return str(
        _environment(html)
        .get_template(template)
        .render(t=translator(locale), n=partial(plural, locale), locale=locale, **context)
    )

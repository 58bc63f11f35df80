"""Jinja2 environments for emails and pages. HTML autoescapes; plain text does not need to."""

from __future__ import annotations

from functools import partial
from typing import Any

from cerchia import runtime
from cerchia.domain.text import clean
from cerchia.formatting import plural
from cerchia.i18n import translator


def _finalize(value: Any) -> Any:
    """Every value a template prints loses NUL and bidi controls, even from rows stored before they were cleaned."""
    # str.translate on markupsafe's Markup returns Markup: already-safe HTML stays safe, and is not escaped twice.
    return clean(value) if isinstance(value, str) else value


def _environment(html: bool) -> Any:
    kept = runtime.cache("rendering")
    if html not in kept:
        kept[html] = _build_environment(html)
    return kept[html]


def _build_environment(html: bool) -> Any:
    # jinja2 costs about 60 ms to import: it comes with the first render, not with every cold start
    # of a function that imports the mail but sends nothing on most calls.
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
    html = template.endswith(".html")
    return str(
        _environment(html)
        .get_template(template)
        .render(t=translator(locale), n=partial(plural, locale), locale=locale, **context)
    )

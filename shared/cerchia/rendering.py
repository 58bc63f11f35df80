"""Jinja2 environments for emails and pages. HTML autoescapes; plain text does not need to."""

from __future__ import annotations

from functools import partial
from typing import Any

from cerchia import runtime
from cerchia.formatting import plural
from cerchia.i18n import translator


def _environment(html: bool) -> Any:
    kept = runtime.cache("rendering")
    if html not in kept:
        # jinja2 costs about 25 ms to import: it comes with the first render, not with every cold start
        # of a function that imports the mail but sends nothing on most calls. Templates come compiled
        # (cerchia.template_cache), so the first render does not pay for compiling them either.
        from cerchia.template_cache import environment

        kept[html] = environment(html)
    return kept[html]


def render(template: str, locale: str, **context: Any) -> str:
    """Render `templates/<template>` in a locale; `t` is the catalogue, `n(key, count)` its plural forms."""
    html = template.endswith(".html")
    return str(
        _environment(html)
        .get_template(template)
        .render(t=translator(locale), n=partial(plural, locale), locale=locale, **context)
    )

"""The catalogue: every user-facing string, in English and Italian."""

from __future__ import annotations

import json
from collections.abc import Callable
from functools import lru_cache
from importlib import resources
from typing import Any

LOCALES = ("en", "it")
Translate = Callable[..., str]


@lru_cache(maxsize=len(LOCALES))
def catalogue(locale: str) -> dict[str, str]:
    text = resources.files("cerchia").joinpath("catalogue", f"{locale}.json").read_text(encoding="utf-8")
    return dict(json.loads(text))


def translator(locale: str) -> Translate:
    """A function `t(key, **values)`; unknown locales speak English, a missing key is a bug."""
    strings = catalogue(locale if locale in LOCALES else "en")

    def t(key: str, **values: Any) -> str:
        return strings[key].format(**values)

    return t

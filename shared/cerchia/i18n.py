"""The catalogue: every user-facing string, in English and Italian."""

from __future__ import annotations

import json
from collections.abc import Callable
from importlib import resources
from typing import Any

from cerchia import runtime
from cerchia.locales import LOCALES

__all__ = ["LOCALES", "Translate", "catalogue", "read_catalogue", "translator"]
Translate = Callable[..., str]


def catalogue(locale: str) -> dict[str, str]:
    """All strings of a locale: one JSON file per feature under catalogue/<locale>/, keys never repeated."""
    kept = runtime.cache("catalogue")
    if locale not in kept:
        kept[locale] = read_catalogue(locale)
    return kept[locale]  # type: ignore[no-any-return]


def read_catalogue(locale: str) -> dict[str, str]:
    strings: dict[str, str] = {}
    for part in sorted(resources.files("cerchia").joinpath("catalogue", locale).iterdir(), key=lambda p: p.name):
        if part.name.endswith(".json"):
            chunk = json.loads(part.read_text(encoding="utf-8"))
            repeated = strings.keys() & chunk.keys()
            if repeated:
                raise RuntimeError(f"Catalogue keys defined twice for {locale}: {sorted(repeated)}")
            strings.update(chunk)
    return strings


def translator(locale: str) -> Translate:
    """A function `t(key, **values)`; unknown locales speak English, a missing key is a bug."""
    strings = catalogue(locale if locale in LOCALES else "en")

    def t(key: str, **values: Any) -> str:
        text = strings[key].format(**values)
        # "scegli cosa ti manda Lievito & Co." never gets a second full stop from the sentence.
        for value in values.values():
            if isinstance(value, str) and value.endswith(".") and value + "." in text:
                text = text.replace(value + ".", value)
        return text

    return t

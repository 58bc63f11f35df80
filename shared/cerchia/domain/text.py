"""Text from the outside world made safe to show: names and titles reach emails and pages through here.

NUL ends a string in some clients, and the bidi override and isolate characters (U+202A–U+202E,
U+2066–U+2069) reverse what follows them on screen: a name can make a link or a subject read as
something else ("Trojan Source"). Both are removed where text enters (the event and poll models,
community settings) and again where it is written (templates, headers), in case an older row has them.
"""

from __future__ import annotations

from typing import Any

INVISIBLE = {0x00: None} | {code: None for code in (*range(0x202A, 0x202F), *range(0x2066, 0x206A))}


def clean(value: str) -> str:
    """`value` without NUL and bidi override or isolate characters."""
    return value.translate(INVISIBLE)


def clean_input(value: Any) -> Any:
    """A pydantic BeforeValidator: strings are cleaned before their own constraints (length) apply."""
    return clean(value) if isinstance(value, str) else value

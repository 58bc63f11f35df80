"""What one execution environment builds once and keeps: the composition root.

A Lambda execution environment serves many invocations; whatever is worth keeping between them
(settings, clients, the store, the link secret, per-chunk caches) lives here, so there is one place
that knows it and one `reset()` that forgets it all (tests, the local stack between runs).
"""

from __future__ import annotations

from typing import Any

_caches: dict[str, dict[Any, Any]] = {}


def cache(name: str) -> dict[Any, Any]:
    """A named cache kept for the life of the execution environment, emptied by `reset()`."""
    return _caches.setdefault(name, {})


def reset() -> None:
    """Forget everything this environment has built or cached."""
    for kept in _caches.values():
        kept.clear()

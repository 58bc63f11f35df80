"""Settings shared by every test folder; folder-specific fixtures live in each folder's conftest.

Being here also puts tests/ on sys.path (pytest's default import mode), so `from support import ...`
works from every folder.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from cerchia import runtime


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "slow: takes tens of seconds (sam build downloads wheels)")


@pytest.fixture(autouse=True)
def forget_what_the_last_test_built() -> Iterator[None]:
    """Every test starts and ends with nothing kept in `cerchia.runtime` (clients, store, caches, settings)."""
    runtime.reset()
    yield
    runtime.reset()

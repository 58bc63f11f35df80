"""Settings shared by every test folder; folder-specific fixtures live in each folder's conftest.

Being here also puts tests/ on sys.path (pytest's default import mode), so `from support import ...`
works from every folder.
"""

from __future__ import annotations

import pytest


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "slow: takes tens of seconds (sam build downloads wheels)")

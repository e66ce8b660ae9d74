"""Shared fixtures. Test videos live in tests/data (see SOURCES.md there)."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

TESTS = Path(__file__).resolve().parent
# videobuild.py and other test helpers are plain modules beside the tests.
sys.path.insert(0, str(TESTS))
DATA = TESTS / "data"


@pytest.fixture(scope="session")
def data_dir() -> Path:
    return DATA

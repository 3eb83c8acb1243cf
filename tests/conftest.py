"""Shared fixtures: where the real reference data live, and the backends every store test runs on."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
TEST_DATA = REPO / "tests" / "data"


def _shared_data() -> Path:
    override = os.environ.get("ECODATA_SHARED_DATA")
    return Path(override) if override else REPO.parent / "shared" / "data"


SHARED_DATA = _shared_data()


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """The real data in ``../shared/data`` (or ``$ECODATA_SHARED_DATA``)."""
    if not SHARED_DATA.is_dir():
        pytest.skip(
            f"real data not found at {SHARED_DATA}; set ECODATA_SHARED_DATA to the shared data folder"
        )
    return SHARED_DATA

"""Shared fixtures: where the real reference data live, and the backends every store test runs on."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from ecodata.settings import Settings
    from ecodata.store.stores import Stores

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


POSTGRES_URL = os.environ.get("ECODATA_TEST_POSTGRES_URL", "")
POSTGRES_SKIP = (
    "PostgreSQL tests are skipped: set ECODATA_TEST_POSTGRES_URL to a server you may create "
    "databases on (e.g. postgresql://postgres@127.0.0.1:5432/postgres) to run them"
)


@pytest.fixture
def postgres_url() -> Iterator[str]:
    """A fresh, empty PostgreSQL database for one test (dropped afterwards)."""
    if not POSTGRES_URL:
        pytest.skip(POSTGRES_SKIP)
    import psycopg

    from ecodata.store.dialects import libpq_url

    base = libpq_url(POSTGRES_URL)
    name = f"ecodata_test_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(base, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    head, _, _ = base.rpartition("/")
    try:
        yield f"{head}/{name}"
    finally:
        with psycopg.connect(base, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(params=["embedded", pytest.param("postgresql", marks=pytest.mark.postgres)])
def backend_settings(request: pytest.FixtureRequest, tmp_path: Path) -> Settings:
    """Settings for each backend: SQLite + DuckDB in a temporary folder, and PostgreSQL."""
    from ecodata.settings import load_settings

    url = request.getfixturevalue("postgres_url") if request.param == "postgresql" else None
    return load_settings(data_dir=tmp_path / "data", database_url=url, demo=True)


@pytest.fixture
def stores(backend_settings: Settings) -> Iterator[Stores]:
    """Initialised stores (registry seeded with the reference parameters) on each backend."""
    from ecodata.bootstrap import initialise
    from ecodata.store.stores import open_stores

    with open_stores(backend_settings) as opened:
        initialise(opened)
        yield opened


@pytest.fixture
def embedded_stores(tmp_path: Path) -> Iterator[Stores]:
    """Initialised stores on the embedded backend only (for tests of backend-neutral logic)."""
    from ecodata.bootstrap import initialise
    from ecodata.settings import load_settings
    from ecodata.store.stores import open_stores

    with open_stores(load_settings(data_dir=tmp_path / "data", demo=True)) as opened:
        initialise(opened)
        yield opened

"""Stores loaded once per test session with real data, on both backends: the national hourly
release of 2019-01-01..03 with the station lists and divisions, and the surface-water sample."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from ecodata.bootstrap import initialise
from ecodata.ingest.importing import run_import
from ecodata.ingest.kinds import KINDS
from ecodata.settings import load_settings
from ecodata.store.stores import Stores, open_stores
from tests.conftest import POSTGRES_SKIP, POSTGRES_URL


def national_files(shared: Path) -> dict[str, list[Path]]:
    regions, air = shared / "regions" / "divisions", shared / "air"
    return {
        "divisions": [regions / f for f in ("province.csv", "city.csv", "area.csv")],
        "stations": [air / "national_stations_2020.csv", air / "national_stations_2024.csv"],
        "national-hourly": sorted((air / "national_hourly").glob("china_sites_*.csv")),
    }


def water_files(shared: Path) -> dict[str, list[Path]]:
    return {"water-excel": [shared / "water" / "surface_water_sample_2024.xlsx"]}


@pytest.fixture(scope="session")
def backend_url(request: pytest.FixtureRequest) -> Iterator[str | None]:
    """The backend: "embedded", or the URL of a PostgreSQL server."""
    if request.param == "embedded":
        yield None
        return
    if not POSTGRES_URL:
        pytest.skip(POSTGRES_SKIP)
    yield POSTGRES_URL


@contextmanager
def database(server: str | None) -> Iterator[str | None]:
    """None for the embedded stores, or a fresh PostgreSQL database (dropped afterwards)."""
    if server is None:
        yield None
        return
    import psycopg

    from ecodata.store.dialects import libpq_url

    base = libpq_url(server)
    name = f"ecodata_test_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(base, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        yield f"{base.rpartition('/')[0]}/{name}"
    finally:
        with psycopg.connect(base, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


BACKENDS = pytest.mark.parametrize(
    "backend_url", ["embedded", pytest.param("postgresql", marks=pytest.mark.postgres)],
    indirect=True, scope="session",
)  # fmt: skip


def loaded(server: str | None, folder: Path, files: dict[str, list[Path]]) -> Iterator[Stores]:
    with database(server) as url:
        settings = load_settings(data_dir=folder / "data", database_url=url, demo=True)
        with open_stores(settings) as stores:
            initialise(stores)
            for kind, paths in files.items():
                run_import(stores, kind, KINDS[kind].importer, paths)
            yield stores


@pytest.fixture(scope="session")
def national(
    backend_url: str | None, shared_data: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Stores]:
    yield from loaded(backend_url, tmp_path_factory.mktemp("national"), national_files(shared_data))


@pytest.fixture(scope="session")
def water(
    backend_url: str | None, shared_data: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Stores]:
    yield from loaded(backend_url, tmp_path_factory.mktemp("water"), water_files(shared_data))

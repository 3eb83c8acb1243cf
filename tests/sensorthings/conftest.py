"""Fixtures of the SensorThings tests: stores loaded with real data on each backend, a live
server with accounts, and the CSV oracle of the Beijing files (UCI, CC BY 4.0)."""

from __future__ import annotations

import csv
import os
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest

from ecodata.bootstrap import initialise
from ecodata.security import accounts
from ecodata.security.principal import operator
from ecodata.security.roles import Role
from ecodata.settings import load_settings
from ecodata.store.stores import Stores, open_stores
from tests.api.conftest import LiveServer, load
from tests.conftest import POSTGRES_SKIP, POSTGRES_URL

STATIONS = ("Dongsi", "Wanliu")  # national codes 1003A, 1007A
PASSWORD = "correct horse battery staple"
BACKENDS = ["embedded", pytest.param("postgresql", marks=pytest.mark.postgres)]


def beijing_file(shared: Path, station: str) -> Path:
    return shared / "air" / "beijing_multisite" / f"PRSA_Data_{station}_20130301-20170228.csv"


@dataclass(frozen=True)
class Reading:
    """One value straight from a UCI CSV row (the oracle)."""

    time: datetime  # UTC
    value: float


def oracle(shared: Path, station: str, column: str) -> list[Reading]:
    """The non-missing values of ``column`` with their UTC times (the CSV is Beijing time)."""
    out = []
    with beijing_file(shared, station).open(encoding="utf-8") as f:
        for row in csv.DictReader(f):
            if row[column] == "NA":
                continue
            local = datetime(int(row["year"]), int(row["month"]), int(row["day"]), int(row["hour"]))
            out.append(
                Reading((local - timedelta(hours=8)).replace(tzinfo=UTC), float(row[column]))
            )
    return out


def new_database() -> str:
    import psycopg

    from ecodata.store.dialects import libpq_url

    base = libpq_url(POSTGRES_URL)
    name = f"ecodata_sta_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(base, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    return f"{base.rpartition('/')[0]}/{name}"


def drop_database(url: str) -> None:
    import psycopg

    from ecodata.store.dialects import libpq_url

    base = libpq_url(POSTGRES_URL)
    name = url.rpartition("/")[2]
    with psycopg.connect(base, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def open_backend(backend: str, folder: Path, **overrides: object) -> tuple[Stores, str | None]:
    url = None
    if backend == "postgresql":
        if not POSTGRES_URL:
            pytest.skip(POSTGRES_SKIP)
        url = new_database()
    settings = load_settings(data_dir=folder, database_url=url, demo=True, **overrides)
    stores = open_stores(settings)
    initialise(stores)
    engine = stores.registry.engine
    accounts.add_user(engine, operator(), "steward", Role.STEWARD, PASSWORD)
    accounts.add_user(engine, operator(), "analyst", Role.ANALYST, PASSWORD)
    return stores, url


@pytest.fixture(scope="module", params=BACKENDS)
def beijing(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory, shared_data: Path
) -> Iterator[Stores]:
    """Stores with the national station list and two Beijing stations (2013–2017, hourly)."""
    stores, url = open_backend(request.param, tmp_path_factory.mktemp("sta") / "data")
    try:
        load(stores, "stations", shared_data / "air" / "national_stations_2020.csv")
        load(stores, "beijing-multisite", *(beijing_file(shared_data, s) for s in STATIONS))
        yield stores
    finally:
        stores.close()
        if url:
            drop_database(url)


@pytest.fixture(scope="module")
def server(beijing: Stores) -> Iterator[LiveServer]:
    with LiveServer(beijing) as live:
        yield live


@pytest.fixture(params=BACKENDS)
def fresh(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Stores]:
    """Empty stores (reference parameters and accounts only) on each backend, per test."""
    stores, url = open_backend(request.param, tmp_path / "fresh")
    try:
        yield stores
    finally:
        stores.close()
        if url:
            drop_database(url)


@pytest.fixture
def fresh_server(fresh: Stores) -> Iterator[LiveServer]:
    with LiveServer(fresh) as live:
        yield live


def sta(server: LiveServer, user: str | None = "steward") -> httpx.Client:
    """An HTTP client at the service root (HTTP Basic as ``user``; anonymous with ``None``)."""
    auth = (user, PASSWORD) if user else None
    return httpx.Client(base_url=f"{server.url}/sta/v1.1", timeout=60, auth=auth)


def site_id(stores: Stores, code: str) -> int:
    return stores.registry.site_ids([code])[code]


def datastream_id(stores: Stores, code: str, parameter: str) -> int:
    found = stores.registry.find_series(sites=[code], parameters=[parameter])
    assert len(found) == 1
    return int(found[0]["id"])


ON_CI = bool(os.environ.get("CI"))

"""A live server over real data with accounts of every role, for the catalog, CKAN, DCAT,
aggregates and permission tests (import the fixture ``open_server`` into a test module)."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import psycopg
import pytest

from ecodata.bootstrap import initialise
from ecodata.catalog import datasets as catalog
from ecodata.security import accounts, audit
from ecodata.security.principal import operator
from ecodata.security.roles import Role
from ecodata.settings import load_settings
from ecodata.store.dialects import libpq_url
from ecodata.store.stores import Stores, open_stores
from tests.api.conftest import LiveServer, load
from tests.conftest import POSTGRES_SKIP, POSTGRES_URL

PASSWORD = "correct horse battery staple"

#: name → (role, department)
ACCOUNTS: dict[str, tuple[Role, str | None]] = {
    "admin": (Role.ADMIN, None),
    "steward": (Role.STEWARD, "data-centre"),
    "analyst": (Role.ANALYST, "monitoring"),
    "consumer": (Role.CONSUMER, "meteorology"),
    "enforcer": (Role.ENFORCEMENT, "enforcement"),
    "citizen": (Role.PUBLIC, None),
    "loner": (Role.ANALYST, None),
}


@dataclass
class OpenServer:
    server: LiveServer
    stores: Stores
    keys: dict[str, str] = field(default_factory=dict)

    @property
    def url(self) -> str:
        return self.server.url

    def headers(self, name: str | None) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.keys[name]}"} if name else {}


def load_real_data(stores: Stores, shared: Path) -> None:
    air = shared / "air"
    load(stores, "stations", air / "national_stations_2020.csv")
    load(stores, "national-hourly", air / "national_hourly" / "china_sites_20190101.csv")
    load(stores, "water-excel", shared / "water" / "surface_water_sample_2024.xlsx")
    load(
        stores,
        "beijing-multisite",
        air / "beijing_multisite" / "PRSA_Data_Dongsi_20130301-20170228.csv",
    )


def add_accounts(stores: Stores) -> dict[str, str]:
    engine = stores.registry.engine
    keys = {}
    for name, (role, dept) in ACCOUNTS.items():
        accounts.add_user(engine, operator(), name, role, PASSWORD, department_code=dept)
        keys[name], _ = accounts.create_key(engine, operator(), name, label="tests")
    return keys


def classify_for_tests(stores: Stores) -> None:
    """Give real datasets every classification: water data shared on request, the published
    water class restricted to the monitoring division, Beijing shared with departments."""
    engine = stores.registry.engine
    catalog.update(
        engine,
        operator(),
        "water-quality-auto",
        {"classification": "shared", "sharing_type": "conditional", "open_type": "closed"},
    )
    catalog.update(
        engine,
        operator(),
        "water-quality-class",
        {"classification": "restricted", "sharing_type": "none", "open_type": "closed"},
    )
    catalog.update(
        engine,
        operator(),
        "beijing-multisite",
        {"classification": "shared", "sharing_type": "unconditional", "open_type": "closed"},
    )


@pytest.fixture(
    scope="module",
    params=["embedded", pytest.param("postgresql", marks=pytest.mark.postgres)],
)
def open_server(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory, shared_data: Path
) -> Iterator[OpenServer]:
    """Real air, water and Beijing data on each backend, accounts of every role with keys, and a
    high anonymous rate limit; one per test module and backend (tests undo their changes)."""
    url = _database(request) if request.param == "postgresql" else None
    settings = load_settings(
        data_dir=tmp_path_factory.mktemp("open") / "data", database_url=url, demo=True
    )
    security = settings.security.model_copy(update={"anonymous_rate": 100_000})
    settings = settings.model_copy(update={"security": security})
    try:
        with open_stores(settings) as stores:
            initialise(stores)
            load_real_data(stores, shared_data)
            keys = add_accounts(stores)
            classify_for_tests(stores)
            with LiveServer(stores) as server:
                yield OpenServer(server, stores, keys)
    finally:
        if url:
            _drop(url)


def _database(request: pytest.FixtureRequest) -> str:
    if not POSTGRES_URL:
        pytest.skip(POSTGRES_SKIP)
    name = f"ecodata_test_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(libpq_url(POSTGRES_URL), autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    head, _, _ = libpq_url(POSTGRES_URL).rpartition("/")
    return f"{head}/{name}"


def _drop(url: str) -> None:
    name = url.rpartition("/")[2]
    with psycopg.connect(libpq_url(POSTGRES_URL), autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def audit_after(stores: Stores, start: int, **filters: Any) -> list[dict[str, Any]]:
    """Audit entries newer than id ``start`` (module-scoped servers share one log)."""
    return [
        e for e in audit.entries(stores.registry.engine, limit=10_000, **filters) if e["id"] > start
    ]


def audit_mark(stores: Stores) -> int:
    found = audit.entries(stores.registry.engine, limit=1)
    return int(found[0]["id"]) if found else 0

"""A live server over real data for the web UI tests, and headless Chromium to drive it.

The stores hold the national station lists, one day of the national hourly release
(2019-01-03, with the published AQI) and the Beijing Dongsi station (2013–2017, with wind).
Screenshots of every page the browser tests open go to ``test-artifacts/screenshots/``.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from tests.api.conftest import LiveServer, load
from tests.conftest import REPO

from ecodata.bootstrap import initialise
from ecodata.security import accounts
from ecodata.security.principal import operator
from ecodata.security.roles import Role
from ecodata.settings import load_settings
from ecodata.store.devices import Activity, Devices
from ecodata.store.stores import Stores, open_stores

SCREENSHOTS = REPO / "test-artifacts" / "screenshots"
CHROMIUM = Path(os.environ.get("ECODATA_TEST_CHROMIUM", "/usr/bin/chromium"))
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]  # fmt: skip
PASSWORD = "correct horse battery staple"
NATIONAL_DAY = "china_sites_20190103.csv"
DONGSI = "PRSA_Data_Dongsi_20130301-20170228.csv"
DEVICE = "88888880000001"  # an HJ 212 data logger MN


def load_web_data(stores: Stores, shared: Path) -> None:
    """Divisions, both national station lists, one national day and the Dongsi station."""
    regions, air = shared / "regions" / "divisions", shared / "air"
    load(stores, "divisions", *(regions / f for f in ("province.csv", "city.csv", "area.csv",
                                                      "adcodes_with_centres.csv")))  # fmt: skip
    load(stores, "stations", air / "national_stations_2020.csv", air / "national_stations_2024.csv")
    load(stores, "national-hourly", air / "national_hourly" / NATIONAL_DAY)
    load(stores, "beijing-multisite", air / "beijing_multisite" / DONGSI)


@pytest.fixture(scope="session")
def web_stores(tmp_path_factory: pytest.TempPathFactory, shared_data: Path) -> Iterator[Stores]:
    settings = load_settings(
        data_dir=tmp_path_factory.mktemp("web") / "data",
        demo=True,
        security={"anonymous_rate": 1_000_000},
        web={"regions_dir": str(shared_data / "regions")},
    )
    with open_stores(settings) as stores:
        initialise(stores)
        load_web_data(stores, shared_data)
        engine = stores.registry.engine
        accounts.add_user(engine, operator(), "steward", Role.STEWARD, PASSWORD)
        accounts.add_user(engine, operator(), "citizen", Role.PUBLIC, PASSWORD)
        devices = Devices(engine)
        devices.add(DEVICE, "123456", site_code="1003A")
        seen = datetime.now(UTC)
        devices.record({DEVICE: Activity(packets=42, rejected=3, last_seen=seen, peer="10.0.0.7",
                                         version="2017")}, seen.date())  # fmt: skip
        yield stores


@pytest.fixture(scope="session")
def web_server(web_stores: Stores) -> Iterator[LiveServer]:
    with LiveServer(web_stores) as server:
        yield server


# -- the browser ---------------------------------------------------------------------------------


@dataclass
class Watch:
    """What went wrong while a page was open: console errors, page errors, failed requests."""

    problems: list[str] = field(default_factory=list)

    def attach(self, page: Any) -> None:
        page.on(
            "console",
            lambda m: (
                self.problems.append(f"console {m.type}: {m.text}") if m.type == "error" else None
            ),
        )
        page.on("pageerror", lambda e: self.problems.append(f"page error: {e}"))
        page.on("requestfailed", lambda r: self.problems.append(f"failed: {r.url} {r.failure}"))
        page.on(
            "response",
            lambda r: (
                self.problems.append(f"HTTP {r.status}: {r.url}") if r.status >= 400 else None
            ),
        )


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    if not CHROMIUM.exists():
        pytest.skip(
            f"browser tests need Chromium at {CHROMIUM} (Debian: apt-get install chromium) "
            "or ECODATA_TEST_CHROMIUM"
        )
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            yield launched
        finally:
            launched.close()


_TAKEN: list[Path] = []  # the screenshot folder, once this session has used it


@pytest.fixture(scope="session")
def screenshots() -> Path:
    if SCREENSHOTS.exists():
        shutil.rmtree(SCREENSHOTS)
    SCREENSHOTS.mkdir(parents=True)
    _TAKEN.append(SCREENSHOTS)
    return SCREENSHOTS


def pytest_terminal_summary(terminalreporter: Any) -> None:
    if _TAKEN and any(SCREENSHOTS.iterdir()):
        count = len(list(SCREENSHOTS.glob("*.png")))
        terminalreporter.write_line(f"web UI screenshots ({count}): {SCREENSHOTS}")

"""schemathesis over the whole OpenAPI document of a live server with real data: no server error
(5xx) and no response that violates its documented schema, on both backends."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from ecodata.store.stores import Stores
from tests.api.conftest import LiveServer, load
from tests.api.opendata_server import add_accounts

SCHEMATHESIS = str(Path(sys.executable).with_name("st"))


@pytest.mark.slow
def test_no_server_errors_and_no_schema_violations(
    stores: Stores, shared_data: Path, tmp_path: Path
) -> None:
    load(
        stores,
        "beijing-multisite",
        shared_data / "air" / "beijing_multisite" / "PRSA_Data_Dongsi_20130301-20170228.csv",
    )
    load(stores, "water-excel", shared_data / "water" / "surface_water_sample_2024.xlsx")
    keys = add_accounts(stores)
    security = stores.settings.security.model_copy(update={"anonymous_rate": 1_000_000})
    stores.settings = stores.settings.model_copy(update={"security": security})
    with LiveServer(stores) as server:
        result = subprocess.run(
            [
                SCHEMATHESIS,
                "run",
                f"{server.url}/openapi.json",
                "--checks",
                "not_a_server_error,response_schema_conformance",
                "--phases",
                "examples,fuzzing,stateful",
                "--max-examples",
                "12",
                "--seed",
                "2122",
                "--workers",
                "2",
                "--header",
                f"Authorization: Bearer {keys['admin']}",
                "--report-dir",
                str(tmp_path),
            ],
            check=False,
            cwd=tmp_path,  # its cache folder goes there, not into the checkout
            capture_output=True,
            text=True,
            timeout=1200,
            env={**os.environ, "NO_COLOR": "1", "SCHEMATHESIS_HOOKS": ""},
        )
    summary = result.stdout[result.stdout.find("=== FAILURES") :]
    assert result.returncode == 0, summary[-6000:] or result.stderr[-3000:]

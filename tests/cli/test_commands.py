"""The `ecodata` command as a user runs it: real processes, real files, JSON output."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pyarrow.dataset as ds
import pytest

from tests.api.conftest import free_port

ECODATA = [sys.executable, "-m", "ecodata"]


def run(data_dir: Path, *args: str, check: bool = True, env: dict[str, str] | None = None
        ) -> subprocess.CompletedProcess[str]:  # fmt: skip
    result = subprocess.run(
        [*ECODATA, "--data-dir", str(data_dir), *args],
        capture_output=True, text=True, env={**os.environ, **(env or {})}, timeout=600,
        check=False,
    )  # fmt: skip
    if check and result.returncode != 0:
        raise AssertionError(f"exit {result.returncode}: {result.stderr}")
    return result


def test_init_import_quarantine_and_archive(tmp_path: Path, shared_data: Path) -> None:
    data = tmp_path / "data"
    first = json.loads(run(data, "init", "--json").stdout)
    assert first["migrations_applied"] and first["parameters_added"] > 30
    assert json.loads(run(data, "init", "--json").stdout)["migrations_applied"] == []

    air = shared_data / "air"
    run(data, "import", "stations", str(air / "national_stations_2020.csv"))
    day = air / "national_hourly" / "china_sites_20190101.csv"
    summary = json.loads(run(data, "import", "national-hourly", str(day), "--json").stdout)
    assert set(summary) >= {"read", "stored", "duplicate", "quarantined"}
    assert summary["stored"] == summary["read"] == 482_538
    again = json.loads(run(data, "import", "national-hourly", str(day), "--json").stdout)
    assert (again["stored"], again["duplicate"]) == (0, 482_538)

    junk = tmp_path / "china_sites_junk.csv"
    junk.write_text("date,hour,type,1001A\n2019013x,0,AQI,50\n", encoding="utf-8")
    failed = run(data, "import", "national-hourly", str(junk), "--json", check=False)
    assert failed.returncode == 1
    rejected = json.loads(run(data, "quarantine", "list", "--json").stdout)
    assert rejected[-1]["position"] == "line 2"
    assert rejected[-1]["reason"].startswith("impossible date '2019013x'")
    assert rejected[-1]["source"] == str(junk)

    runs = json.loads(run(data, "runs", "--json").stdout)
    assert [r["status"] for r in runs[:3]] == ["empty", "done", "done"]

    parts = json.loads(run(data, "archive", "export", "--json").stdout)
    assert {p["domain"] for p in parts} == {"air"} and all(p["written"] for p in parts)
    dataset = ds.dataset(data / "archive", format="parquet", partitioning="hive")
    table = dataset.to_table(filter=(ds.field("year") == 2019) & (ds.field("month") == 1))
    assert table.num_rows == 482_538
    assert set(table.column_names) >= {"site", "parameter", "period", "time", "value"}
    unchanged = json.loads(run(data, "archive", "export", "--json").stdout)
    assert not any(p["written"] for p in unchanged)


def test_settings_are_printed_with_secrets_masked(tmp_path: Path) -> None:
    env = {"ECODATA_DATABASE_URL": "postgresql://alice:s3cret@db.example/eco",
           "ECODATA_SECURITY__SECRET_KEY": "topsecret", "ECODATA_API__PORT": "9001"}  # fmt: skip
    out = json.loads(run(tmp_path, "settings", "--json", env=env).stdout)
    assert out["database_url"] == "postgresql://alice:********@db.example/eco"
    assert out["security"]["secret_key"] == "********"
    assert out["api"]["port"] == 9001 and out["backend"] == "postgresql"
    bad = run(tmp_path, "settings", env={"ECODATA_API__PORT": "port"}, check=False)
    assert bad.returncode == 1 and "api.port" in bad.stderr


def test_serve_refuses_a_default_secret_outside_demo_mode(tmp_path: Path) -> None:
    result = run(tmp_path, "serve", "--port", str(free_port()), check=False)
    assert result.returncode == 1 and "ECODATA_SECURITY__SECRET_KEY" in result.stderr


@pytest.mark.slow
def test_demo_serves_real_beijing_data(tmp_path: Path, shared_data: Path) -> None:
    port = free_port()
    started = time.monotonic()
    proc = subprocess.Popen(
        [*ECODATA, "--data-dir", str(tmp_path / "demo"), "demo", "--port", str(port),
         "--source", str(shared_data)],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )  # fmt: skip
    try:
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=10) as http:
            while True:
                assert proc.poll() is None, proc.stdout.read() if proc.stdout else ""
                try:
                    if http.get("/api/v1/health").status_code == 200:
                        break
                except httpx.TransportError:
                    pass
                assert time.monotonic() - started < 120, "the demo must be up within two minutes"
                time.sleep(0.5)
            rows = http.get("/api/v1/observations",
                            params={"site": "1011A", "parameter": "pm2_5", "limit": 5}).json()  # fmt: skip
            assert rows["count"] == 5 and rows["results"][0]["time"].startswith("2013-03-01")
            assert len(http.get("/api/v1/sites", params={"kind": "air"}).json()["results"]) > 1600
    finally:
        proc.terminate()
        output, _ = proc.communicate(timeout=30)
    assert "CC BY 4.0" in output

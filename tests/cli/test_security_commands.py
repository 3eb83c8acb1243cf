"""`ecodata user|dept|key|share|audit|catalog` as a user runs them, and ckanapi against a real
`ecodata serve` started from an empty data directory."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pandas as pd

from tests.api.conftest import free_port
from tests.cli.test_commands import ECODATA, run


def _stdin(
    data: Path, text: str, *args: str, check: bool = True
) -> subprocess.CompletedProcess[str]:
    result = subprocess.run(
        [*ECODATA, "--data-dir", str(data), *args],
        input=text,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    if check and result.returncode != 0:
        raise AssertionError(f"exit {result.returncode}: {result.stderr}")
    return result


def test_accounts_departments_keys_and_audit(tmp_path: Path) -> None:
    data = tmp_path / "data"
    run(data, "init")
    run(data, "dept", "add", "river-basin", "--name", "流域局", "--name-en", "River basin")
    codes = [d["code"] for d in json.loads(run(data, "dept", "list", "--json").stdout)]
    assert "river-basin" in codes and "cnemc" in codes
    added = json.loads(
        _stdin(
            data,
            "a long password\n",
            "user",
            "add",
            "li",
            "--role",
            "consumer",
            "--dept",
            "river-basin",
            "--json",
        ).stdout
    )
    assert (added["role"], added["department_code"]) == ("consumer", "river-basin")
    short = _stdin(data, "short\n", "user", "add", "wu", "--role", "analyst", check=False)
    assert short.returncode == 1 and "too short" in short.stderr
    no_dept = _stdin(
        data, "a long password\n", "user", "add", "wu", "--role", "enforcement", check=False
    )
    assert no_dept.returncode == 1 and "needs a department" in no_dept.stderr
    key = run(data, "key", "create", "--user", "li", "--label", "harvest").stdout.strip()
    assert key.startswith("eco_") and len(key) == 4 + 12 + 1 + 32
    listed = json.loads(run(data, "key", "list", "--json").stdout)
    assert [(k["user"], k["label"]) for k in listed] == [("li", "harvest")]
    assert key not in run(data, "key", "list").stdout
    run(data, "user", "set", "li", "--disable")
    users = json.loads(run(data, "user", "list", "--json").stdout)
    assert users[0]["name"] == "li" and users[0]["active"] is False
    run(data, "key", "revoke", listed[0]["key_id"])
    entries = json.loads(run(data, "audit", "list", "--json").stdout)
    assert [e["action"] for e in entries[:5]] == [
        "key.revoke",
        "user.update",
        "key.create",
        "user.add",
        "department.add",
    ]
    assert entries[0]["actor"].startswith("cli:")
    only = json.loads(run(data, "audit", "list", "--action", "user", "--json").stdout)
    assert {e["action"] for e in only} == {"user.add", "user.update"}
    assert json.loads(run(data, "share", "list", "--json").stdout) == []


def test_catalog_commands(tmp_path: Path, shared_data: Path) -> None:
    data = tmp_path / "data"
    run(data, "init")
    run(
        data,
        "import",
        "beijing-multisite",
        str(shared_data / "air" / "beijing_multisite" / "PRSA_Data_Dongsi_20130301-20170228.csv"),
    )
    listed = {d["name"]: d for d in json.loads(run(data, "catalog", "list", "--json").stdout)}
    assert listed["beijing-multisite"]["series"] == 12
    assert listed["beijing-multisite"]["resource_code"] == "21201/000002"
    shown = json.loads(run(data, "catalog", "show", "21201/000002", "--json").stdout)
    assert shown["licence"] == "CC-BY-4.0"
    hits = json.loads(run(data, "catalog", "search", "北京", "--json").stdout)
    assert hits[0]["name"] == "beijing-multisite"
    run(data, "catalog", "set", "meteorology", "--classification", "public", "--open", "open")
    assert (
        json.loads(run(data, "catalog", "show", "meteorology", "--json").stdout)["classification"]
        == "public"
    )
    bad = run(
        data,
        "catalog",
        "set",
        "meteorology",
        "--classification",
        "public",
        "--open",
        "closed",
        check=False,
    )
    assert bad.returncode == 1 and "cannot be closed" in bad.stderr
    assert json.loads(run(data, "catalog", "sync", "--json").stdout) == {"added": [], "refiled": 0}
    out = tmp_path / "dongsi.csv"
    run(
        data,
        "catalog",
        "download",
        "beijing-multisite",
        "--start",
        "2016-01-01",
        "--end",
        "2016-01-02",
        "-o",
        str(out),
    )
    lines = out.read_text(encoding="utf-8").splitlines()
    assert lines[0] == "site,parameter,period,time,value,unit,flag,qc"
    source = pd.read_csv(
        shared_data / "air" / "beijing_multisite" / "PRSA_Data_Dongsi_20130301-20170228.csv"
    )
    day = source[(source.year == 2016) & (source.month == 1) & (source.day == 1)]
    columns = [
        "PM2.5",
        "PM10",
        "SO2",
        "NO2",
        "CO",
        "O3",
        "TEMP",
        "PRES",
        "DEWP",
        "RAIN",
        "WSPM",
        "wd",
    ]
    assert len(lines) - 1 == int(day[columns].notna().sum().sum())


def test_ckanapi_against_ecodata_serve(tmp_path: Path) -> None:
    """A fresh data directory, `ecodata serve` with a configured secret, and the ckanapi CLI."""
    port = free_port()
    env = {**os.environ, "ECODATA_SECURITY__SECRET_KEY": "x" * 43}
    proc = subprocess.Popen(
        [*ECODATA, "--data-dir", str(tmp_path / "fresh"), "serve", "--port", str(port)],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env=env,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            assert proc.poll() is None, proc.stdout.read() if proc.stdout else ""
            try:
                if httpx.get(f"{url}/api/v1/health", timeout=5).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert time.monotonic() < deadline, "ecodata serve did not start"
            time.sleep(0.3)
        ckanapi = str(Path(sys.executable).with_name("ckanapi"))
        names = subprocess.run(
            [ckanapi, "action", "package_list", "-r", url],
            capture_output=True,
            text=True,
            timeout=60,
            check=True,
        ).stdout
        assert "air-quality-hourly" in json.loads(names)
        status = subprocess.run(
            [ckanapi, "action", "status_show", "-r", url, "-g"],
            capture_output=True,
            text=True,
            timeout=60,
            check=True,
        ).stdout
        assert json.loads(status)["ckan_version"].startswith("2.")
    finally:
        proc.terminate()
        proc.communicate(timeout=30)

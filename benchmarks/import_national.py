"""Benchmark: import a month of the national hourly release.

The month (January 2019, 31 files) is built from the three real days in
``../shared/data/air/national_hourly`` by shifting their dates. Contenders, each in its own process
so that peak memory is its own:

- ``ecodata-duckdb``: ``ecodata import national-hourly`` into the embedded store (duplicate check
  included), after the station list;
- ``ecodata-postgresql``: the same into PostgreSQL (``ECODATA_BENCH_POSTGRES_URL`` or
  ``ECODATA_TEST_POSTGRES_URL``; skipped without one);
- ``pandas-sqlite`` (baseline): pandas ``read_csv`` + ``melt`` + ``to_sql`` into SQLite;
- ``duckdb-generic`` (baseline): DuckDB's ``read_csv`` + ``UNPIVOT`` into a table.

Usage: ``python benchmarks/import_national.py [--days 31] [--shared ../shared/data]``. Prints a
table and writes ``benchmarks/results/import_national.json``.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
RESULTS = HERE / "results"


def build_month(shared: Path, folder: Path, days: int) -> list[Path]:
    """Write ``days`` daily files for January 2019 (cycling the three real days)."""
    real = sorted((shared / "air" / "national_hourly").glob("china_sites_*.csv"))
    folder.mkdir(parents=True, exist_ok=True)
    out = []
    for day in range(1, days + 1):
        text = real[(day - 1) % len(real)].read_text(encoding="utf-8")
        header, _, body = text.partition("\n")
        original = real[(day - 1) % len(real)].stem.split("_")[-1]
        stamp = f"201901{day:02d}" if day <= 31 else f"201902{day - 31:02d}"
        body = body.replace(f"\n{original},", f"\n{stamp},")
        body = (stamp + body[len(original) :]) if body.startswith(original) else body
        path = folder / f"china_sites_{stamp}.csv"
        path.write_text(f"{header}\n{body}", encoding="utf-8")
        out.append(path)
    return out


def count_values(files: list[Path]) -> int:
    import pyarrow.csv as pacsv

    total = 0
    for path in files:
        table = pacsv.read_csv(path)
        total += sum(
            table.num_rows - table.column(i).null_count for i in range(3, table.num_columns)
        )
    return total


# -- contenders (each runs in a child process) ------------------------------------------------


def run_ecodata(files: list[Path], shared: Path, workdir: Path, database_url: str | None) -> dict:
    from ecodata.bootstrap import initialise
    from ecodata.ingest.importing import run_import
    from ecodata.ingest.kinds import KINDS
    from ecodata.settings import load_settings
    from ecodata.store.stores import open_stores

    settings = load_settings(data_dir=workdir / "data", database_url=database_url, demo=True)
    with open_stores(settings) as stores:
        initialise(stores)
        run_import(stores, "stations", KINDS["stations"].importer,
                   [shared / "air" / "national_stations_2020.csv"])  # fmt: skip
        started = time.perf_counter()
        summary = run_import(stores, "national-hourly", KINDS["national-hourly"].importer, files)
        seconds = time.perf_counter() - started
        again_started = time.perf_counter()
        again = run_import(stores, "national-hourly", KINDS["national-hourly"].importer, files[:3])
        again_seconds = time.perf_counter() - again_started
    counts = summary.counts
    return {
        "seconds": seconds,
        "values": counts.stored,
        "read": counts.read,
        "quarantined": counts.quarantined,
        "reimport_3_days_seconds": again_seconds,
        "reimport_duplicates": again.counts.duplicate,
    }


def run_pandas(files: list[Path], workdir: Path) -> dict:
    import sqlite3

    import pandas as pd

    started = time.perf_counter()
    conn = sqlite3.connect(workdir / "pandas.sqlite")
    values = 0
    for path in files:
        frame = pd.read_csv(path)
        long = frame.melt(id_vars=["date", "hour", "type"], var_name="site", value_name="value")
        long = long.dropna(subset=["value"])
        long.to_sql("observations", conn, if_exists="append", index=False)
        values += len(long)
    conn.commit()
    conn.close()
    return {"seconds": time.perf_counter() - started, "values": values}


def run_duckdb_generic(files: list[Path], workdir: Path) -> dict:
    import duckdb

    started = time.perf_counter()
    con = duckdb.connect(str(workdir / "generic.duckdb"))
    con.execute(
        "CREATE TABLE observations (date INTEGER, hour INTEGER, type VARCHAR, site VARCHAR, "
        "value DOUBLE)"
    )
    for path in files:
        con.execute(
            f"""INSERT INTO observations
                SELECT CAST(date AS INTEGER), CAST(hour AS INTEGER), type, site,
                       TRY_CAST(value AS DOUBLE) FROM (
                    UNPIVOT (SELECT * FROM read_csv('{path}', header = true, all_varchar = true))
                    ON COLUMNS(* EXCLUDE (date, hour, type)) INTO NAME site VALUE value)"""
        )
    values = con.execute("SELECT count(*) FROM observations").fetchall()[0][0]
    con.close()
    return {"seconds": time.perf_counter() - started, "values": int(values)}


def child(args: argparse.Namespace) -> None:
    files = sorted(Path(args.month).glob("*.csv"))
    workdir = Path(args.workdir)
    if args.contender == "ecodata-duckdb":
        result = run_ecodata(files, Path(args.shared), workdir, None)
    elif args.contender == "ecodata-postgresql":
        result = run_ecodata(files, Path(args.shared), workdir, args.database_url)
    elif args.contender == "pandas-sqlite":
        result = run_pandas(files, workdir)
    else:
        result = run_duckdb_generic(files, workdir)
    result["peak_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps(result))


# -- driver -----------------------------------------------------------------------------------


def fresh_postgres(url: str) -> tuple[str, str]:
    import psycopg

    name = f"ecodata_bench_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    return url.rsplit("/", 1)[0] + f"/{name}", name


def drop_postgres(url: str, name: str) -> None:
    import psycopg

    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--days", type=int, default=31)
    parser.add_argument("--shared", default=str(HERE.parent.parent / "shared" / "data"))
    parser.add_argument("--contender", help=argparse.SUPPRESS)
    parser.add_argument("--month", help=argparse.SUPPRESS)
    parser.add_argument("--workdir", help=argparse.SUPPRESS)
    parser.add_argument("--database-url", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.contender:
        child(args)
        return

    pg_url = os.environ.get("ECODATA_BENCH_POSTGRES_URL") or os.environ.get(
        "ECODATA_TEST_POSTGRES_URL"
    )
    root = Path(tempfile.mkdtemp(prefix="ecodata-bench-"))
    try:
        files = build_month(Path(args.shared), root / "month", args.days)
        expected = count_values(files)
        contenders = ["ecodata-duckdb", "duckdb-generic", "pandas-sqlite"]
        if pg_url:
            contenders.insert(1, "ecodata-postgresql")
        results: dict[str, Any] = {}
        for name in contenders:
            workdir = root / name
            workdir.mkdir()
            extra: list[str] = []
            db_name = None
            if name == "ecodata-postgresql" and pg_url:
                url, db_name = fresh_postgres(pg_url)
                extra = ["--database-url", url]
            try:
                out = subprocess.run(
                    [sys.executable, __file__, "--contender", name, "--month", str(root / "month"),
                     "--workdir", str(workdir), "--shared", args.shared, *extra],
                    check=True, capture_output=True, text=True,
                )  # fmt: skip
            finally:
                if db_name and pg_url:
                    drop_postgres(pg_url, db_name)
            result = json.loads(out.stdout.strip().splitlines()[-1])
            result["values_per_second"] = result["values"] / result["seconds"]
            results[name] = result
            print(f"{name:>20}: {result['values']:>10,} values in {result['seconds']:7.2f} s = "
                  f"{result['values_per_second']:>12,.0f} values/s, peak {result['peak_rss_mb']:,.0f} MB")  # fmt: skip
        eco = results["ecodata-duckdb"]
        summary = {
            "values_in_month": expected,
            "ecodata_vs_duckdb_generic_time": eco["seconds"] / results["duckdb-generic"]["seconds"],
            "ecodata_vs_pandas_speedup": results["pandas-sqlite"]["seconds"] / eco["seconds"],
            "goals": {
                "duckdb_values_per_second >= 1e6": eco["values_per_second"] >= 1e6,
                "time <= 0.5 x duckdb generic": eco["seconds"] <= 0.5 * results["duckdb-generic"]["seconds"],
                "speedup >= 10 x pandas": results["pandas-sqlite"]["seconds"] >= 10 * eco["seconds"],
            },
        }  # fmt: skip
        if "ecodata-postgresql" in results:
            pg = results["ecodata-postgresql"]["values_per_second"]
            summary["goals"]["postgresql_values_per_second >= 2e5"] = pg >= 2e5
        print(json.dumps(summary, indent=1))
        RESULTS.mkdir(exist_ok=True)
        payload = {"benchmark": "import_national", "days": args.days, "results": results,
                   "summary": summary, "machine": {"cpus": os.cpu_count()},
                   "date": time.strftime("%Y-%m-%d")}  # fmt: skip
        (RESULTS / "import_national.json").write_text(json.dumps(payload, indent=1))
    finally:
        shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()

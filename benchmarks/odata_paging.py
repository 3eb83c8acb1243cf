"""SensorThings paging: keyset continuation (``$skiptoken``) against deep ``$skip`` (OFFSET).

Loads the hourly PM2.5 of the 12 UCI Beijing Multi-Site stations (2013-03..2017-02, CC BY 4.0) from
``../shared/data/air/beijing_multisite`` into SQLite as SensorThings Observations, then times
reading page *n* of ``Observations?$orderby=phenomenonTime&$top=100`` both ways. The baseline is
OFFSET paging, which is what a server without keyset tokens does for ``@iot.nextLink``
(FROST #721). Also measures parse + compile throughput of a typical ``$filter``.

Run: ``.venv/bin/python benchmarks/odata_paging.py`` (prints and writes
``benchmarks/results/odata_paging.json``).
"""

from __future__ import annotations

import csv
import json
import platform
import sqlite3
import statistics
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import (
    Column,
    DateTime,
    Double,
    Engine,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    create_engine,
    insert,
)
from sqlalchemy.pool import StaticPool

from ecodata.protocols.odata import (
    EntityModel,
    EntitySet,
    Scalar,
    ValueType,
    compile_filter,
    compile_page,
    parse_filter,
    parse_query_string,
    to_many,
    to_one,
)

REPO = Path(__file__).resolve().parents[1]
DATA = REPO.parent / "shared" / "data" / "air" / "beijing_multisite"
RESULTS = REPO / "benchmarks" / "results" / "odata_paging.json"
PAGE = 100
DEPTHS = (1, 10, 100, 1000, 4000)
REPEATS = 5

metadata = MetaData()
datastreams = Table(
    "datastreams",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=False),
    Column("name", String, nullable=False),
)
observations = Table(
    "observations",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=False),
    Column("datastream_id", ForeignKey("datastreams.id"), nullable=False),
    Column("phenomenon_time", DateTime(timezone=True), nullable=False),
    Column("result", Double),
    Index("observations_time", "phenomenon_time", "id"),
)
MODEL = EntityModel(
    {
        "Datastreams": EntitySet(
            "Datastreams",
            "Datastream",
            datastreams,
            {"name": Scalar("name", ValueType.STRING)},
            {"Observations": to_many("Observations", "datastream_id")},
        ),
        "Observations": EntitySet(
            "Observations",
            "Observation",
            observations,
            {
                "phenomenonTime": Scalar("phenomenon_time", ValueType.DATETIME),
                "result": Scalar("result", ValueType.NUMBER),
            },
            {"Datastream": to_one("Datastreams", "datastream_id")},
        ),
    }
)


def load(engine: Engine) -> int:
    metadata.create_all(engine)
    rows: list[dict[str, Any]] = []
    files = sorted(DATA.glob("PRSA_Data_*.csv"))
    with engine.begin() as conn:
        for stream, path in enumerate(files, start=1):
            conn.execute(insert(datastreams).values(id=stream, name=f"PM2.5 {path.stem}"))
            with path.open(encoding="utf-8") as f:
                for record in csv.DictReader(f):
                    local = datetime(
                        int(record["year"]),
                        int(record["month"]),
                        int(record["day"]),
                        int(record["hour"]),
                    )
                    value = None if record["PM2.5"] == "NA" else float(record["PM2.5"])
                    rows.append(
                        {
                            "id": len(rows) + 1,
                            "datastream_id": stream,
                            "phenomenon_time": (local - timedelta(hours=8)).replace(tzinfo=UTC),
                            "result": value,
                        }
                    )
        conn.execute(insert(observations), rows)
    return len(rows)


def timed(engine: Engine, statement: Any) -> tuple[float, list[dict[str, Any]]]:
    best = float("inf")
    rows: list[dict[str, Any]] = []
    for _ in range(REPEATS):
        with engine.connect() as conn:
            start = time.perf_counter()
            rows = [dict(r) for r in conn.execute(statement).mappings()]
            best = min(best, time.perf_counter() - start)
    return best * 1000, rows


def main() -> None:
    if not DATA.is_dir():
        sys.exit(f"real data not found at {DATA}")
    engine = create_engine("sqlite://", poolclass=StaticPool)
    started = time.perf_counter()
    total = load(engine)
    load_s = time.perf_counter() - started
    results: list[dict[str, Any]] = []
    for depth in DEPTHS:
        offset_query = f"$orderby=phenomenonTime&$top={PAGE}&$skip={(depth - 1) * PAGE}"
        offset_page = compile_page(MODEL, "Observations", parse_query_string(offset_query))
        offset_ms, offset_rows = timed(engine, offset_page.statement)
        token = None
        if depth > 1:  # the token a client holds: from the last row of the page before (untimed)
            prev = compile_page(
                MODEL,
                "Observations",
                parse_query_string(
                    f"$orderby=phenomenonTime&$top={PAGE}&$skip={(depth - 2) * PAGE}"
                ),
            )
            with engine.connect() as conn:
                before = [dict(r) for r in conn.execute(prev.statement).mappings()]
            token = prev.next_token(before[PAGE - 1])
        keyset_query = f"$orderby=phenomenonTime&$top={PAGE}" + (
            f"&$skiptoken={token}" if token else ""
        )
        keyset_page = compile_page(MODEL, "Observations", parse_query_string(keyset_query))
        keyset_ms, keyset_rows = timed(engine, keyset_page.statement)
        same = [r["id"] for r in keyset_rows[:PAGE]] == [r["id"] for r in offset_rows[:PAGE]]
        results.append(
            {
                "page": depth,
                "rows_skipped": (depth - 1) * PAGE,
                "offset_ms": round(offset_ms, 3),
                "keyset_ms": round(keyset_ms, 3),
                "speedup": round(offset_ms / keyset_ms, 1),
                "same_rows": same,
            }
        )
    text = (
        "Datastream/name eq 'PM2.5 PRSA_Data_Dongsi_20130301-20170228' and result gt 75 and "
        "phenomenonTime ge 2015-01-01T00:00:00+08:00 and hour(phenomenonTime) eq 6"
    )
    samples = []
    for _ in range(5):
        n = 2000
        start = time.perf_counter()
        for _ in range(n):
            compile_filter(MODEL, "Observations", parse_filter(text))
        samples.append(n / (time.perf_counter() - start))
    report = {
        "benchmark": "odata_paging",
        "data": "UCI Beijing Multi-Site Air-Quality, PM2.5 of 12 stations, hourly 2013-2017",
        "observations": total,
        "page_size": PAGE,
        "load_seconds": round(load_s, 1),
        "baseline": "OFFSET paging ($skip) of the same ordered query",
        "pages": results,
        "filter_parse_compile_per_second": round(statistics.median(samples)),
        "filter": text,
        "environment": {
            "python": platform.python_version(),
            "sqlite": sqlite3.sqlite_version,
            "machine": platform.machine(),
        },
    }
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(report, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    print(f"{total} observations loaded in {load_s:.1f} s; page size {PAGE}")
    print(f"{'page':>6} {'skipped':>9} {'OFFSET ms':>10} {'keyset ms':>10} {'speed-up':>9}")
    for r in results:
        print(
            f"{r['page']:>6} {r['rows_skipped']:>9} {r['offset_ms']:>10.2f} "
            f"{r['keyset_ms']:>10.2f} {r['speedup']:>8.1f}x"
            + ("" if r["same_rows"] else "  ROWS DIFFER")
        )
    print(f"$filter parse + compile: {report['filter_parse_compile_per_second']} per second")
    print(f"written to {RESULTS.relative_to(REPO)}")


if __name__ == "__main__":
    main()

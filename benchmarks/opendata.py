"""Open-data interfaces: aggregates computed in the store, the cost of access enforcement in the
query, and download throughput — each against the baseline a simpler design would use.

Data: the 12 stations of the UCI Beijing Multi-Site set (hourly 2013-03..2017-02, CC BY 4.0) from
``../shared/data/air/beijing_multisite``, in a fresh embedded store (SQLite + DuckDB).

* **aggregates**: daily and monthly summaries (mean, sd, min, 2/25/50/75/98 % quantiles, max,
  counts) of one sensor over four years, computed by one SQL statement in DuckDB
  (``store.aggregates``) vs. the baseline of reading the sensor's rows into pandas and grouping
  there (what an API without store-side aggregation does). Results must agree.
* **enforcement**: one 1000-row page of observations for an analyst whose readable datasets are
  limited in the series query, vs. the same page with no restriction (the overhead of deciding
  access and joining the membership table).
* **downloads**: the whole dataset streamed as CSV and Parquet, rows per second, vs. the baseline
  of reading everything at once and writing it with pandas.

Run: ``.venv/bin/python benchmarks/opendata.py`` (prints and writes
``benchmarks/results/opendata.json``).
"""

from __future__ import annotations

import io
import json
import platform
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ecodata.bootstrap import initialise
from ecodata.catalog import datasets as catalog
from ecodata.catalog.downloads import Format, open_download
from ecodata.ingest.importing import run_import
from ecodata.ingest.kinds import KINDS
from ecodata.model import CHINA_TZ
from ecodata.security import accounts
from ecodata.security.access import restriction_for
from ecodata.security.principal import operator
from ecodata.security.roles import Role
from ecodata.settings import load_settings
from ecodata.store.aggregates import AggregateQuery, Span, aggregate
from ecodata.store.observations import ObservationQuery
from ecodata.store.queries import ObservationFilter, observation_page
from ecodata.store.stores import Stores, open_stores

REPO = Path(__file__).resolve().parents[1]
DATA = REPO.parent / "shared" / "data" / "air" / "beijing_multisite"
RESULTS = REPO / "benchmarks" / "results" / "opendata.json"
REPEATS = 5


def best(fn: Callable[[], Any], repeats: int = REPEATS) -> tuple[float, Any]:
    """Median wall time in ms over ``repeats`` runs, and the last result."""
    times, result = [], None
    for _ in range(repeats):
        start = time.perf_counter()
        result = fn()
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times), result


def baseline_summary(stores: Stores, series_id: int, freq: str) -> pd.DataFrame:
    rows = stores.observations.read(ObservationQuery(series_ids=[series_id], valid_only=True))
    frame = rows.select(["time", "value"]).to_pandas()
    frame = frame.dropna()
    local = frame["time"].dt.tz_convert("Asia/Shanghai").dt.tz_localize(None)
    grouped = frame.groupby(local.dt.to_period(freq))["value"]
    out = grouped.agg(["count", "mean", "std", "min", "max"])
    for q in (0.02, 0.25, 0.5, 0.75, 0.98):
        out[f"q{q}"] = grouped.quantile(q)
    return out


def bench_aggregates(stores: Stores, series_id: int) -> list[dict[str, Any]]:
    out = []
    for span, freq in ((Span.DAY, "D"), (Span.MONTH, "M")):
        query = AggregateQuery(series_id, span, limit=100_000)
        store_ms, table = best(lambda q=query: aggregate(stores.observations, q))
        base_ms, frame = best(lambda f=freq: baseline_summary(stores, series_id, f))
        agree = bool(
            table.num_rows == len(frame)
            and np.allclose(table.column("avg").to_numpy(), frame["mean"].to_numpy())
            and np.allclose(table.column("q98").to_numpy(), frame["q0.98"].to_numpy())
        )
        out.append(
            {
                "span": span.value,
                "buckets": table.num_rows,
                "store_sql_ms": round(store_ms, 1),
                "baseline_pandas_ms": round(base_ms, 1),
                "speedup": round(base_ms / store_ms, 1),
                "same_results": agree,
            }
        )
    return out


def bench_enforcement(stores: Stores) -> dict[str, Any]:
    engine = stores.registry.engine
    accounts.add_user(
        engine, operator(), "bench", Role.ANALYST, "benchmark-pw", department_code="monitoring"
    )
    analyst = accounts.principal_for_password(engine, "bench", "benchmark-pw", "token")
    flt = ObservationFilter(parameters=["pm2_5"])

    def restricted() -> int:
        restriction = restriction_for(engine, analyst)
        filtered = ObservationFilter(parameters=["pm2_5"], datasets=restriction.dataset_ids)
        return int(observation_page(stores, filtered, limit=1000).table.num_rows)

    open_ms, rows = best(lambda: observation_page(stores, flt, limit=1000).table.num_rows, 20)
    restricted_ms, restricted_rows = best(restricted, 20)
    return {
        "page_rows": rows,
        "unrestricted_ms": round(open_ms, 2),
        "restricted_ms": round(restricted_ms, 2),
        "overhead_ms": round(restricted_ms - open_ms, 2),
        "same_rows": rows == restricted_rows,
    }


def bench_downloads(stores: Stores) -> list[dict[str, Any]]:
    total = stores.observations.count()
    out = []
    for fmt in (Format.CSV, Format.PARQUET):

        def stream(f: Format = fmt) -> int:
            got = open_download(stores, operator(), "beijing-multisite", f, tz=CHINA_TZ)
            return sum(len(chunk) for chunk in got.chunks)

        def baseline(f: Format = fmt) -> int:
            table = stores.observations.read(ObservationQuery())
            frame = table.to_pandas()
            buffer = io.BytesIO()
            if f is Format.CSV:
                frame.to_csv(buffer, index=False)
            else:
                frame.to_parquet(buffer)
            return len(buffer.getvalue())

        stream_ms, size = best(stream, 2)
        print(f"download {fmt.value}: streamed in {stream_ms / 1000:.1f} s", file=sys.stderr)
        base_ms, _ = best(baseline, 2)
        out.append(
            {
                "format": fmt.value,
                "rows": total,
                "bytes": size,
                "stream_rows_per_s": round(total / stream_ms * 1000),
                "baseline_rows_per_s": round(total / base_ms * 1000),
                "stream_ms": round(stream_ms),
                "baseline_ms": round(base_ms),
            }
        )
    return out


def main() -> None:
    files = sorted(DATA.glob("PRSA_Data_*.csv"))
    if len(files) != 12:
        sys.exit(f"the 12 Beijing files were not found in {DATA}")
    with tempfile.TemporaryDirectory() as tmp:
        settings = load_settings(data_dir=Path(tmp) / "data", demo=True)
        with open_stores(settings) as stores:
            initialise(stores)
            start = time.perf_counter()
            run_import(stores, "beijing-multisite", KINDS["beijing-multisite"].importer, files)
            load_s = time.perf_counter() - start
            series = stores.registry.find_series(sites=["1003A"], parameters=["pm2_5"])[0]["id"]
            catalog.update(
                stores.registry.engine,
                operator(),
                "beijing-multisite",
                {
                    "classification": "shared",
                    "sharing_type": "unconditional",
                    "open_type": "closed",
                },
            )
            print(
                f"loaded {stores.observations.count()} observations in {load_s:.0f} s",
                file=sys.stderr,
            )
            result = {
                "benchmark": "opendata",
                "data": "UCI Beijing Multi-Site Air-Quality, 12 stations, hourly 2013-2017",
                "observations": stores.observations.count(),
                "load_seconds": round(load_s, 1),
                "machine": {"python": platform.python_version(), "cpu": platform.machine()},
                "when": datetime.now(UTC).isoformat(timespec="seconds"),
                "aggregates": {
                    "baseline": "read the sensor's rows, group and summarise in pandas",
                    "results": bench_aggregates(stores, series),
                },
                "enforcement": {
                    "baseline": "the same observation page without a restriction",
                    "results": bench_enforcement(stores),
                },
                "downloads": {
                    "baseline": "read everything at once, write with pandas",
                    "results": bench_downloads(stores),
                },
            }
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(result, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    print(json.dumps(result, indent=2, ensure_ascii=False))


if __name__ == "__main__":
    main()

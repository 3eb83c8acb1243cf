"""Benchmark: daily AQI of every national station for a month.

The month (January 2019, 31 days) is built from the three real days in
``../shared/data/air/national_hourly`` by shifting their dates (``build_month`` of
``import_national.py``) and imported into a fresh embedded store. Then, in the same run:

- ``vectorised``: ecodata's path — the observation store selects the month's hourly values of the
  six pollutants and computes each value's hour slot in SQL (DuckDB), numpy scatters them into a
  station × day × hour grid, and the HJ 663 daily values and the HJ 633 daily AQI are computed
  on whole arrays;
- ``row_by_row`` (baseline): the same observations read from the same store, then a plain Python
  loop — group the values by station, day and pollutant, compute the HJ 663 daily values per
  station-day and call the scalar ``calc_record`` for each.

Both must give the same AQI for every station-day (checked). Also reported: the registry look-up
done once per run, and the whole ``ecodata aqi compute`` of the month (hourly and daily AQI of
stations, cities and provinces, written to the store).

Usage: ``python benchmarks/aqi.py [--shared ../shared/data] [--repeat 5]``. Prints a summary and
writes ``benchmarks/results/aqi.json``. Goal: vectorised ≤ 1 s and ≥ 50 × the baseline.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import shutil
import sys
import tempfile
import time
from collections import defaultdict
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import numpy as np

HERE = Path(__file__).resolve().parent
RESULTS = HERE / "results"
sys.path.insert(0, str(HERE))

from ecodata.bootstrap import initialise  # noqa: E402
from ecodata.evaluation import aqi_compute  # noqa: E402
from ecodata.evaluation.air_network import POLLUTANTS, air_network  # noqa: E402
from ecodata.evaluation.periods import local_midnight  # noqa: E402
from ecodata.ingest.importing import run_import  # noqa: E402
from ecodata.ingest.kinds import KINDS  # noqa: E402
from ecodata.model import CHINA_TZ  # noqa: E402
from ecodata.settings import load_settings  # noqa: E402
from ecodata.standards.hj633 import calc_record  # noqa: E402
from ecodata.store.observations import ObservationQuery  # noqa: E402
from ecodata.store.stores import Stores, open_stores  # noqa: E402
from import_national import build_month  # noqa: E402  (the month is built as that benchmark does)

START = local_midnight(date(2019, 1, 1))
END = local_midnight(date(2019, 2, 1))


def timed(function: Any) -> tuple[Any, float, float]:
    wall, cpu = time.perf_counter(), time.process_time()
    result = function()
    return result, time.perf_counter() - wall, time.process_time() - cpu


# -- contenders -----------------------------------------------------------------------------------


def vectorised(stores: Stores, network: Any) -> dict[tuple[str, int], float]:
    month = aqi_compute.read_month(stores, network, START, END)
    daily = aqi_compute.daily_site_values(month)
    day_times = month.grid.slot_times()[::24]
    _, result = aqi_compute.aqi_rows(
        month.sites, daily, day_times, period="day", keys=aqi_compute.DAILY_RECORD_KEYS
    )
    present = ~np.isnan(np.stack(list(daily.values()))).all(axis=0)
    site_i, day_i = np.nonzero(present)
    return {
        (month.sites[s].code, int(d)): float(a)
        for s, d, a in zip(site_i.tolist(), day_i.tolist(), result.aqi.tolist(), strict=True)
    }


def row_by_row(stores: Stores, series: dict[int, tuple[str, str]]) -> dict[tuple[str, int], float]:
    """Read the observations, then one Python step per value and one calc_record per day."""
    table = stores.observations.read(
        ObservationQuery(series_ids=list(series), start=START, end=END, valid_only=True)
    )
    hours: dict[tuple[str, int, str], dict[int, float]] = defaultdict(dict)
    for sid, moment, value in zip(
        table.column("series_id").to_pylist(),
        table.column("time").to_pylist(),
        table.column("value").to_pylist(),
        strict=True,
    ):
        if value is None:
            continue
        site, parameter = series[sid]
        local = moment.astimezone(CHINA_TZ)
        day = (local.date() - START.date()).days
        hours[(site, day, parameter)][local.hour] = value
    by_day: dict[tuple[str, int], dict[str, dict[int, float]]] = defaultdict(dict)
    for (site, day, parameter), values in hours.items():
        by_day[(site, day)][parameter] = values
    out: dict[tuple[str, int], float] = {}
    for key, pollutants in by_day.items():
        record: dict[str, float | None] = {}
        for parameter in ("so2", "no2", "co", "pm10", "pm2_5"):
            values = list(pollutants.get(parameter, {}).values())
            record[parameter] = sum(values) / len(values) if len(values) >= 20 else None
        o3 = pollutants.get("o3", {})
        record["o3"] = max(o3.values()) if len(o3) >= 20 else None
        windows = []
        for first in range(17):
            inside = [o3[h] for h in range(first, first + 8) if h in o3]
            if len(inside) >= 6:
                windows.append(sum(inside) / len(inside))
        record["o3_8h"] = max(windows) if len(windows) >= 14 else None
        if all(v is None for v in record.values()):
            continue
        aqi = calc_record(record, version="2012", period="day").aqi
        out[key] = float("nan") if aqi is None else float(aqi)
    return out


def agree(a: dict[tuple[str, int], float], b: dict[tuple[str, int], float]) -> bool:
    if a.keys() != b.keys():
        return False
    return all(a[k] == b[k] or (math.isnan(a[k]) and math.isnan(b[k])) for k in a)


# -- driver ---------------------------------------------------------------------------------------


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--shared", default=str(HERE.parent.parent / "shared" / "data"))
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    shared = Path(args.shared)
    root = Path(tempfile.mkdtemp(prefix="ecodata-bench-aqi-"))
    try:
        files = build_month(shared, root / "month", 31)
        settings = load_settings(data_dir=root / "data", demo=True)
        with open_stores(settings) as stores:
            initialise(stores)
            regions = shared / "regions" / "divisions"
            run_import(stores, "divisions", KINDS["divisions"].importer,
                       [regions / f for f in ("province.csv", "city.csv", "area.csv")])  # fmt: skip
            run_import(stores, "stations", KINDS["stations"].importer,
                       [shared / "air" / "national_stations_2020.csv",
                        shared / "air" / "national_stations_2024.csv"])  # fmt: skip
            run_import(stores, "national-hourly", KINDS["national-hourly"].importer, files)
            payload = run(stores, args.repeat)
    finally:
        shutil.rmtree(root, ignore_errors=True)
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "aqi.json").write_text(json.dumps(payload, indent=1, ensure_ascii=False))
    print(json.dumps(payload["summary"], indent=1))


def run(stores: Stores, repeat: int) -> dict[str, Any]:
    network, registry_wall, _ = timed(lambda: air_network(stores.registry))
    series = {
        int(sid): (network.sites[row].code, POLLUTANTS[col])
        for sid, row, col in zip(
            network.series.series_id.tolist(), network.series.row.tolist(),
            network.series.column.tolist(), strict=True,
        )
    }  # fmt: skip
    runs = [timed(lambda: vectorised(stores, network)) for _ in range(repeat)]
    fast = runs[-1][0]
    walls = sorted(r[1] for r in runs)
    cpus = sorted(r[2] for r in runs)
    slow, slow_wall, slow_cpu = timed(lambda: row_by_row(stores, series))
    summary_compute, compute_wall, _ = timed(
        lambda: aqi_compute.compute_aqi(stores, start=START, end=END)
    )
    values = stores.observations.count()
    best, median = walls[0], walls[len(walls) // 2]
    summary = {
        "station_days": len(fast),
        "stations": len(network.sites),
        "vectorised_seconds_best": round(best, 3),
        "vectorised_seconds_median": round(median, 3),
        "row_by_row_seconds": round(slow_wall, 3),
        "speedup_best": round(slow_wall / best, 1),
        "speedup_median": round(slow_wall / median, 1),
        "speedup_cpu": round(slow_cpu / cpus[0], 1),
        "same_aqi_every_station_day": agree(fast, slow),
        "goals": {
            "vectorised <= 1 s": best <= 1.0,
            "speedup >= 50 x row-by-row": slow_wall / best >= 50,
        },
    }
    return {
        "benchmark": "aqi",
        "description": "daily AQI (HJ 663 daily values, HJ 633-2012 daily report) of every "
        "national station for January 2019 (three real days cycled)",
        "month": "2019-01",
        "observations_in_store": values,
        "hourly_pollutant_series": len(series),
        "registry_lookup_seconds": round(registry_wall, 3),
        "vectorised": {
            "wall_seconds": [round(w, 3) for w in walls],
            "cpu_seconds": [round(c, 3) for c in cpus],
        },
        "row_by_row": {"wall_seconds": round(slow_wall, 3), "cpu_seconds": round(slow_cpu, 3)},
        "compute_aqi_month": {
            "wall_seconds": round(compute_wall, 3),
            "rows": summary_compute.to_json(),
        },
        "summary": summary,
        "machine": {"cpus": os.cpu_count(), "load_average": list(os.getloadavg())},
        "date": datetime.now(UTC).strftime("%Y-%m-%d"),
        "note": "wall times on a shared machine; cpu times include DuckDB's threads",
    }


if __name__ == "__main__":
    main()

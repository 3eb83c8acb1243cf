"""Values that arrive without an import run (HJ 212 gateway, SensorThings) leave the registry's
series statistics as they were; the AQI must still cover them."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import pyarrow as pa

from ecodata.evaluation.aqi_compute import compute_aqi
from ecodata.evaluation.aqi_results import AqiFilter, aqi_page
from ecodata.ingest.importing import run_import
from ecodata.ingest.kinds import KINDS
from ecodata.model import CHINA_TZ, OBSERVATION_SCHEMA, Period
from ecodata.store.stores import Stores


def test_values_written_after_the_import_are_computed(
    embedded_stores: Stores, shared_data: Path
) -> None:
    stores = embedded_stores
    air = shared_data / "air"
    run_import(stores, "stations", KINDS["stations"].importer,
               [air / "national_stations_2020.csv"])  # fmt: skip
    run_import(stores, "national-hourly", KINDS["national-hourly"].importer,
               [air / "national_hourly" / "china_sites_20190101.csv"])  # fmt: skip
    series = stores.registry.find_series(sites=["1001A"], parameters=["pm2_5"], period=Period.HOUR)
    (pm25,) = [s for s in series if s["parameter"] == "pm2_5"]
    live = datetime(2019, 1, 2, 8, tzinfo=CHINA_TZ)
    stores.observations.write(
        pa.table(
            {"series_id": [pm25["id"]], "time": [live], "value": [120.0], "flag": ["N"],
             "qc": [0], "run_id": [0]},
            schema=OBSERVATION_SCHEMA,
        )
    )  # fmt: skip
    assert stores.registry.find_series(sites=["1001A"], parameters=["pm2_5"])[0]["last_time"] < live
    compute_aqi(stores)
    latest = aqi_page(stores, AqiFilter(codes=["1001A"], latest=True), limit=1).rows[0]
    assert latest["time"] == live.isoformat()
    assert (latest["aqi"], latest["primary"]) == (158, ["pm2_5"])  # PM2.5 120: 115–150 → 150–200

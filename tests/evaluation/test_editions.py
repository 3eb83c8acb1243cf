"""The HJ 633 edition follows the date of the data: two real days of the national release moved to
2026-02-28 (HJ 633-2012) and 2026-03-01 (HJ 633-2026, in force from 00:00 CST)."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

from ecodata.evaluation.aqi_compute import compute_aqi
from ecodata.evaluation.aqi_results import AqiFilter, aqi_page
from ecodata.evaluation.periods import local_midnight
from ecodata.ingest.importing import run_import
from ecodata.ingest.kinds import KINDS
from ecodata.standards.hj633 import calc_record
from ecodata.store.stores import Stores


def _moved(source: Path, day: str, folder: Path) -> Path:
    """The release file of ``source`` with its date column set to ``day`` (YYYYMMDD)."""
    header, *lines = source.read_text(encoding="utf-8").splitlines()
    original = source.stem.split("_")[-1]
    moved = [day + line[len(original) :] if line.startswith(original) else line for line in lines]
    path = folder / f"china_sites_{day}.csv"
    path.write_text("\n".join([header, *moved]) + "\n", encoding="utf-8")
    return path


def test_each_row_uses_the_edition_in_force(
    embedded_stores: Stores, shared_data: Path, tmp_path: Path
) -> None:
    stores = embedded_stores
    release = shared_data / "air" / "national_hourly"
    files = [
        _moved(release / "china_sites_20190101.csv", "20260228", tmp_path),
        _moved(release / "china_sites_20190102.csv", "20260301", tmp_path),
    ]
    run_import(stores, "stations", KINDS["stations"].importer,
               [shared_data / "air" / "national_stations_2020.csv"])  # fmt: skip
    run_import(stores, "national-hourly", KINDS["national-hourly"].importer, files)
    summary = compute_aqi(stores)
    assert summary.months == 2  # February and March 2026

    hours = aqi_page(stores, AqiFilter(codes=["1001A"]), limit=100).rows
    editions = {r["time"][:10]: r["standard"] for r in hours}
    assert editions == {"2026-02-28": "HJ 633-2012", "2026-03-01": "HJ 633-2026"}
    for row in (hours[0], next(r for r in hours if r["time"].startswith("2026-03-01"))):
        version = row["standard"][-4:]
        expected = calc_record(row["concentrations"], version=version, period="hour")
        assert (row["aqi"], row["iaqi"]) == (expected.aqi, expected.iaqi)
    # 1001A at 2026-02-28 00:00: PM2.5 53 µg/m³ is IAQI 73 under 2012 (75 at IAQI 100)
    assert hours[0]["iaqi"]["pm2_5"] == 73 and hours[0]["aqi"] == 73

    march = local_midnight(date(2026, 3, 1))
    days = aqi_page(stores, AqiFilter(period="day", codes=["1001A"]), limit=10).rows
    assert [d["standard"] for d in days] == ["HJ 633-2012", "HJ 633-2026"]
    assert days[1]["time"] == march.isoformat()
    # the 2026 daily report has no O₃ 1-h indicator; 2012 had one
    every = aqi_page(stores, AqiFilter(period="day"), limit=10_000).rows
    with_o3 = [d for d in every if d["concentrations"]["o3"] is not None]
    by_edition = {e: [d for d in with_o3 if d["standard"] == e] for e in editions.values()}
    assert all(d["iaqi"]["o3"] is not None for d in by_edition["HJ 633-2012"])
    assert all(d["iaqi"]["o3"] is None for d in by_edition["HJ 633-2026"])
    assert len(by_edition["HJ 633-2026"]) > 1000
    last = aqi_page(stores, AqiFilter(codes=["1001A"], latest=True), limit=1).rows[0]
    assert last["time"] == (march + timedelta(hours=23)).isoformat()

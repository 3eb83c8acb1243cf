"""Station lists, divisions and the HJ 212 code table on the real files."""

from __future__ import annotations

import csv
from pathlib import Path

from ecodata.store.stores import Stores
from tests.ingest.conftest import Loader


def _rows(path: Path) -> int:
    with path.open(encoding="utf-8-sig") as fh:
        return sum(1 for _ in csv.reader(fh)) - 1


def test_divisions_then_stations_link_and_flag(
    load: Loader, stores: Stores, shared_data: Path
) -> None:
    regions = shared_data / "regions" / "divisions"
    files = [regions / n for n in ("province.csv", "city.csv", "area.csv")]
    summary = load("divisions", *files)
    assert summary.counts.read == sum(_rows(f) for f in files) == 34 + 337 + 2846
    assert summary.counts.quarantined == 0
    assert {d["code"]: d["name"] for d in stores.registry.divisions(level=1)}["110000"] == "北京市"
    county = next(d for d in stores.registry.divisions(level=3) if d["code"] == "110101")
    assert county["parent_code"] == "110100" or county["parent_code"] == "110000"

    centres = load("divisions", regions / "adcodes_with_centres.csv")
    assert centres.counts.quarantined == 0
    beijing = next(d for d in stores.registry.divisions(level=1) if d["code"] == "110000")
    assert beijing["longitude"] is not None and 115 < beijing["longitude"] < 118

    air = shared_data / "air"
    stations = load(
        "stations", air / "national_stations_2020.csv", air / "national_stations_2024.csv"
    )
    assert stations.counts.read == _rows(air / "national_stations_2020.csv") + _rows(
        air / "national_stations_2024.csv"
    )
    # one station code is listed twice in the 2020 list (3207A): the second line is quarantined
    assert [r for _, r in load.reasons() if "repeats" in r] == ["station 3207A repeats line 1632"]
    wanshouxigong = stores.registry.site("1001A")
    assert wanshouxigong["division_code"] == "110000" and wanshouxigong["kind"] == "air"
    dingling = stores.registry.site("1002A")
    assert dingling["attributes"]["control_site"] is True and dingling["name_zh"] == "定陵"
    closed = stores.registry.site("1013A")  # 市监测中心(停运150702) in Tianjin
    assert closed["status"] == "closed" and closed["attributes"]["closed_on"] == "2015-07-02"
    assert closed["division_code"] == "120000"
    yiwu = list(stores.registry.sites(city="义乌"))
    assert yiwu and all(s["division_code"] == "330782" for s in yiwu)
    again = load("stations", air / "national_stations_2024.csv")
    assert again.counts.stored == 0 and again.counts.duplicate == again.counts.read


def test_station_list_rejects_malformed_rows(load: Loader, tmp_path: Path) -> None:
    bad = tmp_path / "stations.csv"
    bad.write_text(
        "监测点编码,监测点名称,城市,经度,纬度\n"
        "1001A,万寿西宫,北京,116.366,39.8673\n"
        "12,坏编码,北京,116.3,39.8\n"
        "1002A,定陵,北京,abc,40.2\n"
        "1003A,东四,北京,16.4,39.9\n"
        "1004A,天坛,北京,,\n",
        encoding="utf-8",
    )
    summary = load("stations", bad)
    assert (summary.counts.read, summary.counts.stored, summary.counts.quarantined) == (5, 2, 3)
    reasons = dict(load.reasons())
    assert reasons["line 3"].startswith("station code '12'")
    assert reasons["line 4"] == "coordinates 'abc','40.2' are not numbers"
    assert reasons["line 5"] == "coordinates 16.4,39.9 lie outside China"


def test_hj212_code_table(load: Loader, stores: Stores, shared_data: Path) -> None:
    summary = load("hj212-codes", shared_data / "hj212" / "hj212.csv")
    assert summary.counts.read == 379
    assert summary.counts.quarantined + summary.counts.stored + summary.counts.duplicate == 379
    so2 = stores.registry.parameter("a21026")
    assert so2["unit"] == "mg/m³" and so2["hj2005_code"] == "02" and so2["domain"] == "source-air"
    flow = stores.registry.parameter("w00000")
    assert flow["unit"] == "L/s" and flow["emission_unit"] == "m³" and flow["hj2005_code"] == "B01"

"""`ecodata aqi …` and `ecodata verify …` as a user runs them: real processes, real files."""

from __future__ import annotations

import json
from pathlib import Path

from tests.cli.test_commands import run


def test_aqi_calc_prints_one_record(tmp_path: Path) -> None:
    args = ["aqi", "calc", "--version", "2012", "so2=15", "no2=75", "co=1.2", "o3=20",
            "pm10=76", "pm2_5=53"]  # fmt: skip
    data = json.loads(run(tmp_path, *args, "--json").stdout)
    # the national release: 1001A, 2019-01-01 00:00, published AQI 73, primary PM2.5
    assert data["iaqi"] == {"so2": 5, "no2": 38, "co": 12, "o3": 7, "pm10": 63, "pm2_5": 73}
    assert (data["aqi"], data["level"], data["category"], data["primary"]) == (
        73, 2, "良", ["pm2_5"],
    )  # fmt: skip
    text = run(tmp_path, *args).stdout
    assert "AQI: 73" in text and "良" in text and "primary pollutant: PM2.5" in text

    # HJ 633-2026 daily report: PM2.5 60 µg/m³ is IAQI 100 (75 in 2012)
    day = json.loads(run(tmp_path, "aqi", "calc", "--version", "2026", "--period", "day",
                         "pm2_5=60", "o3_8h=100", "--json").stdout)  # fmt: skip
    assert day["iaqi"] == {"so2": None, "no2": None, "co": None, "o3_8h": 50, "pm10": None,
                           "pm2_5": 100}  # fmt: skip
    assert day["aqi"] is None and day["aqi_status"] == "na_incomplete"  # §5.3.1: NA
    above = json.loads(run(tmp_path, "aqi", "calc", "--version", "2012", "pm10=700",
                           "--json").stdout)  # fmt: skip
    assert above["aqi"] is None and above["aqi_status"] == "above_scale"


def test_aqi_calc_refuses_bad_input(tmp_path: Path) -> None:
    for arg, message in [
        ("pm25=53", "unknown pollutant 'pm25'"),
        ("so2=abc", "'abc' is not a number"),
        ("co", "write NAME=VALUE"),
    ]:
        result = run(tmp_path, "aqi", "calc", arg, check=False)
        assert result.returncode == 2 and message in result.stderr, result.stderr


def test_compute_and_verify_the_national_release(tmp_path: Path, shared_data: Path) -> None:
    data = tmp_path / "data"
    air = shared_data / "air"
    run(data, "init")
    run(data, "import", "stations", str(air / "national_stations_2020.csv"),
        str(air / "national_stations_2024.csv"), "--quiet")  # fmt: skip
    run(data, "import", "national-hourly", *sorted(str(p) for p in
        (air / "national_hourly").glob("*.csv")), "--quiet")  # fmt: skip
    summary = json.loads(run(data, "aqi", "compute", "--json").stdout)
    assert summary["months"] == 1 and summary["day_rows"]["province"] == 0  # no divisions
    assert summary["hour_rows"]["site"] > 100_000 and summary["day_rows"]["city"] > 1000

    report = json.loads(run(data, "verify", "aqi", "--json").stdout)
    assert report["compared"] == 83_924 and report["match_rate"] >= 0.995
    assert report["mismatches"] == {"above_scale_capped": 92}
    strict = run(data, "verify", "aqi", "--fail-under", "0.9995", check=False)
    assert "compared 83924, matched 83832 (99.890%)" in strict.stdout
    assert "above_scale_capped" in strict.stdout
    assert strict.returncode == 1 and "below 99.9500%" in strict.stderr
    one_day = json.loads(run(data, "verify", "aqi", "--from", "2019-01-02", "--to", "2019-01-02",
                             "--json").stdout)  # fmt: skip
    assert one_day["compared"] < 30_000 and one_day["end"] == "2019-01-03T00:00:00+08:00"
    bad = run(data, "verify", "aqi", "--from", "January", check=False)
    assert bad.returncode == 1 and "neither a date" in bad.stderr


def test_verify_water_on_the_sample(tmp_path: Path, shared_data: Path) -> None:
    data = tmp_path / "data"
    run(data, "init")
    sample = shared_data / "water" / "surface_water_sample_2024.xlsx"
    run(data, "import", "water-excel", str(sample), "--quiet")
    report = json.loads(run(data, "verify", "water", "--json").stdout)
    assert report["compared"] == 2132 and report["match_rate"] >= 0.98
    assert report["by_section_type"]["unknown"]["matched_river"] == 2067
    text = run(data, "verify", "water", "--fail-under", "0.98").stdout
    assert "readings with all five items: compared 2132, matched 2090 (98.030%)" in text
    assert "section type unknown" in text and "on_limit" in text
    empty = run(tmp_path / "empty", "verify", "water", check=False)
    assert empty.returncode == 1 and "no published water-quality classes" in empty.stderr

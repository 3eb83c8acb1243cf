"""`ecodata analyze …` as a user runs it: real processes over a data directory with three Beijing
stations imported by `ecodata import`, JSON and figures written to files."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.cli.test_commands import run

STATIONS = ("Dongsi", "Tiantan", "Guanyuan")


@pytest.fixture(scope="module")
def data(tmp_path_factory: pytest.TempPathFactory, shared_data: Path) -> Path:
    folder = tmp_path_factory.mktemp("analysis") / "data"
    air = shared_data / "air"
    run(folder, "init", "--json")
    run(folder, "import", "stations", str(air / "national_stations_2020.csv"))
    files = [air / "beijing_multisite" / f"PRSA_Data_{s}_20130301-20170228.csv" for s in STATIONS]
    run(folder, "import", "beijing-multisite", *map(str, files))
    return folder


def test_trend_json_and_plot(data: Path, tmp_path: Path) -> None:
    figure = tmp_path / "trend.svg"
    out = run(data, "analyze", "trend", "--site", "1003A", "--parameter", "pm2_5", "--deseason",
              "--json", "--plot", str(figure))  # fmt: skip
    result = json.loads(out.stdout)
    assert {"slope", "lower", "upper", "p", "units"} <= set(result)
    assert result["units"] == "µg/m³/year" and result["n"] == 48
    assert result["lower"] < result["slope"] < result["upper"]
    assert figure.read_bytes().lstrip().startswith(b"<?xml")
    bad = run(data, "analyze", "trend", "--site", "1003A", "--parameter", "pm2_5",
              "--plot", str(tmp_path / "trend.gif"), check=False)  # fmt: skip
    assert bad.returncode == 2 and ".png or .svg" in bad.stderr
    unknown = run(data, "analyze", "trend", "--site", "9999Z", "--parameter", "pm2_5",
                  check=False)  # fmt: skip
    assert unknown.returncode == 1 and "9999Z" in unknown.stderr


def test_profile_rose_and_grid(data: Path, tmp_path: Path) -> None:
    profile = json.loads(run(data, "analyze", "profile", "--site", "1004A", "--parameter",
                             "no2,o3", "--json").stdout)  # fmt: skip
    assert len([r for r in profile["hour"] if r["parameter"] == "o3"]) == 24
    rose = json.loads(run(data, "analyze", "rose", "--site", "1006A", "--json").stdout)
    assert len(rose["sectors"]) == 12
    geojson, png = tmp_path / "field.geojson", tmp_path / "field.png"
    out = run(data, "analyze", "grid", "--region", "北京市", "--parameter", "pm2_5",
              "--date", "2016-12-20", "--method", "idw", "--step", "0.1",
              "--geojson", str(geojson), "--plot", str(png))  # fmt: skip
    assert "3 stations" in out.stdout
    collection = json.loads(geojson.read_text(encoding="utf-8"))
    assert collection["properties"]["adcode"] == "110000"
    assert png.read_bytes().startswith(b"\x89PNG")


def test_haze_case_base(data: Path) -> None:
    out = run(data, "analyze", "haze", "--site", "1003A", "--from", "2015-12-01", "--to",
              "2015-12-31", "--json")  # fmt: skip
    episodes = json.loads(out.stdout)
    # Beijing's first red alert, 7–10 December 2015
    assert any(e["start"] <= "2015-12-09" <= e["end"] for e in episodes)
    assert all(e["duration_h"] >= 24 for e in episodes)


def test_forecast_train_serve_warn_and_evaluate(data: Path, tmp_path: Path) -> None:
    trained = json.loads(run(data, "analyze", "forecast-train", "--site", "1003A", "--target",
                             "pm2_5,aqi", "--model", "ridge", "--horizons", "1,6,24,48,72,96",
                             "--json").stdout)  # fmt: skip
    assert [m["target"] for m in trained] == ["pm2_5", "aqi"]
    assert trained[0]["sites"] == ["1003A", "1004A", "1006A"]
    assert sorted(p.name.split("-")[-1] for p in (data / "models").iterdir()) == [
        "aqi.joblib",
        "pm2_5.joblib",
    ]
    figure = tmp_path / "forecast.png"
    out = run(data, "analyze", "forecast", "--site", "1004A", "--at", "2016-12-16T20:00",
              "--json", "--plot", str(figure))  # fmt: skip
    result = json.loads(out.stdout)
    for target in ("pm2_5", "aqi"):
        path = result["forecasts"][target]["path"]
        assert [p["horizon_h"] for p in path] == list(range(1, 97))
    assert result["warning"]["level"] in ("none", "blue", "yellow", "orange", "red")
    assert figure.read_bytes().startswith(b"\x89PNG")
    # a region's stricter thresholds come from the settings
    strict = run(data, "analyze", "forecast", "--site", "1004A", "--target", "aqi", "--at",
                 "2016-12-16T20:00", "--json",
                 env={"ECODATA_WARNING__HEAVY": "100", "ECODATA_WARNING__SEVERE": "150"})  # fmt: skip
    rule = json.loads(strict.stdout)["warning"]["rule"]
    assert "> 100" in rule or rule.startswith("no day with daily AQI > 100")
    warnings = json.loads(run(data, "analyze", "warnings", "--json").stdout)
    assert {w["site"] for w in warnings} == {"1003A", "1004A", "1006A"}

    table = json.loads(run(data, "analyze", "forecast-eval", "--sites", "1003A,1004A",
                           "--train-end", "2015-12-01", "--test-end", "2016-03-01",
                           "--horizons", "1,24", "--models", "ridge,persistence",
                           "--json").stdout)  # fmt: skip
    rows = {(r["model"], r["horizon_h"]): r for r in table["rows"]}
    assert set(rows) == {("ridge", 1), ("ridge", 24), ("persistence", 1), ("persistence", 24)}
    for row in rows.values():
        assert {"horizon_h", "rmse", "mae"} <= set(row) and row["rmse"] >= row["mae"] > 0
    assert rows["ridge", 24]["rmse"] < rows["persistence", 24]["rmse"]

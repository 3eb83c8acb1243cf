"""Heavy-pollution warning levels at their thresholds, and the haze case base on Beijing data."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from ecodata.analysis import haze
from ecodata.analysis.forecast_features import hourly_panels
from ecodata.analysis.hourly_aqi import with_hourly_aqi
from ecodata.analysis.warning import (
    WarningLevel,
    WarningRules,
    daily_aqi,
    decide,
    forecast_warnings,
)
from ecodata.errors import InputError


@pytest.mark.parametrize(
    ("days", "level"),
    [
        ([150, 200, 180, 100], WarningLevel.NONE),  # 200 is not "> 200"
        ([150, 201, 180, 100], WarningLevel.BLUE),
        ([201, 180, 201, 100], WarningLevel.BLUE),  # two heavy days, but not consecutive
        ([201, 250, 180, 100], WarningLevel.YELLOW),
        ([201, 250, 300, 100], WarningLevel.YELLOW),  # 300 is not "> 300"
        ([201, 250, 301, 100], WarningLevel.ORANGE),
        ([201, 301, 250, 220], WarningLevel.ORANGE),  # four days but one severe day
        ([201, 301, 250, 301], WarningLevel.RED),
        ([150, 499, 150, 100], WarningLevel.BLUE),
        ([150, 500, 150, 100], WarningLevel.RED),  # ≥ 500 on one day is enough for red
    ],
)
def test_national_levels_at_their_thresholds(days: list[float], level: WarningLevel) -> None:
    decision = decide(days)
    assert decision.level is level
    assert decision.rule == WarningRules().describe(level)
    assert decision.rule_zh == WarningRules().describe_zh(level)
    if level is WarningLevel.RED:
        assert decision.rule_zh == (
            "预测日AQI>200持续4天及以上，且日AQI>300持续2天及以上；或日AQI≥500持续1天及以上"
        )


def test_regions_may_set_stricter_thresholds() -> None:
    strict = WarningRules(heavy=150.0, severe=200.0, orange_days=2)
    assert decide([160, 170, 100, 100], strict).level is WarningLevel.YELLOW
    assert decide([160, 210, 100, 100], strict).level is WarningLevel.ORANGE
    assert decide([160, 210, 100, 100]).level is WarningLevel.BLUE  # national rules
    with pytest.raises(InputError, match="must rise"):
        WarningRules(heavy=300.0, severe=200.0)


def test_daily_aqi_is_the_mean_of_24_consecutive_hours() -> None:
    hourly = np.r_[np.full(12, 100.0), np.full(24, 300.0), np.full(60, 150.0)]
    # blocks 1–24, 25–48 … cross midnight when the forecast is issued at noon
    assert daily_aqi(hourly) == [200.0, 225.0, 150.0, 150.0]
    assert daily_aqi(np.r_[hourly, 1.0]) == daily_aqi(hourly)


def test_forecast_warnings_per_site_and_issue() -> None:
    issued = pd.Timestamp("2016-12-16 12:00", tz="Asia/Shanghai")
    rows = []
    for site, level in (("1001A", 320.0), ("1002A", 120.0)):
        for h in range(1, 97):
            rows.append({"site": site, "issue_time": issued, "horizon_h": h, "aqi": level})
    out = forecast_warnings(pd.DataFrame(rows)).set_index("site")
    assert out.loc["1001A", "level"] == "red"
    assert out.loc["1001A", "label_zh"] == "红色预警"
    assert out.loc["1002A", "level"] == "none"
    with pytest.raises(InputError, match="without gaps"):
        forecast_warnings(pd.DataFrame(rows[:10] + rows[11:96]))


@pytest.fixture(scope="module")
def dongsi(beijing: pd.DataFrame) -> pd.DataFrame:
    return with_hourly_aqi(hourly_panels(beijing, ["1003A"])["1003A"])


def test_haze_case_base_finds_the_known_episodes(dongsi: pd.DataFrame) -> None:
    episodes = haze.detect_episodes(dongsi, site="1003A")
    assert episodes
    # Beijing's red alerts of 2015-12-07/10 and 2016-12-16/21 fall inside detected episodes
    for moment in ("2015-12-09 12:00", "2016-12-19 12:00"):
        t = pd.Timestamp(moment, tz="Asia/Shanghai")
        match = [e for e in episodes if e.start <= t <= e.end]
        assert match, moment
        episode = match[0]
        assert episode.duration_h >= 48
        assert episode.peak_aqi > 300
        assert episode.primary_pollutant == "pm2_5"
        assert episode.meteorology["rh"] > 50  # haze comes with humid air
        assert episode.meteorology["ws"] < 2.0
    for e in episodes:
        assert e.duration_h >= 24
        assert e.peak_daily_aqi > 200
        assert e.start <= e.peak_time <= e.end
    table = haze.case_base(episodes)
    assert {"start", "end", "peak_aqi", "primary_pollutant", "met_rh", "met_ws"} <= set(table)


def test_episode_rule_on_a_constructed_record() -> None:
    index = pd.date_range("2020-01-01", periods=24 * 6, freq="h", tz="Asia/Shanghai")
    aqi = np.full(len(index), 100.0)
    aqi[48:96] = 320.0  # two days of severe pollution
    frame = pd.DataFrame({"aqi": aqi, "primary": "pm2_5"}, index=index)
    (episode,) = haze.detect_episodes(frame, site="x")
    # a 24-h mean exceeds 200 once it holds 11 of the 320 hours: windows ending at hours 58
    # to 108; the episode starts with the first hour of the first such window
    assert episode.start == index[58 - 23]
    assert episode.end == index[108]
    assert episode.duration_h == 108 - 35 + 1
    assert episode.peak_aqi == 320.0
    assert episode.primary_pollutant == "pm2_5"
    frame.iloc[5, 0] = -1.0
    with pytest.raises(InputError, match="negative"):
        haze.detect_episodes(frame)


def test_observed_aqi_of_december_2016_calls_for_the_red_alert_beijing_issued(
    dongsi: pd.DataFrame,
) -> None:
    # Beijing issued a red alert from 2016-12-16 20:00 to 2016-12-21 24:00; a perfect 96-h
    # forecast issued at 20:00 on the 16th is the observed record of the next four days
    issued = pd.Timestamp("2016-12-16 20:00", tz="Asia/Shanghai")
    hours = dongsi.loc[issued + pd.Timedelta(hours=1) : issued + pd.Timedelta(hours=96), "aqi"]
    assert len(hours) == 96
    rows = pd.DataFrame(
        {"site": "1003A", "issue_time": issued, "horizon_h": range(1, 97), "aqi": hours}
    )
    (warning,) = forecast_warnings(rows).to_dict(orient="records")
    assert warning["level"] == "red"
    assert warning["heavy_days"] == 4
    assert warning["severe_days"] >= 2


def test_aqi_forecast_feeds_the_warnings(dongsi: pd.DataFrame) -> None:
    from ecodata.analysis import forecast
    from ecodata.analysis.forecast_features import FeatureSpec, build_features

    panel = dongsi["2015-09-01":"2016-12-31"]
    spec = FeatureSpec(target="aqi")
    features = build_features({"1003A": panel}, spec)
    model = forecast.train_forecaster(
        features,
        kind="ridge",
        spec=spec,
        horizons=[1, 24, 48, 72, 96],
        train_end=pd.Timestamp("2016-10-01", tz="Asia/Shanghai"),
    )
    warnings = {}
    for moment in ("2016-12-17 08:00", "2016-12-22 08:00"):  # in the episode; after it cleared
        issued = features[features["time"] == pd.Timestamp(moment, tz="Asia/Shanghai")]
        path = model.predict_path(issued).rename(columns={"predicted": "aqi"})
        assert len(path) == 96
        (warnings[moment],) = forecast_warnings(path).to_dict(orient="records")
    during, after = warnings["2016-12-17 08:00"], warnings["2016-12-22 08:00"]
    assert during["daily_aqi"][0] > after["daily_aqi"][0] + 50
    for w in (during, after):
        level = WarningLevel[w["level"].upper()]
        assert decide(w["daily_aqi"]).level is level
        assert w["rule"] == WarningRules().describe(level)

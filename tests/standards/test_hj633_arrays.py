"""The array path equals the scalar path, IAQI and AQI are monotone in concentration, and the
edition follows the time of every row."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from ecodata.errors import InputError
from ecodata.standards.hj633 import calc_record, scheme, sub_index
from ecodata.standards.hj633_arrays import aqi_arrays, iaqi_array, mask_labels, sub_index_array
from ecodata.standards.hj633_tables import POLLUTANTS, TABLES, Indicator

# Upper ends of the drawn concentrations: a little above each table so that "above the table" and
# the special cases are exercised.
HIGH = {
    "so2": 3000.0,
    "no2": 4000.0,
    "co": 70.0,
    "o3": 1400.0,
    "o3_8h": 1000.0,
    "pm10": 700.0,
    "pm2_5": 600.0,
    "so2_24h": 3000.0,
    "pm10_24h": 700.0,
    "pm2_5_24h": 600.0,
}


def concentration(key: str) -> st.SearchStrategy[float | None]:
    values = st.one_of(
        st.floats(min_value=0, max_value=HIGH[key], allow_nan=False),
        st.integers(min_value=0, max_value=int(HIGH[key])).map(float),
        st.sampled_from([0.0, 35.0, 75.0, 150.0, 800.0, 801.0, 500.0, 600.0]),
    )
    return st.one_of(st.none(), values)


records = st.fixed_dictionaries({k: concentration(k) for k in HIGH})
configs = st.tuples(
    st.sampled_from(["2012", "2026"]),
    st.sampled_from(["hour", "day"]),
    st.sampled_from(["published", "strict"]),
    st.sampled_from(["undefined", "cap"]),
    st.booleans(),
)


@settings(max_examples=300, deadline=None)
@given(st.lists(records, min_size=1, max_size=20), configs)
def test_array_path_equals_scalar_path(rows: list[dict[str, float | None]], config: Any) -> None:
    version, period, rule, above, rounding = config
    columns = {k: np.array([np.nan if r[k] is None else r[k] for r in rows]) for k in HIGH}
    arrays = aqi_arrays(
        columns, version=version, period=period, rule=rule, above_scale=above, round_inputs=rounding
    )
    for i, row in enumerate(rows):
        scalar = calc_record(
            row, version=version, period=period, rule=rule, above_scale=above, round_inputs=rounding
        )
        for key, value in scalar.iaqi.items():
            got = arrays.iaqi[key][i]
            assert (value is None and np.isnan(got)) or value == got, (key, row)
        assert (scalar.aqi is None and np.isnan(arrays.aqi[i])) or scalar.aqi == arrays.aqi[i]
        assert (scalar.level or 0) == arrays.level[i]
        labels = mask_labels(arrays.primary[i : i + 1])[0]
        assert ",".join(scalar.primary) == labels
        assert len(scalar.missing) == arrays.missing[i]
        assert scalar.aqi_status == arrays.status_labels()[i]
        exceeding = mask_labels(arrays.exceeding[i : i + 1])[0]
        assert ",".join(scalar.exceeding) == exceeding


INDICATOR_TABLES = [(v, p, b) for v, t in TABLES.items() for (p, b) in t]


@pytest.mark.parametrize(("version", "pollutant", "basis"), INDICATOR_TABLES)
@settings(deadline=None)
@given(data=st.data())
def test_iaqi_is_monotone_in_concentration(
    version: str, pollutant: str, basis: str, data: st.DataObject
) -> None:
    top = TABLES[version][(pollutant, basis)][-1]
    c = np.sort(np.asarray(data.draw(st.lists(st.floats(0, top), min_size=2, max_size=50))))
    values, above = sub_index_array(Indicator(pollutant, pollutant, basis, ""), c, version=version)
    assert not above.any()
    assert np.all(np.diff(values) >= 0)
    assert values[0] >= 0 and values[-1] <= 500


@settings(max_examples=200, deadline=None)
@given(
    records,
    st.sampled_from(list(HIGH)),
    st.floats(0, 500),
    st.sampled_from(["2012", "2026"]),
    st.sampled_from(["hour", "day"]),
)
def test_aqi_never_falls_when_a_concentration_rises(
    row: dict[str, float | None], key: str, increase: float, version: str, period: str
) -> None:
    """Under the 2026 rules, and the 2012 rules away from their fallbacks."""
    # HJ 633-2012 is not monotone where its fallbacks switch tables: an SO2 1-h value crossing 800
    # takes the sub-index of the 24-h mean, an O3 8-h value crossing 800 that of the 1-h value.
    assume(not (version == "2012" and key in ("so2", "o3_8h")))
    full = {k: (0.0 if v is None else v) for k, v in row.items()}
    higher = dict(full)
    higher[key] = full[key] + increase
    a = calc_record(full, version=version, period=period, above_scale="cap")
    b = calc_record(higher, version=version, period=period, above_scale="cap")
    assert a.aqi is not None and b.aqi is not None
    assert b.aqi >= a.aqi


def test_edition_per_row_from_times() -> None:
    start = datetime(2026, 2, 28, 12, tzinfo=UTC)
    times = pd.DatetimeIndex([start + timedelta(hours=h) for h in range(8)])  # crosses 16:00Z
    pm = np.full(8, 70.0)
    by_time = aqi_arrays({"pm2_5": pm}, period="hour", times=times)
    assert by_time.version.tolist() == ["2012"] * 4 + ["2026"] * 4
    assert by_time.iaqi["pm2_5"].tolist() == [94.0] * 4 + [110.0] * 4
    # under 2026 the other pollutants are missing and PM2.5 alone is > 100: still published
    assert by_time.aqi.tolist() == [94.0] * 4 + [110.0] * 4


def test_accepts_pandas_and_arrow_columns() -> None:
    pm25 = pa.array([53, None, 600], type=pa.int64())
    pm10 = pd.Series([76.0, 50.0, None])
    result = aqi_arrays({"pm2_5": pm25, "pm10": pm10}, version="2012", period="hour")
    assert np.isnan(result.iaqi["pm2_5"][1])
    assert result.aqi[0] == 73 and result.aqi[1] == 50
    assert np.isnan(result.aqi[2]) and result.level[2] == 6 and bool(result.above_scale[2])
    frame = result.to_frame()
    assert frame["primary"].tolist() == ["pm2_5", "", "pm2_5"]
    assert frame["aqi_status"].tolist() == ["partial", "partial", "above_scale"]


def test_invalid_cells_are_missing_in_the_array_path() -> None:
    result = iaqi_array("pm2_5", [-1.0, np.inf, 35.0], version="2026", period="day")
    assert np.isnan(result[0]) and np.isnan(result[1]) and result[2] == 50


def test_array_errors() -> None:
    with pytest.raises(InputError, match="unknown pollutant column"):
        aqi_arrays({"pm25": [1.0]}, version="2012", period="hour")
    with pytest.raises(InputError, match="different lengths"):
        aqi_arrays({"pm2_5": [1.0], "pm10": [1.0, 2.0]}, version="2012", period="hour")
    with pytest.raises(InputError, match="time of every row"):
        aqi_arrays({"pm2_5": [1.0]}, period="hour")
    with pytest.raises(InputError, match="no sub-index"):
        iaqi_array("o3_8h", [1.0], version="2026", period="hour")


def test_scheme_indicators() -> None:
    assert [i.key for i in scheme("2026", "hour")] == ["so2", "no2", "co", "o3", "pm10", "pm2_5"]
    assert len(scheme("2012", "hour", "strict")) == 7  # + 2 PM 1-h values shown = 9 indicators
    assert len(scheme("2012", "day")) == 7 and len(scheme("2026", "day")) == 6
    assert all(i.pollutant in POLLUTANTS for v in ("2012", "2026") for i in scheme(v, "day"))
    assert sub_index(scheme("2026", "hour")[5], 75.0, version="2026").value == 114

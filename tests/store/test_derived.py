"""Cell reads and derived tables on both observation stores (embedded DuckDB and PostgreSQL)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pyarrow as pa
import pytest

from ecodata.errors import InputError, NotFoundError
from ecodata.model import QC, Period
from ecodata.store.derived import CellQuery, DerivedQuery
from ecodata.store.stores import Stores

T0 = datetime(2019, 1, 1, 0, tzinfo=UTC)


def _series(stores: Stores, site: str, parameters: list[str]) -> list[int]:
    stores.registry.upsert_sites([{"code": site, "kind": "air"}])
    site_id = stores.registry.site_ids([site])[site]
    ids = stores.registry.parameter_ids()
    keys = [(site_id, ids[p], int(Period.HOUR)) for p in parameters]
    found = stores.registry.series_ids(keys)
    return [found[k] for k in keys]


def _observations(rows: list[tuple[int, datetime, float | None, str | None, int]]) -> pa.Table:
    sid, time, value, flag, qc = zip(*rows, strict=True)
    return pa.table(
        {
            "series_id": pa.array(sid, pa.int32()),
            "time": pa.array(time, pa.timestamp("us", tz="UTC")),
            "value": pa.array(value, pa.float64()),
            "flag": pa.array(flag, pa.string()),
            "qc": pa.array(qc, pa.int16()),
            "run_id": pa.array([0] * len(rows), pa.int32()),
        }
    )


def test_cells_carry_slots_and_validity(stores: Stores) -> None:
    pm, co = _series(stores, "9001A", ["pm2_5", "co"])
    hour = timedelta(hours=1)
    stores.observations.write(
        _observations(
            [
                (pm, T0, 10.0, None, 0),
                (pm, T0 + hour, 11.0, "N", 0),
                (pm, T0 + 2 * hour, 12.0, "M", 0),  # maintenance: not valid
                (pm, T0 + 3 * hour, 13.0, None, int(QC.OUT_OF_RANGE)),  # failed QC
                (co, T0 + 3 * hour, 1.2, None, int(QC.UNIT_CONVERTED)),  # converted: still valid
                (co, T0 + 4 * hour, None, None, 0),  # no value: not a cell
                (co, T0 + 30 * hour, 0.9, None, 0),  # outside the query
            ]
        )
    )
    query = CellQuery([pm, co], T0, T0 + 24 * hour, hour, valid_only=False)
    rows = sorted(
        stores.observations.cells(query).to_pylist(), key=lambda r: (r["slot"], r["value"])
    )
    assert [(r["series_id"], r["slot"], r["value"], r["valid"]) for r in rows] == [
        (pm, 0, 10.0, True),
        (pm, 1, 11.0, True),
        (pm, 2, 12.0, False),
        (co, 3, 1.2, True),
        (pm, 3, 13.0, False),
    ]
    valid = stores.observations.cells(CellQuery([pm, co], T0, T0 + 24 * hour, hour))
    assert sorted(valid.column("slot").to_pylist()) == [0, 1, 3]
    assert valid.schema.field("slot").type == pa.int32()
    daily = stores.observations.cells(CellQuery([co], T0, T0 + 48 * hour, timedelta(days=1)))
    assert sorted(daily.column("slot").to_pylist()) == [0, 1]
    assert stores.observations.cells(CellQuery([], T0, T0 + hour, hour)).num_rows == 0


def test_cell_queries_refuse_naive_times_and_bad_steps() -> None:
    with pytest.raises(InputError, match="no time zone"):
        CellQuery([1], datetime(2019, 1, 1), T0, timedelta(hours=1))
    with pytest.raises(InputError, match="positive"):
        CellQuery([1], T0, T0, timedelta(0))


def _results(codes: list[str], hours: list[int], aqi: list[float]) -> pa.Table:
    return pa.table(
        {
            "scope": pa.array(["site"] * len(codes), pa.string()),
            "code": pa.array(codes, pa.string()),
            "time": pa.array(
                [T0 + timedelta(hours=h) for h in hours], pa.timestamp("us", tz="UTC")
            ),
            "aqi": pa.array(aqi, pa.float64()),
            "level": pa.array([2] * len(codes), pa.int8()),
        }
    )


KEY = ("scope", "code", "time")


def test_derived_tables_replace_by_key_and_by_range(stores: Stores) -> None:
    obs = stores.observations
    with pytest.raises(NotFoundError):
        obs.read_derived("aqi_test", DerivedQuery())
    written = obs.write_derived(
        "aqi_test", _results(["A", "A", "B"], [0, 1, 0], [50.0, float("nan"), 70.0]), key=KEY
    )
    assert written == 3
    table = obs.read_derived("aqi_test", DerivedQuery(order_by=("code", "time")))
    assert table.column("aqi").to_pylist() == [50.0, None, 70.0]  # NaN is stored as NULL
    assert table.schema.field("level").type == pa.int16()
    assert table.schema.field("time").type == pa.timestamp("us", tz="UTC")

    # same key: replaced; a new column is added to the table
    again = _results(["A"], [1], [60.0]).append_column("n_sites", pa.array([3], pa.int32()))
    obs.write_derived("aqi_test", again, key=KEY)
    table = obs.read_derived("aqi_test", DerivedQuery(order_by=("code", "time")))
    assert table.column("aqi").to_pylist() == [50.0, 60.0, 70.0]
    assert table.column("n_sites").to_pylist() == [None, 3, None]

    # a range replacement removes rows the new batch no longer has
    replace = DerivedQuery(start=T0, end=T0 + timedelta(hours=1))
    obs.write_derived("aqi_test", _results(["C"], [0], [80.0]), key=KEY, replace=replace)
    table = obs.read_derived("aqi_test", DerivedQuery(order_by=("code", "time")))
    assert list(zip(table.column("code").to_pylist(), table.column("aqi").to_pylist(),
                    strict=True)) == [("A", 60.0), ("C", 80.0)]  # fmt: skip


def test_derived_reads_filter_page_and_take_the_latest(stores: Stores) -> None:
    obs = stores.observations
    obs.write_derived(
        "aqi_test",
        _results(["A", "A", "A", "B", "B"], [0, 1, 2, 0, 1], [1.0, 2.0, 3.0, 4.0, 5.0]),
        key=KEY,
    )
    latest = obs.read_derived(
        "aqi_test", DerivedQuery(latest_by=("code",), order_by=("code", "time"))
    )
    assert latest.column("aqi").to_pylist() == [3.0, 5.0]
    only_b = obs.read_derived(
        "aqi_test", DerivedQuery(equals={"code": ["B"]}, start=T0 + timedelta(hours=1))
    )
    assert only_b.column("aqi").to_pylist() == [5.0]
    first = obs.read_derived("aqi_test", DerivedQuery(order_by=("code", "time"), limit=2))
    last = first.slice(1, 1).to_pylist()[0]
    rest = obs.read_derived(
        "aqi_test",
        DerivedQuery(order_by=("code", "time"), after=(last["code"], last["time"])),
    )
    assert first.column("aqi").to_pylist() + rest.column("aqi").to_pylist() == [1, 2, 3, 4, 5]
    newest_first = obs.read_derived(
        "aqi_test", DerivedQuery(order_by=("code", "time"), descending=True, limit=1)
    )
    assert newest_first.column("aqi").to_pylist() == [5.0]


def test_derived_tables_refuse_bad_names_and_null_keys(stores: Stores) -> None:
    obs = stores.observations
    with pytest.raises(InputError, match="derived table name"):
        obs.write_derived("aqi; DROP TABLE observations", _results(["A"], [0], [1.0]), key=KEY)
    bad = _results(["A"], [0], [1.0]).set_column(1, "code", pa.array([None], pa.string()))
    with pytest.raises(InputError, match="null key column 'code'"):
        obs.write_derived("aqi_test", bad, key=KEY)
    with pytest.raises(InputError, match="lacks its key"):
        obs.write_derived("aqi_test", _results(["A"], [0], [1.0]).drop(["time"]), key=KEY)
    with pytest.raises(InputError, match="column name"):
        obs.read_derived("aqi_test", DerivedQuery(equals={"code OR 1=1": ["x"]}))

"""The observation store contract, run on both backends (DuckDB and PostgreSQL)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pyarrow as pa
import pytest

from ecodata.errors import InputError
from ecodata.model import Period
from ecodata.store.observations import (
    ObservationQuery,
    batch_stats,
    in_key_order,
    merge_stats,
    newest_per_series,
    prepare,
)
from ecodata.store.stores import Stores

T0 = datetime(2019, 1, 31, 12, tzinfo=UTC)  # crosses a month boundary in local time


def _series(stores: Stores, site: str = "1001A", parameter: str = "pm2_5") -> int:
    stores.registry.upsert_sites([{"code": site, "kind": "air"}])
    sid = stores.registry.site_ids([site])[site]
    pid = stores.registry.parameter_ids()[parameter]
    return stores.registry.series_ids([(sid, pid, Period.HOUR)])[(sid, pid, Period.HOUR)]


def _batch(series_id: int, hours: int, *, value_offset: float = 0.0, run_id: int = 1) -> pa.Table:
    times = [T0 + timedelta(hours=i) for i in range(hours)]
    return pa.table(
        {
            "series_id": pa.array([series_id] * hours, pa.int32()),
            "time": pa.array(times, pa.timestamp("us", tz="UTC")),
            "value": [float(i) + value_offset for i in range(hours)],
            "flag": pa.array([None] * hours, pa.string()),
            "qc": pa.array([0] * hours, pa.int16()),
            "run_id": pa.array([run_id] * hours, pa.int32()),
        }
    )


def test_write_is_idempotent_and_conflicts_are_returned(stores: Stores) -> None:
    sid = _series(stores)
    first = stores.observations.write(_batch(sid, 48))
    assert (first.stored, first.duplicate, first.conflicts.num_rows) == (48, 0, 0)

    again = stores.observations.write(_batch(sid, 48, run_id=2))
    assert (again.stored, again.duplicate, again.conflicts.num_rows) == (0, 48, 0)

    # 24 new hours plus 48 known keys of which the values differ: conflicts, never overwritten.
    changed = stores.observations.write(_batch(sid, 72, value_offset=0.5, run_id=3))
    assert changed.stored == 24
    assert changed.conflicts.num_rows == 48
    assert changed.duplicate == 0
    row = changed.conflicts.sort_by("time").slice(0, 1).to_pylist()[0]
    assert (row["value"], row["stored_value"]) == (0.5, 0.0)
    stored = stores.observations.read(ObservationQuery(series_ids=[sid]))
    assert stored.num_rows == 72
    assert stored.column("value").to_pylist()[:2] == [0.0, 1.0]


def test_repeated_keys_within_one_batch_count_as_duplicates(stores: Stores) -> None:
    sid = _series(stores)
    batch = pa.concat_tables([_batch(sid, 5), _batch(sid, 5)])
    result = stores.observations.write(batch)
    assert (result.stored, result.duplicate) == (5, 5)


def test_null_keys_are_refused(stores: Stores) -> None:
    sid = _series(stores)
    bad = _batch(sid, 2).set_column(0, "series_id", pa.array([sid, None], pa.int32()))
    with pytest.raises(InputError, match="null series_id"):
        stores.observations.write(bad)


def test_read_filters_orders_and_pages(stores: Stores) -> None:
    a, b = _series(stores, "1001A"), _series(stores, "1002A")
    stores.observations.write(pa.concat_tables([_batch(a, 10), _batch(b, 10)]))
    window = ObservationQuery(
        series_ids=[a, b], start=T0 + timedelta(hours=2), end=T0 + timedelta(hours=5)
    )
    rows = stores.observations.read(window).to_pylist()
    assert [(r["series_id"], r["time"]) for r in rows] == [
        (s, T0 + timedelta(hours=h)) for s in sorted((a, b)) for h in (2, 3, 4)
    ]
    # keyset paging: three pages of 7, 7 and 6 rows, no row twice
    seen: list[tuple[int, datetime]] = []
    after = None
    while True:
        page = stores.observations.read(
            ObservationQuery(series_ids=[a, b], after=after, limit=7)
        ).to_pylist()
        if not page:
            break
        seen.extend((r["series_id"], r["time"]) for r in page)
        after = seen[-1]
    assert len(seen) == 20 and len(set(seen)) == 20


def test_latest_stats_and_months(stores: Stores) -> None:
    a, b = _series(stores, "1001A"), _series(stores, "1002A")
    stores.observations.write(pa.concat_tables([_batch(a, 30), _batch(b, 3)]))
    latest = {r["series_id"]: r for r in stores.observations.latest().to_pylist()}
    assert latest[a]["time"] == T0 + timedelta(hours=29)
    assert latest[b]["value"] == 2.0
    stats = {r["series_id"]: r for r in stores.observations.stats().to_pylist()}
    assert stats[a]["count"] == 30 and stats[a]["first"] == T0
    # 2019-01-31 12:00 UTC is 20:00 local; +29 h reaches February in UTC+8.
    assert stores.observations.months(8) == [(2019, 1), (2019, 2)]
    assert stores.observations.count() == 33


def test_valid_only_leaves_out_flagged_values(stores: Stores) -> None:
    sid = _series(stores)
    batch = _batch(sid, 3)
    batch = batch.set_column(3, "flag", pa.array([None, "M", "N"], pa.string()))
    batch = batch.set_column(4, "qc", pa.array([0, 0, 1], pa.int16()))
    stores.observations.write(batch)
    valid = stores.observations.read(ObservationQuery(series_ids=[sid], valid_only=True))
    assert valid.column("value").to_pylist() == [0.0]


@pytest.mark.postgres
def test_postgres_creates_monthly_partitions(postgres_url: str, tmp_path: object) -> None:
    import psycopg

    from ecodata.settings import load_settings
    from ecodata.store.stores import open_stores

    with open_stores(load_settings(database_url=postgres_url, demo=True)) as stores:
        stores.registry.upsert_parameters([{"code": "pm2_5", "domain": "air"}])
        sid = _series(stores)
        stores.observations.write(_batch(sid, 30))
    with psycopg.connect(postgres_url) as conn:
        names = {
            r[0]
            for r in conn.execute(
                """SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
                   JOIN pg_class p ON p.oid = i.inhparent WHERE p.relname = 'observations'"""
            )
        }
        bounds = conn.execute(
            "SELECT pg_get_expr(relpartbound, oid) FROM pg_class WHERE relname = "
            "'observations_2019_02'"
        ).fetchone()
    assert names == {"observations_2019_01", "observations_2019_02"}
    assert bounds is not None and "2019-01-31 16:00:00+00" in bounds[0]


def test_a_write_reports_the_statistics_of_what_it_stored(stores: Stores) -> None:
    sid = _series(stores)
    first = stores.observations.write(_batch(sid, 48))
    assert first.stats is not None
    assert first.stats.to_pylist() == [
        {"series_id": sid, "first": T0, "last": T0 + timedelta(hours=47), "count": 48}
    ]
    again = stores.observations.write(_batch(sid, 48, run_id=2))
    assert again.stats is not None and again.stats.num_rows == 0  # nothing stored
    partly = stores.observations.write(_batch(sid, 72, run_id=3))
    assert partly.stored == 24 and partly.stats is None  # the store cannot tell which


def _stats_rows(table: pa.Table) -> list[tuple[int, datetime, datetime, int]]:
    return [(r["series_id"], r["first"], r["last"], r["count"]) for r in table.to_pylist()]


@pytest.mark.parametrize("spread", [1, 60_000_000], ids=["dense ids", "sparse ids"])
def test_batch_statistics_newest_rows_and_merging(spread: int) -> None:
    ids = [5 * spread, 2 * spread, 5 * spread, 9 * spread, 2 * spread]
    hours = [3, 1, 7, 2, 0]
    batch = pa.table(
        {
            "series_id": pa.array(ids, pa.int32()),
            "time": pa.array([T0 + timedelta(hours=h) for h in hours], pa.timestamp("us", "UTC")),
            "value": [1.0, 2.0, 3.0, 4.0, 5.0],
            "flag": pa.array([None] * 5, pa.string()),
            "qc": pa.array([0] * 5, pa.int16()),
            "run_id": pa.array([1] * 5, pa.int32()),
        }
    )
    h = [T0 + timedelta(hours=i) for i in range(8)]
    stats = batch_stats(batch)
    assert _stats_rows(stats) == [
        (2 * spread, h[0], h[1], 2),
        (5 * spread, h[3], h[7], 2),
        (9 * spread, h[2], h[2], 1),
    ]
    newest = newest_per_series(batch, stats)
    assert newest.column("value").to_pylist() == [2.0, 3.0, 4.0]
    assert newest.equals(newest_per_series(batch))

    later = batch_stats(
        batch.slice(0, 1).set_column(1, "time", pa.array([h[5]], batch["time"].type))
    )
    merged = merge_stats([stats, later, stats.slice(0, 0)])
    assert _stats_rows(merged) == [
        (2 * spread, h[0], h[1], 2),
        (5 * spread, h[3], h[7], 3),
        (9 * spread, h[2], h[2], 1),
    ]
    assert merge_stats([]).num_rows == 0


def test_batches_can_be_prepared_in_key_order() -> None:
    batch = pa.concat_tables([_batch(7, 3), _batch(3, 2), _batch(7, 1)])  # (7, T0) repeats
    assert not in_key_order(batch)
    prepared = prepare(batch, key_order=True)
    keys = [(r["series_id"], r["time"]) for r in prepared.batch.to_pylist()]
    assert keys == sorted(set(keys)) and prepared.repeated == 1
    assert in_key_order(prepared.batch) and in_key_order(batch.slice(0, 1))
    assert not in_key_order(_batch(7, 3).take([0, 0]))  # equal keys are not increasing

"""The embedded store's latest values: kept at most a second behind the writes, merged before any
read, and rebuilt after a crash."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pyarrow as pa

from ecodata.store.duckdb_observations import DuckDBObservations
from ecodata.store.observations import prepare
from tests.store.test_observations import T0, _batch


def _marker(store: DuckDBObservations) -> str | None:
    found = store._con.execute(
        "SELECT value FROM store_meta WHERE key = 'latest_behind'"
    ).fetchall()
    return found[0][0] if found else None


def _latest_table(store: DuckDBObservations) -> dict[int, object]:
    rows = store._con.execute("SELECT series_id, time FROM observations_latest").fetchall()
    return dict(rows)


def _shifted(series: int, hours: int, start: int) -> pa.Table:
    batch = _batch(series, hours)
    times = [T0 + timedelta(hours=start + i) for i in range(hours)]
    return batch.set_column(1, "time", pa.array(times, pa.timestamp("us", tz="UTC")))


def test_writes_in_quick_succession_leave_the_table_behind_but_reads_merge(
    tmp_path: Path,
) -> None:
    store = DuckDBObservations(tmp_path / "o.duckdb")
    try:
        store.write(_batch(1, 10))  # the first write of a fresh store brings it up to date
        assert _latest_table(store) == {1: T0 + timedelta(hours=9)}
        store.write(_shifted(1, 10, 20))  # within the second: left behind, and marked so
        store.write(_shifted(2, 5, 0))
        # older than what is pending: must not win; prepared by an import, whose run column
        # differs from the store's schema in nullability
        store.write(prepare(_shifted(1, 6, 10)).with_run(7))
        assert _latest_table(store) == {1: T0 + timedelta(hours=9)}
        assert _marker(store) == "1"

        latest = {r["series_id"]: r["time"] for r in store.latest().to_pylist()}
        assert latest == {1: T0 + timedelta(hours=29), 2: T0 + timedelta(hours=4)}
        assert _marker(store) == "0"
        assert store._newest == []
    finally:
        store.close()


def _left_behind(path: Path, series: int, hours: int, start: int) -> DuckDBObservations:
    """A store whose latest values are behind: series 1 hours 0–29, then ``series`` pending."""
    store = DuckDBObservations(path)
    store.write(_batch(1, 10))
    store.write(_shifted(1, 10, 20))
    store.write(_shifted(series, hours, start))
    return store


def test_a_store_left_behind_by_a_crash_rebuilds_its_latest_values(tmp_path: Path) -> None:
    path = tmp_path / "o.duckdb"
    store = _left_behind(path, 3, 2, 40)
    assert _marker(store) == "1"
    store._con.close()  # a crash: the pending newest rows die with the process

    reopened = DuckDBObservations(path)
    try:
        assert _marker(reopened) == "0"
        assert _latest_table(reopened) == {
            1: T0 + timedelta(hours=29),
            3: T0 + timedelta(hours=41),
        }
    finally:
        reopened.close()


def test_closing_and_deleting_merge_what_is_pending(tmp_path: Path) -> None:
    path = tmp_path / "o.duckdb"
    store = _left_behind(path, 2, 3, 0)
    assert store.delete([2]) == 3
    assert _latest_table(store) == {1: T0 + timedelta(hours=29)}
    store.write(_shifted(1, 1, 50))
    store.close()

    reopened = DuckDBObservations(path, read_only=True)
    try:
        assert _latest_table(reopened) == {1: T0 + timedelta(hours=50)}
        assert _marker(reopened) == "0"
    finally:
        reopened.close()

"""The group commit on a real store: order of callbacks, commit spacing, failures, draining."""

from __future__ import annotations

import asyncio
from typing import Any

import pyarrow as pa
import pytest

from ecodata.ingest.group_commit import Committed, GroupCommit, Readings, readings_to_table
from ecodata.model import SiteKind
from ecodata.store.observations import ObservationQuery
from ecodata.store.stores import Stores

T0 = 1_748_736_000_000_000  # 2025-06-01T00:00Z in microseconds


def series(stores: Stores, count: int) -> list[int]:
    registry = stores.registry
    registry.upsert_sites([{"code": "GC1", "kind": SiteKind.SOURCE_OUTLET.value,
                            "name_zh": "测试", "name_en": "Test"}])  # fmt: skip
    site = registry.site_ids(["GC1"])["GC1"]
    params = list(registry.parameter_ids().values())[:count]
    ids = registry.series_ids({(site, p, 0) for p in params})
    return [ids[(site, p, 0)] for p in params]


def packet(ids: list[int], second: int, value: float = 1.5) -> Readings:
    n = len(ids)
    return (tuple(ids), T0 + second * 1_000_000, (value,) * n, ("N",) * n, (0,) * n)


def test_readings_become_one_table() -> None:
    table = readings_to_table(
        [((1, 2), T0, (1.5, None), ("N", None), (0, 3)), ((3,), T0 + 1, (2.0,), ("C",), (1,))]
    )
    assert table.column("series_id").to_pylist() == [1, 2, 3]
    assert table.column("time").cast(pa.int64()).to_pylist() == [T0, T0, T0 + 1]
    assert table.column("value").to_pylist() == [1.5, None, 2.0]
    assert table.column("flag").to_pylist() == ["N", None, "C"]
    assert table.column("qc").to_pylist() == [0, 3, 1]
    assert readings_to_table([]).num_rows == 0


def test_callbacks_in_order_and_commits_spaced(embedded_stores: Stores) -> None:
    stores = embedded_stores
    ids = series(stores, 3)
    outcomes: list[tuple[int, Any]] = []

    async def main() -> GroupCommit:
        commit = GroupCommit(stores, wait_ms=50)
        await commit.start()
        loop = asyncio.get_running_loop()
        started = loop.time()
        for k in range(40):  # 40 packets over ~0.2 s: a few commits, not 40
            commit.submit([packet(ids, k)], len(ids), lambda o, k=k: outcomes.append((k, o)))
            await asyncio.sleep(0.005)
        first = await commit.write([packet(ids, 100)])
        assert isinstance(first, Committed) and first.stored >= 3
        assert loop.time() - started < 5
        await commit.stop()
        return commit

    commit = asyncio.run(main())
    assert [k for k, _ in outcomes] == list(range(40))
    assert all(isinstance(o, Committed) for _, o in outcomes)
    assert 2 <= commit.commits <= 12, commit.commits  # at most one commit start per 50 ms
    stored = stores.observations.read(ObservationQuery(series_ids=ids))
    assert stored.num_rows == 41 * 3


def test_the_same_readings_twice_are_stored_once(embedded_stores: Stores) -> None:
    stores = embedded_stores
    ids = series(stores, 2)

    async def main() -> list[Committed]:
        commit = GroupCommit(stores, wait_ms=1)
        await commit.start()
        out = [await commit.write([packet(ids, 1)]), await commit.write([packet(ids, 1)])]
        await commit.stop()
        return out

    first, second = asyncio.run(main())
    assert (first.stored, second.stored, second.duplicate) == (2, 0, 2)


def test_a_failed_commit_reaches_every_submitter(embedded_stores: Stores) -> None:
    stores = embedded_stores
    ids = series(stores, 1)
    bad: Readings = ((ids[0],), T0, ("not a number",), ("N",), (0,))  # type: ignore[assignment]

    async def main() -> list[Any]:
        commit = GroupCommit(stores, wait_ms=20)
        await commit.start()
        got: list[Any] = []
        commit.submit([bad], 1, got.append)
        commit.submit([packet(ids, 5)], 1, got.append)
        with pytest.raises(Exception):  # noqa: B017 - whatever the store raised
            await commit.write([packet(ids, 6)])
        await commit.stop()
        return got

    got = asyncio.run(main())
    assert len(got) == 2 and all(isinstance(o, BaseException) for o in got)


def test_stop_commits_what_is_queued(embedded_stores: Stores) -> None:
    stores = embedded_stores
    ids = series(stores, 2)
    outcomes: list[Any] = []

    async def main() -> None:
        commit = GroupCommit(stores, wait_ms=10_000)
        await commit.start()
        await commit.write([packet(ids, 1)])  # the first goes at once
        commit.submit([packet(ids, 2)], 2, outcomes.append)  # waits for the interval
        await commit.stop()

    asyncio.run(main())
    assert len(outcomes) == 1 and isinstance(outcomes[0], Committed)
    assert stores.observations.read(ObservationQuery(series_ids=ids)).num_rows == 4

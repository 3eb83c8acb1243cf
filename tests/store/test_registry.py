"""Registry behaviour on both backends: migrations, merges, series, provenance."""

from __future__ import annotations

import sqlalchemy as sa

from ecodata.bootstrap import initialise
from ecodata.settings import Settings
from ecodata.store import migrations
from ecodata.store.provenance import Counts, Rejected
from ecodata.store.stores import Stores, open_stores


def test_init_twice_is_a_no_op(backend_settings: Settings) -> None:
    with open_stores(backend_settings, upgrade=False) as stores:
        first = initialise(stores)
        second = initialise(stores)
        assert [m.split(":")[0] for m in first.migrations_applied] == [
            str(m.version) for m in migrations.MIGRATIONS
        ]
        assert second.migrations_applied == []
        assert second.parameters.inserted == second.parameters.changed == 0
        assert first.parameters.inserted > 30
        assert migrations.pending(stores.registry.engine) == []
        names = set(sa.inspect(stores.registry.engine).get_table_names())
        assert {"sites", "parameters", "series", "import_runs", "quarantine", "divisions"} <= names


def test_site_merge_counts_inserted_changed_unchanged(stores: Stores) -> None:
    reg = stores.registry
    first = reg.upsert_sites([{"code": "1001A", "kind": "air", "name_zh": "万寿西宫"}])
    assert (first.inserted, first.changed, first.unchanged) == (1, 0, 0)
    same = reg.upsert_sites([{"code": "1001A", "kind": "air", "name_zh": "万寿西宫"}])
    assert (same.inserted, same.changed, same.unchanged) == (0, 0, 1)
    moved = reg.upsert_sites(
        [{"code": "1001A", "kind": "air", "name_zh": "万寿西宫", "longitude": 116.36},
         {"code": "1002A", "kind": "air"}]
    )  # fmt: skip
    assert (moved.inserted, moved.changed, moved.unchanged) == (1, 1, 0)
    assert reg.site("1001A")["longitude"] == 116.36


def test_series_ids_are_stable(stores: Stores) -> None:
    reg = stores.registry
    reg.upsert_sites([{"code": "S1", "kind": "water"}])
    site = reg.site_ids(["S1"])["S1"]
    param = reg.parameter_ids()["ph"]
    first = reg.series_ids([(site, param, 3)])
    reg.clear_caches()
    assert reg.series_ids([(site, param, 3)]) == first
    frame = reg.series_frame(list(first.values())).to_pylist()
    assert frame[0]["site"] == "S1" and frame[0]["parameter"] == "ph"


def test_runs_and_quarantine_round_trip(stores: Stores) -> None:
    prov = stores.provenance
    run = prov.start_run("national-hourly", "china_sites_20190101.csv", sha256="ab", user="tester")
    prov.quarantine(
        [Rejected("f.csv", "line 3", "PM2.5=-4", "negative value", site_code="1001A",
                  raw_bytes=b"\xff\x00")],
        channel="import",
        run_id=run,
    )  # fmt: skip
    prov.finish_run(run, Counts(10, 8, 1, 1), "done")
    stored = prov.run(run)
    assert (stored["read"], stored["stored"], stored["duplicate"], stored["quarantined"]) == (
        10, 8, 1, 1,
    )  # fmt: skip
    assert stored["finished_at"].tzinfo is not None
    rows = prov.quarantined(run_id=run)
    assert rows[0]["reason"] == "negative value" and bytes(rows[0]["raw_bytes"]) == b"\xff\x00"
    assert prov.quarantine_count(site_code="1001A") == 1

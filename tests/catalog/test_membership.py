"""Every series belongs to exactly one dataset, filed by the selectors, on both backends."""

from __future__ import annotations

from pathlib import Path

import sqlalchemy as sa

from ecodata.catalog import datasets as catalog
from ecodata.security import audit
from ecodata.security.principal import operator
from ecodata.store import schema
from ecodata.store.stores import Stores
from tests.api.conftest import load


def _filed(stores: Stores) -> dict[tuple[str, str], str]:
    s, site, p, m, d = (
        schema.series,
        schema.sites,
        schema.parameters,
        schema.dataset_series,
        schema.datasets,
    )
    query = (
        sa.select(site.c.code, p.c.code, d.c.name)
        .select_from(s)
        .join(site, site.c.id == s.c.site_id)
        .join(p, p.c.id == s.c.parameter_id)
        .outerjoin(m, m.c.series_id == s.c.id)
        .outerjoin(d, d.c.id == m.c.dataset_id)
    )
    with stores.registry.engine.connect() as conn:
        return {(a, b): c for a, b, c in conn.execute(query)}


def test_series_are_filed_when_created(stores: Stores, shared_data: Path) -> None:
    air = shared_data / "air"
    load(stores, "stations", air / "national_stations_2020.csv")
    load(stores, "national-hourly", air / "national_hourly" / "china_sites_20190101.csv")
    load(stores, "water-excel", shared_data / "water" / "surface_water_sample_2024.xlsx")
    load(
        stores,
        "beijing-multisite",
        air / "beijing_multisite" / "PRSA_Data_Aotizhongxin_20130301-20170228.csv",
    )
    filed = _filed(stores)
    assert None not in filed.values()  # every series has its dataset
    assert filed[("1018A", "pm2_5")] == "air-quality-hourly"
    assert filed[("1018A", "aqi")] == "air-quality-published"
    assert filed[("1011A", "aqi")] == "air-quality-published"  # published before Beijing
    assert filed[("1011A", "pm2_5")] == "beijing-multisite"  # a UCI station
    assert filed[("1011A", "temp")] == "beijing-multisite"
    water = {name for (site, _), name in filed.items() if site.startswith("W")} or {
        name for (site, param), name in filed.items() if param in ("ph", "water_class")
    }
    assert water == {"water-quality-auto", "water-quality-class"}
    with stores.registry.engine.connect() as conn:
        series = conn.execute(sa.select(sa.func.count()).select_from(schema.series)).scalar_one()
        rows = conn.execute(
            sa.select(sa.func.count()).select_from(schema.dataset_series)
        ).scalar_one()
    assert rows == series  # exactly one row per series (series_id is the key)
    stats = {r["name"]: r["statistics"] for r in catalog.datasets(stores.registry.engine)}
    assert stats["monitoring-stations"]["sites"] > 1600
    assert stats["air-quality-published"]["series"] == filed_count(filed, "air-quality-published")


def filed_count(filed: dict[tuple[str, str], str], name: str) -> int:
    return sum(1 for v in filed.values() if v == name)


def test_changed_selectors_refile_and_sync_is_idempotent(stores: Stores, shared_data: Path) -> None:
    load(
        stores,
        "beijing-multisite",
        shared_data / "air" / "beijing_multisite" / "PRSA_Data_Dongsi_20130301-20170228.csv",
    )
    engine = stores.registry.engine
    assert catalog.sync(engine, operator()).refiled == 0
    catalog.update(engine, operator(), "meteorology", {"description_en": "Weather."})
    catalog.update(
        engine,
        operator(),
        "beijing-multisite",
        {"selector": {"site_codes": ["1003A"], "domains": ["air"]}},
    )
    filed = _filed(stores)
    assert filed[("1003A", "temp")] == "meteorology" and filed[("1003A", "co")] == (
        "beijing-multisite"
    )
    report = catalog.sync(engine, operator())
    assert report.added == [] and report.refiled == 0
    assert [e["action"] for e in audit.entries(engine, action="catalog")][:2] == [
        "catalog.sync",
        "catalog.update",
    ]


def test_series_are_selected_by_ranges_of_consecutive_ids_and_lists() -> None:
    from ecodata.store.membership import _id_conditions

    engine = sa.create_engine("sqlite://")
    table = sa.Table("t", sa.MetaData(), sa.Column("id", sa.Integer, primary_key=True))
    table.create(engine)
    wanted = [*range(1, 51), 60, 62, 64, *range(100, 131), 64]
    with engine.begin() as conn:
        conn.execute(table.insert(), [{"id": i} for i in range(1, 201)])
        conditions = _id_conditions(table.c.id, wanted)
        assert len(conditions) == 2  # the two runs as ranges, the three others as a list
        found = [i for c in conditions for (i,) in conn.execute(sa.select(table.c.id).where(c))]
        everything = conn.execute(sa.select(table.c.id).where(*_id_conditions(table.c.id, None)))
        assert len(everything.fetchall()) == 200
    assert sorted(found) == sorted(set(wanted))

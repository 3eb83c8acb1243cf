"""``ecodata init``: create or upgrade the stores and seed the reference data (idempotent)."""

from __future__ import annotations

from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from ecodata.ingest.hj212_code_table import import_hj212_codes
from ecodata.ingest.importing import ImportContext
from ecodata.parameters import reference_parameters
from ecodata.store import migrations
from ecodata.store.registry import Merge
from ecodata.store.stores import Stores


@dataclass(frozen=True)
class InitReport:
    migrations_applied: list[str]
    schema_version: int
    parameters: Merge
    hj212_codes: int


def initialise(stores: Stores) -> InitReport:
    applied = migrations.upgrade(stores.registry.engine)
    merge = stores.registry.upsert_parameters(reference_parameters())
    codes = 0
    table = packaged_hj212_codes()
    if table is not None:
        ctx = ImportContext(stores, {})
        for chunk in import_hj212_codes(table, ctx):
            codes += chunk.stored
    with stores.registry.engine.connect() as conn:
        version = migrations.current_version(conn)
    return InitReport([f"{m.version}: {m.name}" for m in applied], version, merge, codes)


def packaged_hj212_codes() -> Path | None:
    path = Path(str(resources.files("ecodata.protocols") / "hj212_codes.csv"))
    return path if path.exists() else None

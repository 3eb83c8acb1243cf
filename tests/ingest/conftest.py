"""Helpers for importer tests: run one importer on files and read back what was stored."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from ecodata.ingest.importing import ImportSummary, run_import
from ecodata.ingest.kinds import KINDS
from ecodata.store.stores import Stores


class Loader:
    def __init__(self, stores: Stores) -> None:
        self.stores = stores

    def __call__(self, kind: str, *paths: Path, **options: Any) -> ImportSummary:
        return run_import(self.stores, kind, KINDS[kind].importer, paths, options=options)

    def reasons(self, run_id: int | None = None) -> list[tuple[str, str]]:
        rows = self.stores.provenance.quarantined(run_id=run_id, limit=10_000)
        return [(r["position"], r["reason"]) for r in rows]


@pytest.fixture
def load(stores: Stores) -> Loader:
    return Loader(stores)


@pytest.fixture
def load_embedded(embedded_stores: Stores) -> Loader:
    return Loader(embedded_stores)

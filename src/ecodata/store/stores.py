"""Open the stores an installation is configured for: one registry and one observation store."""

from __future__ import annotations

from dataclasses import dataclass

from ecodata.settings import Settings
from ecodata.store import migrations
from ecodata.store.duckdb_observations import DuckDBObservations
from ecodata.store.observations import ObservationStore
from ecodata.store.postgres_observations import PostgresObservations
from ecodata.store.provenance import Provenance
from ecodata.store.registry import Registry, create_engine


@dataclass
class Stores:
    settings: Settings
    registry: Registry
    provenance: Provenance
    observations: ObservationStore

    def close(self) -> None:
        self.observations.close()
        self.registry.engine.dispose()

    def __enter__(self) -> Stores:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()


def open_stores(settings: Settings, *, upgrade: bool = True, read_only: bool = False) -> Stores:
    """Open (and by default create or upgrade) the registry and the observation store."""
    url = settings.database_url.get_secret_value() if settings.database_url else None
    engine = create_engine(url, settings.data_dir)
    if upgrade:
        migrations.upgrade(engine)
    observations: ObservationStore
    if url:
        offset = settings.tz.utcoffset(None)
        hours = int(offset.total_seconds() // 3600) if offset else 0
        observations = PostgresObservations(url, tz_offset_hours=hours)
    else:
        settings.data_dir.mkdir(parents=True, exist_ok=True)
        observations = DuckDBObservations(
            settings.data_dir / "observations.duckdb", read_only=read_only
        )
    return Stores(settings, Registry(engine), Provenance(engine), observations)

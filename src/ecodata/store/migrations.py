"""Versioned registry migrations.

``ecodata init`` applies the missing ones; applying twice is a no-op.

A migration is a version number, a name, the tables of :mod:`ecodata.store.schema` it creates and an
optional function for anything else (new columns, data). Migrations are append-only: a released
step is never edited, a change is a new step.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime

import sqlalchemy as sa

from ecodata.store import schema


@dataclass(frozen=True)
class Migration:
    version: int
    name: str
    tables: Sequence[str]
    apply: Callable[[sa.Connection], None] | None = field(default=None)


def _catalog_and_security(conn: sa.Connection) -> None:
    """Make the audit log append-only, seed the catalog and file the existing series."""
    from ecodata.catalog.seed import DATASETS, DEPARTMENTS, dataset_uuid
    from ecodata.store import membership

    if conn.dialect.name == "postgresql":
        conn.execute(
            sa.text(
                """CREATE OR REPLACE FUNCTION audit_log_append_only() RETURNS trigger AS $$
                   BEGIN RAISE EXCEPTION 'audit_log is append-only'; END $$ LANGUAGE plpgsql"""
            )
        )
        conn.execute(
            sa.text(
                "CREATE TRIGGER audit_log_no_change BEFORE UPDATE OR DELETE ON audit_log "
                "FOR EACH ROW EXECUTE FUNCTION audit_log_append_only()"
            )
        )
        conn.execute(
            sa.text(
                "CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON audit_log "
                "FOR EACH STATEMENT EXECUTE FUNCTION audit_log_append_only()"
            )
        )
    else:
        for verb in ("UPDATE", "DELETE"):
            conn.execute(
                sa.text(
                    f"CREATE TRIGGER audit_log_no_{verb.lower()} BEFORE {verb} ON audit_log "
                    "BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END"
                )
            )
    now = datetime.now(UTC)
    conn.execute(schema.departments.insert(), [{**d, "created_at": now} for d in DEPARTMENTS])
    rows = [{**d, "uuid": dataset_uuid(d["name"]), "created_at": now, "modified_at": now}
            for d in DATASETS]  # fmt: skip
    conn.execute(schema.datasets.insert(), rows)
    membership.assign(conn)


MIGRATIONS: list[Migration] = [
    Migration(
        1,
        "foundation: divisions, providers, sites, parameters, series, import runs, quarantine",
        ("divisions", "providers", "sites", "parameters", "series", "import_runs", "quarantine"),
    ),
    Migration(20, "HJ 212 gateway: device registry", ("devices",)),
    Migration(
        30,
        "catalog and security: departments, datasets, dataset membership, users, API keys, "
        "sharing requests, append-only audit log",
        (
            "departments",
            "datasets",
            "dataset_series",
            "users",
            "api_keys",
            "sharing_requests",
            "audit_log",
        ),
        _catalog_and_security,
    ),
    Migration(36, "SensorThings API metadata", ("sta_objects", "sta_links", "sta_overrides")),
]


def register(migration: Migration) -> None:
    """Add a migration (modules of later capabilities append theirs at import)."""
    if any(m.version == migration.version for m in MIGRATIONS):
        raise ValueError(f"migration {migration.version} is already registered")
    MIGRATIONS.append(migration)
    MIGRATIONS.sort(key=lambda m: m.version)


def current_version(conn: sa.Connection) -> int:
    if not sa.inspect(conn).has_table("schema_migrations"):
        return 0
    value = conn.execute(sa.select(sa.func.max(schema.schema_migrations.c.version))).scalar()
    return int(value or 0)


def upgrade(engine: sa.Engine) -> list[Migration]:
    """Apply every missing migration, each in its own transaction; return those applied."""
    applied: list[Migration] = []
    with engine.begin() as conn:
        schema.schema_migrations.create(conn, checkfirst=True)
    for migration in MIGRATIONS:
        with engine.begin() as conn:
            if engine.dialect.name == "postgresql":
                # Serialise concurrent `init`s on PostgreSQL.
                conn.execute(sa.text("SELECT pg_advisory_xact_lock(2122633)"))
            if current_version(conn) >= migration.version:
                continue
            for name in migration.tables:
                schema.metadata.tables[name].create(conn, checkfirst=True)
            if migration.apply is not None:
                migration.apply(conn)
            conn.execute(
                schema.schema_migrations.insert().values(
                    version=migration.version, name=migration.name, applied_at=datetime.now(UTC)
                )
            )
            applied.append(migration)
    return applied


def pending(engine: sa.Engine) -> list[Migration]:
    with engine.connect() as conn:
        version = current_version(conn)
    return [m for m in MIGRATIONS if m.version > version]

"""Import runs (who loaded what, when, with which result) and the quarantine of rejected records."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa

from ecodata.errors import NotFoundError
from ecodata.store import schema


@dataclass(frozen=True, slots=True)
class Rejected:
    """One record sent to the quarantine."""

    source: str
    position: str
    raw: str
    reason: str
    site_code: str | None = None
    parameter_code: str | None = None
    raw_bytes: bytes | None = None


@dataclass(frozen=True, slots=True)
class Counts:
    read: int = 0
    stored: int = 0
    duplicate: int = 0
    quarantined: int = 0

    def __add__(self, other: Counts) -> Counts:
        return Counts(
            self.read + other.read,
            self.stored + other.stored,
            self.duplicate + other.duplicate,
            self.quarantined + other.quarantined,
        )

    def as_dict(self) -> dict[str, int]:
        return {
            "read": self.read,
            "stored": self.stored,
            "duplicate": self.duplicate,
            "quarantined": self.quarantined,
        }


def _text(value: str) -> str:
    """Text as every backend can store it: NUL is not allowed in PostgreSQL text (the exact bytes
    stay in ``raw_bytes``)."""
    return value.replace("\x00", "\\x00") if "\x00" in value else value


class Provenance:
    def __init__(self, engine: sa.Engine) -> None:
        self.engine = engine

    # -- import runs -------------------------------------------------------------------------

    def start_run(self, kind: str, source: str, *, sha256: str = "", user: str = "") -> int:
        with self.engine.begin() as conn:
            result = conn.execute(
                schema.import_runs.insert().values(
                    kind=kind,
                    source=source,
                    sha256=sha256,
                    user=user,
                    started_at=datetime.now(UTC),
                    status="running",
                )
            )
            return int(result.inserted_primary_key[0])  # type: ignore[index]

    def finish_run(self, run_id: int, counts: Counts, status: str, message: str = "") -> None:
        with self.engine.begin() as conn:
            conn.execute(
                schema.import_runs.update()
                .where(schema.import_runs.c.id == run_id)
                .values(
                    finished_at=datetime.now(UTC),
                    status=status,
                    message=message,
                    **counts.as_dict(),
                )
            )

    def runs(self, *, limit: int = 100, before_id: int | None = None) -> list[dict[str, Any]]:
        t = schema.import_runs
        query = sa.select(t).order_by(t.c.id.desc()).limit(limit)
        if before_id is not None:
            query = query.where(t.c.id < before_id)
        with self.engine.connect() as conn:
            return [dict(r._mapping) for r in conn.execute(query)]

    def run(self, run_id: int) -> dict[str, Any]:
        t = schema.import_runs
        with self.engine.connect() as conn:
            row = conn.execute(sa.select(t).where(t.c.id == run_id)).first()
        if row is None:
            raise NotFoundError(f"no import run {run_id}")
        return dict(row._mapping)

    # -- quarantine --------------------------------------------------------------------------

    def quarantine(
        self, rejected: Sequence[Rejected], *, channel: str, run_id: int | None = None
    ) -> int:
        if not rejected:
            return 0
        now = datetime.now(UTC)
        rows = [
            {
                "run_id": run_id,
                "channel": channel,
                "source": r.source,
                "position": _text(r.position)[:200],
                "raw": _text(r.raw),
                "raw_bytes": r.raw_bytes,
                "reason": _text(r.reason),
                "site_code": r.site_code,
                "parameter_code": r.parameter_code,
                "received_at": now,
            }
            for r in rejected
        ]
        with self.engine.begin() as conn:
            for start in range(0, len(rows), 1000):
                conn.execute(schema.quarantine.insert(), rows[start : start + 1000])
        return len(rows)

    def quarantined(
        self,
        *,
        channel: str | None = None,
        run_id: int | None = None,
        site_code: str | None = None,
        limit: int = 100,
        after_id: int | None = None,
    ) -> list[dict[str, Any]]:
        """Quarantined records, oldest first, keyset-paged by id."""
        t = schema.quarantine
        query = sa.select(t).order_by(t.c.id).limit(limit)
        if channel:
            query = query.where(t.c.channel == channel)
        if run_id is not None:
            query = query.where(t.c.run_id == run_id)
        if site_code:
            query = query.where(t.c.site_code == site_code)
        if after_id is not None:
            query = query.where(t.c.id > after_id)
        with self.engine.connect() as conn:
            return [dict(r._mapping) for r in conn.execute(query)]

    def quarantine_count(self, *, site_code: str | None = None) -> int:
        t = schema.quarantine
        query = sa.select(sa.func.count()).select_from(t)
        if site_code:
            query = query.where(t.c.site_code == site_code)
        with self.engine.connect() as conn:
            return int(conn.execute(query).scalar_one())

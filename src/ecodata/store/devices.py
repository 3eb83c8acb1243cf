"""The HJ 212 device registry: data loggers by MN, their password, site, CRC dialect and SM4 key,
and their activity (last seen, packets and rejects today and in total).

Passwords (HJ 212 ``PW``) are stored as salted SHA-256 digests; the gateway verifies them in memory
(:class:`DeviceInfo`). Counters are accumulated by the gateway and flushed in batches.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, tzinfo
from typing import Any

import sqlalchemy as sa

from ecodata.errors import ConflictError, InputError, NotFoundError
from ecodata.store import schema

CRC_DIALECTS = ("standard", "modbus", "modbus-swapped", "lowercase")
SM4_KEY_HEX = 32  # SM4 keys are 128 bits (GB/T 32907-2016)


@dataclass(frozen=True, slots=True)
class DeviceInfo:
    """What the gateway needs to know about a device, cached in memory."""

    mn: str
    password_hash: str
    password_salt: str
    site_code: str | None
    st: str | None
    crc_dialect: str
    sm4_key: bytes | None
    status: str

    def password_ok(self, password: str | None) -> bool:
        return hmac.compare_digest(_digest(password or "", self.password_salt), self.password_hash)


@dataclass(frozen=True, slots=True)
class Activity:
    """Counters the gateway accumulated for one device since the last flush."""

    packets: int = 0
    rejected: int = 0
    last_seen: datetime | None = None
    peer: str = ""
    version: str = ""


def _digest(password: str, salt: str) -> str:
    return hashlib.sha256(f"{salt}:{password}".encode()).hexdigest()


def check_sm4_key(key: str | None) -> str | None:
    if key is None or key == "":
        return None
    text = key.strip().lower()
    if len(text) != SM4_KEY_HEX or any(c not in "0123456789abcdef" for c in text):
        raise InputError(f"SM4 key must be {SM4_KEY_HEX} hexadecimal digits (128 bits)")
    return text


class Devices:
    def __init__(self, engine: sa.Engine, tz: tzinfo = UTC) -> None:
        self.engine = engine
        self.tz = tz  # the day of the "today" counters (the gateway uses the settings' time zone)

    def add(
        self,
        mn: str,
        password: str,
        *,
        site_code: str | None = None,
        crc_dialect: str = "standard",
        sm4_key: str | None = None,
        st: str | None = None,
        status: str = "active",
    ) -> DeviceInfo:
        if not mn or len(mn) > 64 or not mn.isprintable() or any(c in mn for c in ";,=&"):
            raise InputError(f"MN {mn!r} is not a usable device number (HJ 212-2017 Table 4)")
        if crc_dialect not in CRC_DIALECTS:
            raise InputError(f"CRC dialect {crc_dialect!r}: use one of {', '.join(CRC_DIALECTS)}")
        salt = secrets.token_hex(8)
        now = datetime.now(UTC)
        row = {
            "mn": mn,
            "password_hash": _digest(password, salt),
            "password_salt": salt,
            "site_code": site_code,
            "st": st,
            "crc_dialect": crc_dialect,
            "sm4_key": check_sm4_key(sm4_key),
            "status": status,
            "created_at": now,
            "updated_at": now,
        }
        with self.engine.begin() as conn:
            exists = conn.execute(
                sa.select(schema.devices.c.mn).where(schema.devices.c.mn == mn)
            ).first()
            if exists is not None:
                raise ConflictError(f"device {mn} exists; remove it first to change it")
            conn.execute(schema.devices.insert().values(**row))
        return self.get(mn)

    def remove(self, mn: str) -> None:
        with self.engine.begin() as conn:
            result = conn.execute(schema.devices.delete().where(schema.devices.c.mn == mn))
        if not result.rowcount:
            raise NotFoundError(f"no device {mn}; `ecodata device list` shows the devices")

    def approve(self, mn: str, *, site_code: str | None = None) -> DeviceInfo:
        values: dict[str, Any] = {"status": "active", "updated_at": datetime.now(UTC)}
        if site_code is not None:
            values["site_code"] = site_code
        with self.engine.begin() as conn:
            result = conn.execute(
                schema.devices.update().where(schema.devices.c.mn == mn).values(**values)
            )
        if not result.rowcount:
            raise NotFoundError(f"no device {mn}")
        return self.get(mn)

    def get(self, mn: str) -> DeviceInfo:
        found = self.infos([mn])
        if mn not in found:
            raise NotFoundError(f"no device {mn}; `ecodata device list` shows the devices")
        return found[mn]

    def infos(self, mns: Sequence[str] | None = None) -> dict[str, DeviceInfo]:
        t = schema.devices
        query = sa.select(t)
        if mns is not None:
            query = query.where(t.c.mn.in_(list(mns)))
        with self.engine.connect() as conn:
            rows = [dict(r._mapping) for r in conn.execute(query)]
        return {r["mn"]: _info(r) for r in rows}

    def rows(self, *, status: str | None = None) -> list[dict[str, Any]]:
        """Devices for listing (secrets removed)."""
        t = schema.devices
        query = sa.select(t).order_by(t.c.mn)
        if status:
            query = query.where(t.c.status == status)
        with self.engine.connect() as conn:
            rows = [dict(r._mapping) for r in conn.execute(query)]
        today = datetime.now(self.tz).date()
        for row in rows:
            row.pop("password_hash")
            row.pop("password_salt")
            row["sm4"] = row.pop("sm4_key") is not None
            if row["counter_day"] != today:
                row["packets_day"] = row["rejected_day"] = 0
        return rows

    def record(self, activity: Mapping[str, Activity], day: date) -> None:
        """Add accumulated counters of many devices in one statement (called every few seconds)."""
        if not activity:
            return
        t = schema.devices
        same_day = t.c.counter_day == sa.bindparam("day")
        stmt = (
            t.update()
            .where(t.c.mn == sa.bindparam("device"))
            .values(
                packets_total=t.c.packets_total + sa.bindparam("packets"),
                rejected_total=t.c.rejected_total + sa.bindparam("rejected"),
                packets_day=sa.case(
                    (same_day, t.c.packets_day + sa.bindparam("packets")),
                    else_=sa.bindparam("packets"),
                ),
                rejected_day=sa.case(
                    (same_day, t.c.rejected_day + sa.bindparam("rejected")),
                    else_=sa.bindparam("rejected"),
                ),
                counter_day=sa.bindparam("day"),
                last_seen=sa.func.coalesce(sa.bindparam("seen", type_=t.c.last_seen.type),
                                           t.c.last_seen),
                last_peer=sa.case((sa.bindparam("peer") == "", t.c.last_peer),
                                  else_=sa.bindparam("peer")),
                last_version=sa.case((sa.bindparam("version") == "", t.c.last_version),
                                     else_=sa.bindparam("version")),
            )
        )  # fmt: skip
        rows = [
            {"device": mn, "packets": act.packets, "rejected": act.rejected, "day": day,
             "seen": act.last_seen, "peer": act.peer[:100], "version": act.version}
            for mn, act in activity.items()
        ]  # fmt: skip
        with self.engine.begin() as conn:
            conn.execute(stmt, rows)


def _info(row: Mapping[str, Any]) -> DeviceInfo:
    key = row["sm4_key"]
    return DeviceInfo(
        mn=row["mn"],
        password_hash=row["password_hash"],
        password_salt=row["password_salt"],
        site_code=row["site_code"],
        st=row["st"],
        crc_dialect=row["crc_dialect"],
        sm4_key=bytes.fromhex(key) if key else None,
        status=row["status"],
    )

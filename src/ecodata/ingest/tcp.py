"""The HJ 212 gateway: a TCP server for data loggers (数采仪), started by ``ecodata serve``.

One connection per data logger. Bytes are framed and decoded by the sans-I/O codec
(:mod:`ecodata.protocols.hj212`); each packet is checked against the device registry (MN known and
active, password, expected ST, CRC dialect configured for the device, SM4 key), its readings become
observations and are written through the group commit; **only when they are durable** is the 9014
answer sent (HJ 212-2017 §6.1, Flag bit A). Packets of one connection are processed concurrently
but answered in the order they arrived. Everything rejected goes to the quarantine with the raw
bytes, the peer, the time and the reason.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import re
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from math import isfinite
from typing import Any

import pyarrow as pa

from ecodata.ingest.group_commit import GroupCommit, Row, epoch_us
from ecodata.ingest.hj212_mapping import parameter_code, parameter_row, qc_bits, storable_flag
from ecodata.model import SiteKind
from ecodata.protocols.hj212 import (
    Hj212Error,
    MissingFieldError,
    Packet,
    StreamDecoder,
    SubpacketAssembler,
    reply_for,
)
from ecodata.protocols.hj212_codes import COMMANDS, flag_is_valid
from ecodata.protocols.hj212_crc import CrcDialect
from ecodata.protocols.hj212_records import (
    LayoutItem,
    data_layout,
    parse_data_time,
    reading_value,
)
from ecodata.settings import Hj212Settings
from ecodata.store.devices import Activity, DeviceInfo, Devices
from ecodata.store.provenance import Rejected
from ecodata.store.stores import Stores

log = logging.getLogger(__name__)

_MN = re.compile(rb"MN=([^;&]{1,64});")
_DEVICE_TTL = 30.0  # seconds a device record is trusted from the cache
_UNKNOWN_TTL = 3.0  # seconds an unknown MN stays unknown before the registry is asked again
_READ = 65536


#: (value index, flag index or -1, series id, known code) — one reading of a data layout.
PlanItem = tuple[int, int, int, bool]


class RefusedError(Exception):
    """A packet the gateway does not accept (the reason goes to the quarantine)."""


@dataclass
class Counters:
    packets: int = 0
    rejected: int = 0
    last_seen: datetime | None = None
    peer: str = ""
    version: str = ""


@dataclass
class GatewayStats:
    connections: int = 0
    packets: int = 0
    acknowledged: int = 0
    rejected: int = 0
    readings: int = 0
    unknown_codes: set[tuple[str, str]] = field(default_factory=set)


class Hj212Gateway:
    def __init__(self, stores: Stores, settings: Hj212Settings) -> None:
        self.stores = stores
        self.settings = settings
        self.devices = Devices(stores.registry.engine, stores.settings.tz)
        self.commit = GroupCommit(
            stores,
            max_rows=settings.batch_max,
            wait_ms=settings.batch_wait_ms,
            on_conflicts=self._conflicts,
        )
        self.stats = GatewayStats()
        self._device_cache: dict[str, tuple[DeviceInfo | None, float]] = {}
        self._series: dict[tuple[str, str, int], int] = {}
        self._plans: dict[tuple[str, str | None, int, tuple[str, ...]], tuple[PlanItem, ...]] = {}
        #: (flag text, known code, version) → (stored flag, QC bits)
        self._flags: dict[tuple[str | None, bool, str], tuple[str | None, int]] = {}
        self._passwords: dict[tuple[str, str | None], bool] = {}
        self._activity: dict[str, Counters] = {}
        self._rejects: list[Rejected] = []
        self._server: asyncio.Server | None = None
        self._housekeeping: asyncio.Task[None] | None = None
        self._connections: set[asyncio.Task[Any]] = set()
        self._last_read: dict[asyncio.Task[Any], float] = {}
        self._idle: asyncio.Task[None] | None = None

    # -- life cycle --------------------------------------------------------------------------

    async def start(self, host: str | None = None, port: int | None = None) -> asyncio.Server:
        await self.commit.start()
        self._server = await asyncio.start_server(
            self._connection,
            host or self.settings.host,
            self.settings.port if port is None else port,
            limit=1 << 20,
            backlog=4096,
        )
        self._housekeeping = asyncio.create_task(self._flush_loop(), name="hj212-housekeeping")
        self._idle = asyncio.create_task(self._close_idle(), name="hj212-idle")
        return self._server

    @property
    def port(self) -> int:
        assert self._server is not None
        return int(self._server.sockets[0].getsockname()[1])

    async def close(self) -> None:
        if self._server is not None:
            self._server.close()
            for task in list(self._connections):
                task.cancel()
            await asyncio.gather(*self._connections, return_exceptions=True)
            await self._server.wait_closed()
        for background in (self._housekeeping, self._idle):
            if background is not None:
                background.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await background
        await self.commit.stop()
        await asyncio.get_running_loop().run_in_executor(None, self._flush)

    # -- one connection ----------------------------------------------------------------------

    async def _connection(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        """One data logger. Whatever arrived is decoded, checked and stored in one group commit,
        then answered; meanwhile the next packets wait in the socket buffer, so a busy logger's
        packets are naturally taken in batches."""
        task = asyncio.current_task()
        assert task is not None
        self._connections.add(task)
        peer = _peer(writer)
        self.stats.connections += 1
        self._last_read[task] = time.monotonic()
        decoder: StreamDecoder | None = None
        assembler = SubpacketAssembler(timeout=self.settings.idle_timeout)
        waiting: dict[tuple[str, str, str, int], list[Packet]] = {}
        buffered = b""
        try:
            while True:
                data = await reader.read(_READ)
                if not data:
                    break
                self._last_read[task] = time.monotonic()
                if decoder is None:
                    buffered += data
                    found = _MN.search(buffered)
                    if found is None and len(buffered) < 8192:
                        continue
                    decoder = await self._decoder_for(found.group(1) if found else None, peer)
                    data, buffered = buffered, b""
                answer = await self._handle(decoder.feed(data), peer, assembler, waiting)
                if answer:
                    writer.write(answer)
                    if writer.transport.get_write_buffer_size() > 1 << 20:
                        await writer.drain()
        except (ConnectionError, asyncio.IncompleteReadError, asyncio.CancelledError):
            pass
        finally:
            if decoder is None and buffered:  # the connection ended before any MN was seen
                decoder = await self._decoder_for(None, peer)
                await self._handle(decoder.feed(buffered), peer, assembler, waiting)
            if decoder is not None:
                await self._handle(decoder.close(), peer, assembler, waiting)
            for group in assembler.expire(float("inf")):
                for part in group.parts:
                    self._reject_packet(
                        peer,
                        part,
                        f"sub-packet {part.pno} of {part.pnum} of a group that never completed "
                        f"({group.reason}; the connection closed before the other parts came)",
                    )
            writer.close()
            with contextlib.suppress(Exception):
                await writer.wait_closed()
            self._connections.discard(task)
            self._last_read.pop(task, None)

    async def _close_idle(self) -> None:
        """Close connections silent for longer than the idle timeout (one timer for all)."""
        timeout = self.settings.idle_timeout
        while True:
            await asyncio.sleep(min(timeout / 4, 5.0))
            now = time.monotonic()
            for task, last in list(self._last_read.items()):
                if now - last > timeout and not task.done():
                    log.info("closing an HJ 212 connection idle for %.0f s", now - last)
                    task.cancel()

    async def _decoder_for(self, mn: bytes | None, peer: str) -> StreamDecoder:
        info = await self._device(mn.decode("ascii", "replace")) if mn else None
        dialects = {CrcDialect.STANDARD}
        if info is not None and info.crc_dialect != CrcDialect.STANDARD:
            dialects.add(CrcDialect(info.crc_dialect))
        return StreamDecoder(
            crc_dialects=dialects, sm4_key=info.sm4_key if info else None, source=peer
        )

    # -- one packet --------------------------------------------------------------------------

    async def _handle(
        self,
        events: list[Packet | Hj212Error],
        peer: str,
        assembler: SubpacketAssembler,
        waiting: dict[tuple[str, str, str, int], list[Packet]],
    ) -> bytes | None:
        """Check and store the packets of one read in one group commit; return their answers."""
        rows: list[Row] = []
        accepted: list[tuple[Packet, DeviceInfo]] = []
        for event in events:
            self.stats.packets += 1
            if isinstance(event, Hj212Error):
                self._reject_raw(peer, f"byte {event.offset}", _raw(event), str(event))
                continue
            packet = event
            try:
                info = await self._check(packet)
                whole = assembler.add(packet, time.monotonic())
                if whole is None:  # a sub-packet: answered once its whole group is stored
                    key = (packet.mn, packet.cn, packet.get("DataTime") or "", packet.pnum or 0)
                    waiting.setdefault(key, []).append(packet)
                    continue
                rows.extend(await self._packet_rows(info, whole))
                parts = [packet]
                if whole is not packet:
                    key = (packet.mn, packet.cn, packet.get("DataTime") or "", packet.pnum or 0)
                    parts = [*waiting.pop(key, []), packet]
                accepted.extend((part, info) for part in parts)
            except (RefusedError, Hj212Error) as exc:
                self._reject_packet(peer, packet, str(exc))
            except Exception as exc:
                log.exception("HJ 212 packet from %s could not be read", peer)
                self._reject_packet(peer, packet, f"not stored: {exc!r}")
        if rows:
            try:
                await self.commit.write(rows)  # durable before anything is acknowledged
            except Exception as exc:
                for packet, _ in accepted:
                    self._reject_packet(peer, packet, f"not stored: {exc!r}")
                return None
            self.stats.readings += len(rows)
        answers = []
        for packet, info in accepted:
            self._seen(info.mn, peer, packet)
            answer = reply_for(packet)
            if answer:
                answers.append(answer)
        return b"".join(answers) or None

    async def _check(self, packet: Packet) -> DeviceInfo:
        info = await self._device(packet.mn)
        if info is None:
            if self.settings.accept_unknown:
                await self._register_pending(packet)
                raise RefusedError(
                    f"device {packet.mn} is pending approval (`ecodata device approve`)"
                )
            raise RefusedError(
                f"unknown device MN {packet.mn}; register it with `ecodata device add`"
            )
        if info.status != "active":
            raise RefusedError(f"device {packet.mn} is {info.status}, not active")
        verified = self._passwords.get((packet.mn, packet.pw))
        if verified is None:
            verified = self._passwords[(packet.mn, packet.pw)] = info.password_ok(packet.pw)
        if not verified:
            raise RefusedError(f"wrong password (PW) for device {packet.mn}")
        if info.st and packet.st and packet.st != info.st:
            raise RefusedError(
                f"ST={packet.st} but device {packet.mn} is registered with ST={info.st}"
            )
        if packet.crc_dialect not in (CrcDialect.STANDARD, info.crc_dialect):
            raise RefusedError(
                f"CRC in the {packet.crc_dialect} dialect, but device {packet.mn} is configured "
                f"for {info.crc_dialect}"
            )
        return info

    async def _device(self, mn: str) -> DeviceInfo | None:
        now = time.monotonic()
        cached = self._device_cache.get(mn)
        ttl = _DEVICE_TTL if cached is not None and cached[0] is not None else _UNKNOWN_TTL
        if cached is not None and now - cached[1] < ttl:
            return cached[0]
        loop = asyncio.get_running_loop()
        found = await loop.run_in_executor(None, self.devices.infos, [mn])
        info = found.get(mn)
        self._device_cache[mn] = (info, now)
        self._passwords = {k: v for k, v in self._passwords.items() if k[0] != mn}
        return info

    async def _register_pending(self, packet: Packet) -> None:
        def register() -> None:
            with contextlib.suppress(Exception):  # another connection may have registered it
                self.devices.add(packet.mn, packet.pw or "", status="pending", st=packet.st)

        await asyncio.get_running_loop().run_in_executor(None, register)
        self._device_cache.pop(packet.mn, None)

    async def _packet_rows(self, info: DeviceInfo, packet: Packet) -> list[Row]:
        """Observation rows of a data packet (none for commands that carry no data).

        The layout of the data area (which field holds which reading, and its series) is worked
        out once per device layout with :func:`data_layout` and then applied by index.
        """
        command = COMMANDS.get(packet.cn)
        if command is None or command.period is None:
            return []
        fields = packet.fields
        site = info.site_code or info.mn
        key = (site, packet.st, int(command.period), fields[0::2])
        plan = self._plans.get(key)
        if plan is None:
            plan = await self._plan(site, packet, int(command.period))
            if len(self._plans) > 100_000:
                self._plans.clear()
            self._plans[key] = plan
        if not plan:
            return []
        data_time = packet.get("DataTime")
        if data_time is None:
            raise MissingFieldError(
                f"CN {packet.cn} data from MN {packet.mn} without DataTime", field="DataTime"
            )
        at = epoch_us(parse_data_time(data_time))
        version = packet.version.value
        flags = self._flags
        rows: list[Row] = []
        append = rows.append
        for value_index, flag_index, series, known in plan:
            flag = fields[flag_index] if flag_index >= 0 else None
            meaning = flags.get((flag, known, version))
            if meaning is None:
                qc = qc_bits(flag_is_valid(flag, version), known)
                meaning = flags[(flag, known, version)] = (storable_flag(flag), qc)
            raw = fields[value_index]
            value: float | None
            try:
                number = float(raw)
            except ValueError:
                value = None
            else:
                # NaN, ±inf, 1_000: read as records() reads them
                value = number if isfinite(number) and "_" not in raw else reading_value(raw)
            append((series, at, value, meaning[0], meaning[1]))
        return rows

    async def _plan(self, site: str, packet: Packet, period: int) -> tuple[PlanItem, ...]:
        layout = data_layout(packet)
        if not layout:
            return ()
        missing = [
            (parameter_code(item.code, item.field), item)
            for item in layout
            if (site, parameter_code(item.code, item.field), period) not in self._series
        ]
        if missing:
            loop = asyncio.get_running_loop()
            await loop.run_in_executor(None, self._create_series, site, packet.mn, period, missing)
        return tuple(
            (
                item.value_index,
                item.flag_index,
                self._series[(site, parameter_code(item.code, item.field), period)],
                item.known_code,
            )
            for item in layout
        )

    def _create_series(
        self, site: str, mn: str, period: int, missing: list[tuple[str, LayoutItem]]
    ) -> None:
        registry = self.stores.registry
        site_ids = registry.site_ids([site])
        if site not in site_ids:
            registry.upsert_sites(
                [{"code": site, "kind": SiteKind.SOURCE_OUTLET.value,
                  "name_zh": f"数采仪 {site}", "name_en": f"Data logger {site}"}]
            )  # fmt: skip
            site_ids = registry.site_ids([site])
        params = registry.parameter_ids()
        new_rows = {}
        for param, item in missing:
            if param not in params and param not in new_rows:
                base = registry.parameters(codes=[item.code])
                new_rows[param] = parameter_row(
                    item.code, item.field, base[0] if base else None, known=item.known_code
                )
                if not item.known_code:
                    self.stats.unknown_codes.add((mn, item.code))
                    log.warning("device %s sent unknown code %s; stored as such", mn, item.code)
        if new_rows:
            registry.upsert_parameters(list(new_rows.values()))
            params = registry.parameter_ids()
        keys = {(site_ids[site], params[param], period) for param, _ in missing}
        ids = registry.series_ids(keys)
        for param, _ in missing:
            self._series[(site, param, period)] = ids[(site_ids[site], params[param], period)]

    # -- bookkeeping -------------------------------------------------------------------------

    def _seen(self, mn: str, peer: str, packet: Packet) -> None:
        counters = self._activity.setdefault(mn, Counters())
        counters.packets += 1
        counters.last_seen = datetime.now(UTC)
        counters.peer = peer
        counters.version = packet.version.value

    def _reject_packet(self, peer: str, packet: Packet, reason: str) -> None:
        self.stats.rejected += 1
        counters = self._activity.setdefault(packet.mn, Counters())
        counters.rejected += 1
        self._reject_raw(peer, f"MN {packet.mn} QN {packet.qn or '-'}", packet.raw, reason)

    def _reject_raw(self, peer: str, position: str, raw: bytes, reason: str) -> None:
        if position.startswith("byte"):
            self.stats.rejected += 1
        log.info("HJ 212 packet from %s rejected: %s", peer, reason)
        self._rejects.append(
            Rejected(
                source=peer,
                position=position,
                raw=raw.decode("utf-8", "replace")[:4000],
                reason=reason,
                raw_bytes=raw,
            )
        )

    def _conflicts(self, conflicts: pa.Table) -> None:
        for row in conflicts.to_pylist():
            self._rejects.append(
                Rejected(
                    source="hj212",
                    position=f"series {row['series_id']} time {row['time'].isoformat()}",
                    raw=f"value={row['value']} flag={row['flag']}",
                    reason=f"differs from the stored value {row['stored_value']} "
                    f"(flag {row['stored_flag']}); stored data are never silently replaced",
                )
            )

    async def _flush_loop(self) -> None:
        loop = asyncio.get_running_loop()
        while True:
            await asyncio.sleep(2.0)
            await loop.run_in_executor(None, self._flush)

    def _flush(self) -> None:
        rejects, self._rejects = self._rejects, []
        activity, self._activity = self._activity, {}
        try:
            if rejects:
                self.stores.provenance.quarantine(rejects, channel="hj212")
            if activity:
                today = datetime.now(self.devices.tz).date()
                self.devices.record(
                    {
                        mn: Activity(c.packets, c.rejected, c.last_seen, c.peer, c.version)
                        for mn, c in activity.items()
                    },
                    today,
                )
        except Exception:
            log.exception("could not record HJ 212 activity; will retry")
            self._rejects[:0] = rejects


def _peer(writer: asyncio.StreamWriter) -> str:
    address = writer.get_extra_info("peername")
    if isinstance(address, tuple) and len(address) >= 2:
        return f"{address[0]}:{address[1]}"
    return str(address)


def _raw(error: Hj212Error) -> bytes:
    raw = getattr(error, "raw", b"")
    if isinstance(raw, str):
        return raw.encode("utf-8", "replace")
    return bytes(raw or b"")

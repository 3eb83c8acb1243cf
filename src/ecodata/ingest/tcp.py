"""The HJ 212 gateway: a TCP server for data loggers (数采仪), started by ``ecodata serve``.

One connection per data logger. Bytes are framed and decoded by the sans-I/O codec
(:mod:`ecodata.protocols.hj212`); each packet is checked against the device registry (MN known and
active, password, expected ST, CRC dialect configured for the device, SM4 key), its readings become
observations and are handed to the group commit; **only when they are durable** is the 9014
answer sent (HJ 212-2017 §6.1, Flag bit A). Answers go out in the order the packets arrived.
Everything rejected goes to the quarantine with the raw bytes, the peer, the time and the reason.

Each read is handled where it arrives (``data_received``): when the device record and the series
of its data layout are in memory, decoding, checking and queueing for the group commit happen at
once, without a task or a future per packet. Once a connection has had a packet accepted, reads
whose frames repeat that packet's header and data layout — the steady state of a data logger —
take the steady lane (:mod:`ecodata.protocols.hj212_steady`, in C): the values of each frame
are read and its 9014 answer built without a Packet object and without the checks, whose outcome
is the same. A read that needs the registry (first contact, a device record older than its cache
time, a new data layout, sub-packets) is handled by a task, and the reads behind it wait for it,
so that answers keep their order. A connection whose packets wait for too many commits stops
being read (back-pressure).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import re
import socket
import time
from array import array
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from operator import itemgetter
from typing import Any, cast

import pyarrow as pa

from ecodata.ingest.group_commit import Committed, GroupCommit, Readings, epoch_us
from ecodata.ingest.hj212_mapping import parameter_code, parameter_row, qc_bits, storable_flag
from ecodata.model import SiteKind
from ecodata.protocols.hj212 import (
    Hj212Error,
    MissingFieldError,
    Packet,
    StreamDecoder,
    SubpacketAssembler,
    Version,
    reply_for,
)
from ecodata.protocols.hj212_codes import COMMANDS, flag_is_valid
from ecodata.protocols.hj212_crc import CrcDialect
from ecodata.protocols.hj212_packet import value_index
from ecodata.protocols.hj212_records import (
    LayoutItem,
    data_layout,
    parse_data_time,
    reading_values,
)
from ecodata.protocols.hj212_steady import Lane, data_answers, lane_of, steady_frames
from ecodata.settings import Hj212Settings
from ecodata.store.devices import Activity, DeviceInfo, Devices
from ecodata.store.provenance import Rejected
from ecodata.store.stores import Stores

log = logging.getLogger(__name__)

_MN = re.compile(rb"MN=([^;&]{1,64});")
_DEVICE_TTL = 30.0  # seconds a device record is trusted from the cache
_UNKNOWN_TTL = 3.0  # seconds an unknown MN stays unknown before the registry is asked again
_MAX_IN_FLIGHT = 64  # submissions of one connection awaiting their commit before reading pauses
_TIMES_CACHED = 4096  # DataTime texts remembered with their epoch microseconds

#: (site, ST, period in seconds, field names of the data area) — what a data layout depends on.
PlanKey = tuple[str, str | None, int, tuple[str, ...]]


_UNPLANNED: Any = object()  # a data layout not seen yet


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
    steady: int = 0  # packets taken by the steady lane
    rejected: int = 0
    readings: int = 0
    unknown_codes: set[tuple[str, str]] = field(default_factory=set)


#: The stored flags and QC bits of the readings of a layout, for one set of flag texts.
_Meaning = tuple[tuple[str | None, ...], tuple[int, ...]]


@dataclass(slots=True)
class _Plan:
    """How to read one data layout: the series of each reading and where its value and flag
    are in ``Packet.fields`` (worked out once per layout with :func:`data_layout`)."""

    series: array  # type: ignore[type-arg]  # 'i': one series id per reading
    values: Callable[[tuple[str, ...]], Sequence[str]]
    flags: Callable[[tuple[str | None, ...]], Sequence[str | None]]
    pad_flags: bool  # some reading has no flag field: index -1 reads an appended None
    known: tuple[bool, ...]
    time_index: int  # where the DataTime value is in ``Packet.fields`` (-1: none)
    #: (flag texts, version) → (stored flags, QC bits), as the flags of a layout repeat
    meanings: dict[tuple[Sequence[str | None], Version], _Meaning]

    @property
    def size(self) -> int:
        return len(self.series)


@dataclass(frozen=True, slots=True)
class _Steady:
    """A connection's steady lane: what its last accepted packet repeats, the device cache entry
    its checks passed with, and the plan of its data layout (see :meth:`Hj212Gateway._take`)."""

    lane: Lane
    entry: tuple[DeviceInfo | None, float]
    info: DeviceInfo
    plan: _Plan
    version: Version


@dataclass(frozen=True, slots=True)
class _Taken:
    """The packets of one read taken by the steady lane: their QNs, and the read itself."""

    steady: _Steady
    qns: list[bytes]
    data: bytes


def _getter(indices: Sequence[int]) -> Callable[[Any], Sequence[Any]]:
    """A function taking the items at ``indices`` of a tuple, always as a sequence."""
    if len(indices) == 1:
        only = indices[0]
        return lambda items: (items[only],)
    return itemgetter(*indices)


class _Connection(asyncio.Protocol):
    """One data logger's connection; the gateway does the work."""

    def __init__(self, gateway: Hj212Gateway) -> None:
        self.gateway = gateway
        self.transport: asyncio.Transport | None = None
        self.peer = ""
        self.decoder: StreamDecoder | None = None
        self.buffered = b""  # bytes received before the first MN
        self.assembler = SubpacketAssembler(timeout=gateway.settings.idle_timeout)
        self.waiting: dict[tuple[str, str, str, int], list[Packet]] = {}
        self.backlog: list[bytes] = []  # reads waiting behind ``busy``
        self.busy: asyncio.Task[None] | None = None
        self.in_flight = 0  # submissions awaiting their commit
        self.answers: list[bytes] = []  # answers of committed packets, written together
        self.unsent = 0  # … how many
        self.flush_scheduled = False
        self.steady: _Steady | None = None
        self.paused = False
        self.last_read = time.monotonic()
        self.closed = False

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = cast(asyncio.Transport, transport)  # uvloop's is not a subclass
        self.peer = _peer(transport)
        self.gateway._opened(self)

    def data_received(self, data: bytes) -> None:
        self.gateway._received(self, data)

    def connection_lost(self, exc: Exception | None) -> None:
        self.closed = True
        self.gateway._lost(self)

    def answer(self, answers: bytes) -> None:
        if self.transport is not None and not self.transport.is_closing():
            self.transport.write(answers)

    def throttle(self, delta: int) -> None:
        """Count submissions in flight; pause reading while too many wait for their commit."""
        self.in_flight += delta
        if self.transport is None or self.closed:
            return
        if not self.paused and self.in_flight >= _MAX_IN_FLIGHT:
            self.paused = True
            self.transport.pause_reading()
        elif self.paused and self.in_flight <= _MAX_IN_FLIGHT // 2:
            self.paused = False
            self.transport.resume_reading()


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
        self._plans: dict[PlanKey, _Plan | None] = {}
        self._times: dict[str, int] = {}
        self._passwords: dict[tuple[str, str | None], bool] = {}
        self._activity: dict[str, Counters] = {}
        self._rejects: list[Rejected] = []
        self._server: asyncio.Server | None = None
        self._housekeeping: asyncio.Task[None] | None = None
        self._connections: set[_Connection] = set()
        self._tasks: set[asyncio.Task[None]] = set()
        self._idle: asyncio.Task[None] | None = None

    # -- life cycle --------------------------------------------------------------------------

    async def start(
        self, host: str | None = None, port: int | None = None, *, sock: socket.socket | None = None
    ) -> asyncio.Server:
        """Listen on ``host``:``port`` (default: the settings) or on a listening ``sock``."""
        await self.commit.start()
        loop = asyncio.get_running_loop()
        if sock is not None:
            self._server = await loop.create_server(lambda: _Connection(self), sock=sock)
        else:
            self._server = await loop.create_server(
                lambda: _Connection(self),
                host or self.settings.host,
                self.settings.port if port is None else port,
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
            for connection in list(self._connections):
                if connection.transport is not None:
                    connection.transport.close()
            while self._tasks:
                await asyncio.gather(*self._tasks, return_exceptions=True)
            await self._server.wait_closed()
        for background in (self._housekeeping, self._idle):
            if background is not None:
                background.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await background
        await self.commit.stop()
        await asyncio.get_running_loop().run_in_executor(None, self._flush)

    def _spawn(self, work: Any) -> asyncio.Task[None]:
        task: asyncio.Task[None] = asyncio.create_task(work)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return task

    # -- one connection ----------------------------------------------------------------------

    def _opened(self, connection: _Connection) -> None:
        self._connections.add(connection)
        self.stats.connections += 1

    def _received(self, connection: _Connection, data: bytes) -> None:
        connection.last_read = time.monotonic()
        if connection.busy is None and connection.decoder is not None:
            if connection.steady is not None and self._take(connection, connection.steady, data):
                return
            events = connection.decoder.feed(data)
            if self._accept(connection, events):
                return
            connection.busy = self._spawn(self._slowly(connection, events))
            return
        connection.backlog.append(data)
        if connection.busy is None:
            connection.busy = self._spawn(self._slowly(connection, None))

    async def _slowly(
        self, connection: _Connection, events: list[Packet | Hj212Error] | None
    ) -> None:
        """Handle reads that need the registry; reads that arrive meanwhile queue behind."""
        try:
            while True:
                if events is not None:
                    await self._handle(connection, events)
                if not connection.backlog:
                    return
                data = b"".join(connection.backlog)
                connection.backlog.clear()
                if connection.decoder is None:
                    connection.buffered += data
                    found = _MN.search(connection.buffered)
                    if found is None and len(connection.buffered) < 8192:
                        events = None
                        continue
                    mn = found.group(1) if found else None
                    connection.decoder = await self._decoder_for(mn, connection.peer)
                    data, connection.buffered = connection.buffered, b""
                events = connection.decoder.feed(data)
                if self._accept(connection, events):
                    events = None
        except Exception:
            log.exception("HJ 212 connection from %s failed", connection.peer)
            if connection.transport is not None:
                connection.transport.close()
        finally:
            connection.busy = None

    def _lost(self, connection: _Connection) -> None:
        self._spawn(self._finish(connection))

    async def _finish(self, connection: _Connection) -> None:
        """The connection closed: decode what it left, report incomplete sub-packets."""
        try:
            if connection.busy is not None:
                await asyncio.shield(connection.busy)
            peer = connection.peer
            if connection.decoder is None and (connection.buffered or connection.backlog):
                # the connection ended before any MN was seen
                connection.decoder = await self._decoder_for(None, peer)
                data = connection.buffered + b"".join(connection.backlog)
                await self._handle(connection, connection.decoder.feed(data))
            if connection.decoder is not None:
                await self._handle(connection, connection.decoder.close())
            for group in connection.assembler.expire(float("inf")):
                for part in group.parts:
                    self._reject_packet(
                        peer,
                        part,
                        f"sub-packet {part.pno} of {part.pnum} of a group that never completed "
                        f"({group.reason}; the connection closed before the other parts came)",
                    )
        except Exception:
            log.exception("HJ 212 connection from %s: could not finish", connection.peer)
        finally:
            self._connections.discard(connection)

    async def _close_idle(self) -> None:
        """Close connections silent for longer than the idle timeout (one timer for all)."""
        timeout = self.settings.idle_timeout
        while True:
            await asyncio.sleep(min(timeout / 4, 5.0))
            now = time.monotonic()
            for connection in list(self._connections):
                idle = now - connection.last_read
                if idle > timeout and connection.transport is not None and not connection.closed:
                    log.info("closing an HJ 212 connection idle for %.0f s", idle)
                    connection.transport.close()

    async def _decoder_for(self, mn: bytes | None, peer: str) -> StreamDecoder:
        info = await self._device(mn.decode("ascii", "replace")) if mn else None
        dialects = {CrcDialect.STANDARD}
        if info is not None and info.crc_dialect != CrcDialect.STANDARD:
            dialects.add(CrcDialect(info.crc_dialect))
        return StreamDecoder(
            crc_dialects=dialects, sm4_key=info.sm4_key if info else None, source=peer
        )

    # -- the packets of one read -------------------------------------------------------------

    def _accept(self, connection: _Connection, events: list[Packet | Hj212Error]) -> bool:
        """The steady state: every device record and data layout of ``events`` is in memory,
        no sub-packets. Then check and queue them now and return True; otherwise change
        nothing and return False (:meth:`_handle` takes them)."""
        now = time.monotonic()
        cache = self._device_cache
        plans = self._plans
        resolved: list[tuple[DeviceInfo | None, _Plan | None]] = []
        for event in events:
            if type(event) is not Packet:
                resolved.append((None, None))
                continue
            cached = cache.get(event.mn)
            if cached is None:
                return False
            info, since = cached
            if info is None:
                if now - since >= _UNKNOWN_TTL or self.settings.accept_unknown:
                    return False
                resolved.append((None, None))
                continue
            if now - since >= _DEVICE_TTL or event.split:
                return False
            plan = None
            key = _plan_key(info, event)
            if key is not None:
                plan = plans.get(key, _UNPLANNED)
                if plan is _UNPLANNED:
                    return False
            resolved.append((info, plan))
        self.stats.packets += len(events)
        readings: list[Readings] = []
        accepted: list[tuple[Packet, DeviceInfo]] = []
        rows = 0
        last: tuple[Packet, DeviceInfo, _Plan | None] | None = None
        for event, (info, plan) in zip(events, resolved, strict=True):
            if type(event) is not Packet:
                self._reject_error(connection.peer, event)  # type: ignore[arg-type]
                continue
            try:
                checked = self._check(event, info)
                if plan is not None:
                    readings.append(self._readings(plan, event))
                    rows += plan.size
                accepted.append((event, checked))
            except Exception as exc:
                self._refuse(connection.peer, event, exc)
            else:
                last = (event, checked, plan)
        if last is not None:
            connection.steady = self._steady(*last)
        self._submit(connection, readings, rows, accepted)
        return True

    def _steady(self, packet: Packet, info: DeviceInfo, plan: _Plan | None) -> _Steady | None:
        """The steady lane of a connection whose last accepted packet is ``packet`` (None when
        such packets cannot take it)."""
        if plan is None or plan.time_index < 0:
            return None
        lane = lane_of(packet)
        if lane is None:
            return None
        return _Steady(lane, self._device_cache[packet.mn], info, plan, packet.version)

    def _take(self, connection: _Connection, steady: _Steady, data: bytes) -> bool:
        """The steady lane: a read whose frames all repeat the connection's last accepted packet
        (same device record, still fresh; same header; same data layout) passes the same checks
        and has the same plan. Queue its readings and return True; otherwise change nothing and
        return False (the decoder takes the read)."""
        decoder = connection.decoder
        if (
            decoder is None
            or not decoder.between_packets
            or connection.last_read - steady.entry[1] >= _DEVICE_TTL
            or self._device_cache.get(steady.info.mn) is not steady.entry
        ):
            return False
        lane = steady.lane
        frames = steady_frames(data, lane.head, lane.names)
        if frames is None:
            return False
        plan, version = steady.plan, steady.version
        try:
            readings = [self._read(plan, fields, version) for _, fields in frames]
        except Hj212Error:
            return False  # the general path reports it
        decoder.advance(len(data))
        self.stats.packets += len(frames)
        self.stats.steady += len(frames)
        taken = _Taken(steady, [qn for qn, _ in frames], data)
        self._submit(connection, readings, plan.size * len(frames), taken)
        return True

    async def _handle(self, connection: _Connection, events: list[Packet | Hj212Error]) -> None:
        """The general case: fetch device records and create series as needed, reassemble
        sub-packets; then queue like :meth:`_accept`."""
        peer = connection.peer
        readings: list[Readings] = []
        accepted: list[tuple[Packet, DeviceInfo]] = []
        rows = 0
        for event in events:
            self.stats.packets += 1
            if not isinstance(event, Packet):
                self._reject_error(peer, event)
                continue
            packet = event
            try:
                info = await self._device(packet.mn)
                if info is None and self.settings.accept_unknown:
                    await self._register_pending(packet)
                checked = self._check(packet, info)
                whole = connection.assembler.add(packet, time.monotonic())
                key = (packet.mn, packet.cn, packet.get("DataTime") or "", packet.pnum or 0)
                if whole is None:  # a sub-packet: answered once its whole group is stored
                    connection.waiting.setdefault(key, []).append(packet)
                    continue
                plan = await self._plan_for(checked, whole)
                if plan is not None:
                    readings.append(self._readings(plan, whole))
                    rows += plan.size
                parts = [packet]
                if whole is not packet:
                    parts = [*connection.waiting.pop(key, []), packet]
                accepted.extend((part, checked) for part in parts)
            except Exception as exc:
                self._refuse(peer, packet, exc)
        self._submit(connection, readings, rows, accepted)

    def _refuse(self, peer: str, packet: Packet, exc: Exception) -> None:
        """Quarantine a packet that was refused or could not be read (called while handling
        ``exc``, so that an unexpected error is logged with its traceback)."""
        if isinstance(exc, RefusedError | Hj212Error):
            self._reject_packet(peer, packet, str(exc))
        else:
            log.exception("HJ 212 packet from %s could not be read", peer)
            self._reject_packet(peer, packet, f"not stored: {exc!r}")

    def _submit(
        self,
        connection: _Connection,
        readings: list[Readings],
        rows: int,
        accepted: list[tuple[Packet, DeviceInfo]] | _Taken,
    ) -> None:
        """Queue readings for the group commit; answer the accepted packets once committed.
        Packets without readings queue too, so that answers keep the order of arrival."""
        if not accepted and not readings:
            return
        connection.throttle(+1)

        def done(outcome: Committed | BaseException) -> None:
            connection.throttle(-1)
            if isinstance(outcome, BaseException):
                for packet in _packets(accepted):
                    self._reject_packet(connection.peer, packet, f"not stored: {outcome!r}")
                return
            self.stats.readings += rows
            if isinstance(accepted, _Taken):
                self._answer_taken(connection, accepted)
            else:
                self._answer(connection, accepted)

        self.commit.submit(readings, rows, done)

    def _answer(self, connection: _Connection, accepted: list[tuple[Packet, DeviceInfo]]) -> None:
        """Count the packets as seen and queue their answers; the answers of all the packets of
        one connection that one commit made durable go out in one write."""
        if not accepted:
            return
        now = datetime.now(UTC)
        answers = connection.answers
        mn = None
        counters = Counters()
        for packet, info in accepted:
            if info.mn != mn:
                mn = info.mn
                counters = self._seen(mn, connection, packet.version, now)
            counters.packets += 1
            answer = reply_for(packet)
            if answer:
                answers.append(answer)
                connection.unsent += 1
        self._queue_answers(connection)

    def _answer_taken(self, connection: _Connection, taken: _Taken) -> None:
        """:meth:`_answer` for the packets of a read the steady lane took."""
        steady = taken.steady
        counters = self._seen(steady.info.mn, connection, steady.version, datetime.now(UTC))
        counters.packets += len(taken.qns)
        if steady.lane.tail is not None:
            connection.answers.append(data_answers(taken.qns, steady.lane.tail))
            connection.unsent += len(taken.qns)
            self._queue_answers(connection)

    def _seen(self, mn: str, connection: _Connection, version: Version, now: datetime) -> Counters:
        """The activity counters of device ``mn``, marked as seen ``now`` on ``connection``."""
        counters = self._activity.get(mn) or self._activity.setdefault(mn, Counters())
        counters.last_seen = now
        counters.peer = connection.peer
        counters.version = version.value
        return counters

    def _queue_answers(self, connection: _Connection) -> None:
        if connection.answers and not connection.flush_scheduled:
            connection.flush_scheduled = True
            asyncio.get_running_loop().call_soon(self._flush_answers, connection)

    def _flush_answers(self, connection: _Connection) -> None:
        connection.flush_scheduled = False
        answers = connection.answers
        self.stats.acknowledged += connection.unsent
        connection.unsent = 0
        connection.answer(b"".join(answers))
        answers.clear()

    def _check(self, packet: Packet, info: DeviceInfo | None) -> DeviceInfo:
        if info is None:
            if self.settings.accept_unknown:
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

    # -- readings ----------------------------------------------------------------------------

    def _readings(self, plan: _Plan, packet: Packet) -> Readings:
        """The readings of a data packet by its layout's plan (values as :func:`reading_value`
        reads them, flags and QC bits as :func:`qc_bits` gives them)."""
        if plan.time_index < 0:
            raise MissingFieldError(
                f"CN {packet.cn} data from MN {packet.mn} without DataTime", field="DataTime"
            )
        return self._read(plan, packet.fields, packet.version)

    def _read(self, plan: _Plan, fields: tuple[str, ...], version: Version) -> Readings:
        """:meth:`_readings` of the fields of a packet (``Packet.fields``) of ``version``."""
        data_time = fields[plan.time_index]
        at = self._times.get(data_time)
        if at is None:
            if len(self._times) >= _TIMES_CACHED:
                self._times.clear()
            at = self._times[data_time] = epoch_us(parse_data_time(data_time))
        raws = plan.values(fields)
        values = reading_values(raws)
        texts = plan.flags((*fields, None) if plan.pad_flags else fields)
        meaning = plan.meanings.get((texts, version))
        if meaning is None:
            meaning = (
                tuple(storable_flag(text) for text in texts),
                tuple(
                    qc_bits(flag_is_valid(text, version.value), known)
                    for text, known in zip(texts, plan.known, strict=True)
                ),
            )
            if len(plan.meanings) < 1024:
                plan.meanings[(texts, version)] = meaning
        return (plan.series, at, values, meaning[0], meaning[1])

    async def _plan_for(self, info: DeviceInfo, packet: Packet) -> _Plan | None:
        """The plan of a data packet's layout (None for commands that carry no data, or a data
        area without readings); new layouts get their series created first."""
        key = _plan_key(info, packet)
        if key is None:
            return None
        if key not in self._plans:
            plan = await self._plan(key[0], packet, key[2])
            if len(self._plans) > 100_000:
                self._plans.clear()
            self._plans[key] = plan
        return self._plans[key]

    async def _plan(self, site: str, packet: Packet, period: int) -> _Plan | None:
        layout = data_layout(packet)
        if not layout:
            return None
        missing = [
            (parameter_code(item.code, item.field), item)
            for item in layout
            if (site, parameter_code(item.code, item.field), period) not in self._series
        ]
        if missing:
            loop = asyncio.get_running_loop()
            await loop.run_in_executor(None, self._create_series, site, packet.mn, period, missing)
        return _Plan(
            series=array(
                "i",
                [self._series[(site, parameter_code(i.code, i.field), period)] for i in layout],
            ),
            values=_getter([item.value_index for item in layout]),
            flags=_getter([item.flag_index for item in layout]),
            pad_flags=any(item.flag_index < 0 for item in layout),
            known=tuple(item.known_code for item in layout),
            time_index=value_index(packet.fields, "DataTime"),
            meanings={},
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

    def _reject_packet(self, peer: str, packet: Packet, reason: str) -> None:
        self.stats.rejected += 1
        counters = self._activity.setdefault(packet.mn, Counters())
        counters.rejected += 1
        self._reject_raw(peer, f"MN {packet.mn} QN {packet.qn or '-'}", packet.raw, reason)

    def _reject_error(self, peer: str, error: Hj212Error) -> None:
        self._reject_raw(peer, f"byte {error.offset}", _raw(error), str(error))

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


def _plan_key(info: DeviceInfo, packet: Packet) -> PlanKey | None:
    """What the plan of a data packet depends on; None for commands that carry no data."""
    command = COMMANDS.get(packet.cn)
    if command is None or command.period is None:
        return None
    return (info.site_code or info.mn, packet.st, int(command.period), packet.fields[0::2])


def _packets(accepted: list[tuple[Packet, DeviceInfo]] | _Taken) -> list[Packet]:
    """The packets of a submission (those of a read the steady lane took decoded again)."""
    if isinstance(accepted, _Taken):
        events = StreamDecoder().feed(accepted.data)
        return [event for event in events if isinstance(event, Packet)]
    return [packet for packet, _ in accepted]


def _peer(transport: asyncio.BaseTransport) -> str:
    address = transport.get_extra_info("peername")
    if isinstance(address, tuple) and len(address) >= 2:
        return f"{address[0]}:{address[1]}"
    return str(address)


def _raw(error: Hj212Error) -> bytes:
    raw = getattr(error, "raw", b"")
    if isinstance(raw, str):
        return raw.encode("utf-8", "replace")
    return bytes(raw or b"")

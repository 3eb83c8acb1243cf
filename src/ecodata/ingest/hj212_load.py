"""``ecodata hj212 simulate``: simulated data loggers that load an HJ 212 receiver.

Each device opens one TCP connection and sends uploads at a fixed rate (open loop: the schedule
does not wait for answers, as a logger with a backlog to upload does), each with its own QN and
DataTime (one second apart, so no two packets of a device carry the same data). Answers (9014) are
matched to packets by QN; the report counts sent, acknowledged and failed (unanswered within the
grace period after the run, or never sent for a failed connection) packets, the connection errors
and the latency from the write of a packet to the arrival of its answer.

The generator shares the machine with the receiver it measures, so it spends little CPU per packet
(15–25 µs at 20,000 packets/s on 2 cores, more than half of it the kernel's TCP work):

* Frames are built before timing starts (all of them if they fit in :data:`PREBUILD_BYTES`, else
  a few seconds ahead of the schedule, topped up as it runs). Each device's packets come from a few
  :func:`ecodata.protocols.hj212.simulated_packet` templates (realistic CEMS and wastewater
  values) whose QN and DataTime are rewritten (same width) and whose CRC is recomputed.
* One scheduler drives every device: every millisecond or so it writes the packets that have
  fallen due, several packets of one device in one write. Device ``d`` of ``n`` sends its packet
  ``s`` at ``(s + d / n) / rate`` seconds, so the devices' packets are evenly interleaved.
* Connections are :class:`asyncio.Protocol` objects; answers are matched by finding ``QN=…;CN=9014``
  in the received bytes (an answer split across reads waits for its end) rather than decoding them.
* The CLI runs it on uvloop where installed (:func:`ecodata.event_loop.loop_factory`).

A device whose connection stops taking data (more than 256 KiB queued) holds its packets back
until the connection drains and then sends them at once, as a logger would.
"""

from __future__ import annotations

import asyncio
import re
import time
from array import array
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import cast

import numpy as np

from ecodata.model import CHINA_TZ
from ecodata.protocols.hj212 import crc16, simulated_packet

_TEMPLATES = 16  # distinct value sets per device
#: Runs whose frames take at most this much memory are built entirely before timing starts.
PREBUILD_BYTES = 512 << 20  # ~1.1 million realtime packets of HJ 212-2017
_AHEAD = 5.0  # longer runs: seconds of packets built ahead of the schedule
_BUILD_SLICE = 256  # … of which at most this many frames per scheduler pass
_DROP_ROWS = 256  # sent frames are forgotten this many packet numbers at a time
_TICK = 0.001  # s between scheduler passes at high rates
_POLL = 0.005  # s between checks for the last answers
_PROGRESS = 0.5  # s between progress reports
_HIGH_WATER = 1 << 18  # bytes queued on a connection before its device holds back
_MAX_PARTIAL = 1 << 16  # bytes kept of a received line without end (more is not an answer)
#: A 9014 answer: its QN (ours have 17 digits) and CN, in the order of HJ 212-2017 Appendix C.
_ANSWER = re.compile(rb"QN=(\d{17})(?:;[^;\r\n]*)*?;CN=9014;")


@dataclass
class DeviceSpec:
    mn: str
    password: str
    kind: str  # "cems" | "wastewater"


@dataclass
class LoadReport:
    sent: int = 0
    acknowledged: int = 0
    failed: int = 0
    seconds: float = 0.0
    latencies_ms: array[float] = field(default_factory=lambda: array("d"))
    errors: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, object]:
        lat = np.asarray(self.latencies_ms, dtype=float)
        p50, p95, p99 = np.percentile(lat, [50, 95, 99]) if lat.size else (np.nan,) * 3
        return {
            "sent": self.sent,
            "acknowledged": self.acknowledged,
            "failed": self.failed,
            "seconds": round(self.seconds, 3),
            "rate": round(self.acknowledged / self.seconds, 1) if self.seconds else 0.0,
            "latency_ms": {
                "p50": _round(p50),
                "p95": _round(p95),
                "p99": _round(p99),
                "max": _round(lat.max() if lat.size else np.nan),
            },
            "errors": self.errors[:20],
        }


def _round(value: float) -> float | None:
    return None if np.isnan(value) else round(float(value), 2)


def devices_for(count: int, *, prefix: str = "SIMU", password: str = "123456") -> list[DeviceSpec]:
    """Simulated devices: alternately CEMS (flue gas) and wastewater outlets."""
    return [
        DeviceSpec(f"{prefix}{i:010d}", password, "cems" if i % 2 == 0 else "wastewater")
        for i in range(count)
    ]


def packet_qn(start: datetime, seq: int) -> bytes:
    """QN of packet ``seq`` of a device whose first DataTime is ``start`` (naive China time): its
    DataTime (``start`` + ``seq`` seconds) then ``seq`` mod 1000 as milliseconds."""
    return f"{start + timedelta(seconds=seq):%Y%m%d%H%M%S}{seq % 1000:03d}".encode()


class PacketFactory:
    """Builds the packets of one device quickly from templates."""

    def __init__(self, device: DeviceSpec, start: datetime, version: str, cn: str) -> None:
        self.start = start.astimezone(CHINA_TZ).replace(tzinfo=None)
        #: (``##dddd``, data segment before the QN, between QN and DataTime, after DataTime)
        self.templates: list[tuple[bytes, bytes, bytes, bytes]] = []
        self.size = 0  # bytes of its longest frame
        for seq in range(_TEMPLATES):
            frame = simulated_packet(
                device.mn, device.password, device.kind, self.start, seq, version, cn=cn
            )
            self.size = max(self.size, len(frame))
            body = frame[6:-6]  # between '##dddd' and 'CRC\r\n'
            qn = body.index(b"QN=") + 3
            data_time = body.index(b"DataTime=") + 9
            parts = (frame[:6], body[:qn], body[qn + 17 : data_time], body[data_time + 14 :])
            self.templates.append(parts)

    def packet(self, seq: int) -> tuple[bytes, bytes]:
        """(frame, QN) of the device's packet number ``seq``."""
        qn = packet_qn(self.start, seq)
        return self.frame(seq, qn), qn

    def frame(self, seq: int, qn: bytes) -> bytes:
        """The frame of packet ``seq`` given its QN (:func:`packet_qn`, which begins with the
        DataTime): the template's segment with both rewritten and a new CRC."""
        length, head, middle, tail = self.templates[seq % _TEMPLATES]
        segment = b"".join((head, qn, middle, qn[:14], tail))
        return b"%s%s%04X\r\n" % (length, segment, crc16(segment))


class _Frames:
    """The run's frames in send order — index ``k`` is packet number ``k // n`` of device
    ``k % n`` — built ahead of the schedule and forgotten once every device has sent them."""

    def __init__(self, factories: list[PacketFactory], per_device: int) -> None:
        self.factories = factories
        self.n = len(factories)
        self.per_device = per_device
        self.total = self.n * per_device
        self.frames: list[bytes] = []
        self.base = 0  # send-order index of frames[0]
        self.qns: list[bytes] = []  # QN of each packet number (the same for every device)
        self.qn_base = 0  # packet number of qns[0]

    @property
    def built(self) -> int:
        return self.base + len(self.frames)

    def build(self, until: int) -> None:
        """Build the frames before send-order index ``until``."""
        until = min(until, self.total)
        k = self.built
        while k < until:
            seq, first = divmod(k, self.n)
            if first == 0:
                self.qns.append(packet_qn(self.factories[0].start, seq))
            qn = self.qns[seq - self.qn_base]
            stop = min(until, k - first + self.n)
            self.frames.extend([f.frame(seq, qn) for f in self.factories[first : stop - k + first]])
            k = stop

    def frame(self, seq: int, device: int) -> bytes:
        return self.frames[seq * self.n + device - self.base]

    def qn(self, seq: int) -> bytes:
        return self.qns[seq - self.qn_base]

    def forget(self, below: int) -> None:
        """Drop the frames of packet numbers below ``below`` (every device sent them)."""
        if below - self.qn_base >= _DROP_ROWS:
            del self.frames[: below * self.n - self.base]
            del self.qns[: below - self.qn_base]
            self.base, self.qn_base = below * self.n, below


def _every(seconds: float) -> Callable[[], bool]:
    """A clock that answers True at most once every ``seconds``."""
    last = time.monotonic()

    def due() -> bool:
        nonlocal last
        if time.monotonic() - last < seconds:
            return False
        last = time.monotonic()
        return True

    return due


def _prepare(
    devices: list[DeviceSpec],
    begin: datetime,
    version: str,
    cn: str,
    rate: float,
    duration: float,
    preparing: Callable[[str], None] | None,
) -> tuple[_Frames, int]:
    """The run's frames, built as far as :data:`PREBUILD_BYTES` allows, and how far to keep
    building ahead of the schedule; ``preparing`` hears how far the building is every half
    second."""
    due, say = _every(_PROGRESS), preparing or (lambda message: None)
    factories = []
    for device in devices:
        factories.append(PacketFactory(device, begin, version, cn))
        if due():
            say(f"devices {len(factories)}/{len(devices)}")
    frames = _Frames(factories, int(rate * duration))
    budget = PREBUILD_BYTES // (max((f.size for f in factories), default=0) + 33)  # + bytes header
    ahead = frames.total
    if ahead > budget:  # build the first seconds now, the rest during the run
        ahead = max(frames.n, min(budget, int(_AHEAD * frames.n * rate)))
    while frames.built < ahead:
        frames.build(min(ahead, frames.built + 20_000))
        if due():
            say(f"packets {frames.built}/{ahead}")
    return frames, ahead


def due_count(elapsed: float, total_rate: float, total: int) -> int:
    """Packets (all devices, in send order) due ``elapsed`` seconds into the schedule."""
    return min(total, int(elapsed * total_rate) + 1)


def device_due(due: int, device: int, n: int) -> int:
    """How many of device ``device``'s packets are among the first ``due`` in send order."""
    return (due - 1 - device) // n + 1


class _Run:
    """State shared by the scheduler and the connections."""

    def __init__(self, frames: _Frames) -> None:
        self.frames = frames
        self.per_device = frames.per_device
        self.due = 0  # packets due so far (send order)
        self.closing = False
        self.latencies_ms: array[float] = array("d")
        self.errors: list[str] = []


class _Device(asyncio.Protocol):
    """One simulated logger's connection: writes the packets the scheduler hands it and matches
    the answers to them by QN."""

    def __init__(self, run: _Run, index: int) -> None:
        self.run = run
        self.index = index
        self.transport: asyncio.Transport | None = None
        self.next_seq = 0  # its first packet not written yet
        self.outstanding: dict[bytes, float] = {}  # QN → time written
        self.paused = False
        self.partial = b""  # received bytes after the last complete line

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = cast(asyncio.Transport, transport)
        self.transport.set_write_buffer_limits(high=_HIGH_WATER)

    def connection_lost(self, exc: Exception | None) -> None:
        self.transport = None
        if not self.run.closing:
            self.run.errors.append(f"send: {exc}" if exc else "closed by the receiver")

    def pause_writing(self) -> None:
        self.paused = True

    def resume_writing(self) -> None:
        self.paused = False
        self.send(device_due(self.run.due, self.index, self.run.frames.n))

    def send(self, end: int) -> None:
        """Write its packets up to number ``end`` (exclusive) that are not written yet, at once."""
        first = self.next_seq
        if first >= end or self.transport is None or self.paused:
            return
        frames, now = self.run.frames, time.perf_counter()
        self.next_seq = end
        if end - first == 1:  # the common case (inlines frames.qn and frames.frame)
            self.outstanding[frames.qns[first - frames.qn_base]] = now
            self.transport.write(frames.frames[first * frames.n + self.index - frames.base])
            return
        for seq in range(first, end):
            self.outstanding[frames.qn(seq)] = now
        self.transport.write(b"".join([frames.frame(s, self.index) for s in range(first, end)]))

    def data_received(self, data: bytes) -> None:
        now = time.perf_counter()
        if self.partial:
            data = self.partial + data
        if data.endswith(b"\n"):  # the common case: whole answers
            self.partial = b""
            answers = _ANSWER.findall(data)
        else:  # the end of the last answer is still to come
            end = data.rfind(b"\n") + 1
            self.partial = data[end:][-_MAX_PARTIAL:]
            answers = _ANSWER.findall(data, 0, end)
        pop, record = self.outstanding.pop, self.run.latencies_ms.append
        for qn in answers:
            written = pop(qn, None)
            if written is not None:
                record((now - written) * 1000.0)

    def waiting(self) -> bool:
        """Whether packets of this live connection are still to be written or answered."""
        return self.transport is not None and bool(
            self.outstanding or self.next_seq < self.run.per_device
        )


async def run_load(
    host: str,
    port: int,
    devices: list[DeviceSpec],
    *,
    rate: float,
    duration: float,
    version: str = "2017",
    cn: str = "2011",
    start: datetime | None = None,
    grace: float = 10.0,
    progress: Callable[[int, int], None] | None = None,
    preparing: Callable[[str], None] | None = None,
) -> LoadReport:
    """Run all devices for ``duration`` seconds at ``rate`` packets/s each.

    ``progress`` gets (sent, acknowledged) every half second of the run; ``preparing`` gets a
    note on the building of the packets (done before timing starts) every half second.
    """
    # Live data: DataTime starts now (whole seconds) and advances one second per packet.
    begin = start or datetime.now(CHINA_TZ).replace(microsecond=0)
    frames, ahead = _prepare(devices, begin, version, cn, rate, duration, preparing)
    run = _Run(frames)
    connections = [_Device(run, i) for i in range(len(devices))]
    started = time.perf_counter()
    await asyncio.gather(*(_connect(host, port, c) for c in connections))
    tick = _progress_ticker(progress, connections, run)
    await _schedule(run, connections, len(devices) * rate, ahead, tick)
    await _settle(connections, grace, tick)
    run.closing = True
    for connection in connections:
        if connection.transport is not None:
            connection.transport.close()
    await asyncio.sleep(0)  # let the transports finish closing
    return LoadReport(
        sent=sum(c.next_seq for c in connections),
        acknowledged=len(run.latencies_ms),
        failed=sum(len(c.outstanding) + run.per_device - c.next_seq for c in connections),
        seconds=time.perf_counter() - started,
        latencies_ms=run.latencies_ms,
        errors=run.errors,
    )


async def _connect(host: str, port: int, connection: _Device) -> None:
    try:
        await asyncio.get_running_loop().create_connection(lambda: connection, host, port)
    except OSError as exc:
        connection.run.errors.append(f"connect: {exc}")


def _progress_ticker(
    progress: Callable[[int, int], None] | None, connections: list[_Device], run: _Run
) -> Callable[[], None]:
    """A function to call often that calls ``progress`` every half second."""
    due = _every(_PROGRESS)

    def tick() -> None:
        if progress is not None and due():
            progress(sum(c.next_seq for c in connections), len(run.latencies_ms))

    return tick


async def _schedule(
    run: _Run, connections: list[_Device], total_rate: float, ahead: int, tick: Callable[[], None]
) -> None:
    """Write every packet when it falls due: each pass hands each device with newly due packets
    all of its due packets."""
    frames, n, send = run.frames, len(connections), [c.send for c in connections]
    t0 = time.perf_counter()
    while run.due < frames.total:
        due = due_count(time.perf_counter() - t0, total_rate, frames.total)
        if due > run.due:
            frames.build(due)  # only if building ahead fell behind
            for k in range(run.due, min(due, run.due + n)):
                send[k % n](device_due(due, k % n, n))
            run.due = due
        if frames.built < frames.total:  # a long run: keep building ahead, forget sent frames
            frames.build(min(due + ahead, frames.built + _BUILD_SLICE))
            if run.due // n - frames.qn_base >= _DROP_ROWS:
                live = [c.next_seq for c in connections if c.transport is not None]
                frames.forget(min(live, default=run.per_device))
        tick()
        next_due = t0 + run.due / total_rate
        await asyncio.sleep(min(max(_TICK, next_due - time.perf_counter()), _PROGRESS))


async def _settle(connections: list[_Device], grace: float, tick: Callable[[], None]) -> None:
    """Wait up to ``grace`` seconds for the last packets to be written and answered."""
    deadline = time.perf_counter() + grace
    while time.perf_counter() < deadline and any(c.waiting() for c in connections):
        tick()
        await asyncio.sleep(_POLL)

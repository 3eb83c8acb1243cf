"""``ecodata hj212 simulate``: simulated data loggers that load an HJ 212 receiver.

Each device opens one TCP connection and sends uploads at a fixed rate (open loop: the schedule
does not wait for answers, as a logger with a backlog to upload does), each with its own QN and
DataTime (one second apart, so no two packets of a device carry the same data). Answers (9014) are
matched to packets by QN; the report counts sent, acknowledged and failed packets and the
acknowledgement latency percentiles.

Packets come from :func:`ecodata.protocols.hj212.simulated_packet` (realistic CEMS and wastewater
values); to keep the client cheap, a few are built per device and reused as templates whose QN and
DataTime are rewritten (same width) and whose CRC is recomputed.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import numpy as np

from ecodata.model import CHINA_TZ
from ecodata.protocols.hj212 import StreamDecoder, crc16, simulated_packet

_TEMPLATES = 16  # distinct value sets per device


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
    latencies_ms: list[float] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, object]:
        lat = np.array(self.latencies_ms) if self.latencies_ms else np.array([np.nan])
        return {
            "sent": self.sent,
            "acknowledged": self.acknowledged,
            "failed": self.failed,
            "seconds": round(self.seconds, 3),
            "rate": round(self.acknowledged / self.seconds, 1) if self.seconds else 0.0,
            "latency_ms": {
                "p50": _round(np.nanpercentile(lat, 50)),
                "p95": _round(np.nanpercentile(lat, 95)),
                "p99": _round(np.nanpercentile(lat, 99)),
                "max": _round(np.nanmax(lat)),
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


class PacketFactory:
    """Builds the packets of one device quickly from templates."""

    def __init__(self, device: DeviceSpec, start: datetime, version: str, cn: str) -> None:
        self.start = start.astimezone(CHINA_TZ).replace(tzinfo=None)
        self.templates: list[tuple[bytes, int, int]] = []
        for seq in range(_TEMPLATES):
            frame = simulated_packet(
                device.mn, device.password, device.kind, self.start, seq, version, cn=cn
            )
            body = frame[6:-6]  # between '##dddd' and 'CRC\r\n'
            qn = body.index(b"QN=") + 3
            data_time = body.index(b"DataTime=") + 9
            self.templates.append((body, qn, data_time))

    def packet(self, seq: int) -> tuple[bytes, bytes]:
        """(frame, QN) of the device's packet number ``seq``."""
        body, qn_at, time_at = self.templates[seq % _TEMPLATES]
        at = self.start + timedelta(seconds=seq)
        qn = f"{at:%Y%m%d%H%M%S}{seq % 1000:03d}".encode()
        stamp = f"{at:%Y%m%d%H%M%S}".encode()
        data = bytearray(body)
        data[qn_at : qn_at + 17] = qn
        data[time_at : time_at + 14] = stamp
        segment = bytes(data)
        frame = b"##%04d%s%04X\r\n" % (len(segment), segment, crc16(segment))
        return frame, qn


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
) -> LoadReport:
    """Run all devices for ``duration`` seconds at ``rate`` packets/s each."""
    # Live data: DataTime starts now (whole seconds) and advances one second per packet.
    begin = start or datetime.now(CHINA_TZ).replace(microsecond=0)
    report = LoadReport()
    factories = [PacketFactory(d, begin, version, cn) for d in devices]
    started = time.perf_counter()
    tasks = [
        asyncio.create_task(_device(host, port, f, rate, duration, grace, report))
        for f in factories
    ]
    if progress is not None:
        ticker = asyncio.create_task(_tick(progress, report, duration))
    await asyncio.gather(*tasks)
    if progress is not None:
        ticker.cancel()
    report.seconds = time.perf_counter() - started
    return report


async def _tick(progress: Callable[[int, int], None], report: LoadReport, duration: float) -> None:
    while True:
        await asyncio.sleep(0.5)
        progress(report.sent, report.acknowledged)


async def _device(
    host: str,
    port: int,
    factory: PacketFactory,
    rate: float,
    duration: float,
    grace: float,
    report: LoadReport,
) -> None:
    try:
        reader, writer = await asyncio.open_connection(host, port)
    except OSError as exc:
        report.errors.append(f"connect: {exc}")
        report.failed += int(rate * duration)
        return
    outstanding: dict[bytes, float] = {}
    done = asyncio.Event()

    async def receive() -> None:
        decoder = StreamDecoder()
        while True:
            data = await reader.read(65536)
            if not data:
                return
            now = time.perf_counter()
            for event in decoder.feed(data):
                qn = getattr(event, "qn", None)
                if qn is None:
                    continue
                sent_at = outstanding.pop(qn.encode(), None)
                if sent_at is not None:
                    report.acknowledged += 1
                    report.latencies_ms.append((now - sent_at) * 1000)
            if done.is_set() and not outstanding:
                return

    receiver = asyncio.create_task(receive())
    interval = 1.0 / rate
    total = int(rate * duration)
    t0 = time.perf_counter()
    try:
        for seq in range(total):
            delay = t0 + seq * interval - time.perf_counter()
            if delay > 0:
                await asyncio.sleep(delay)
            frame, qn = factory.packet(seq)
            outstanding[qn] = time.perf_counter()
            writer.write(frame)
            report.sent += 1
            if writer.transport.get_write_buffer_size() > 1 << 18:
                await writer.drain()
        await writer.drain()
        done.set()
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(asyncio.shield(receiver), grace)
    except ConnectionError as exc:
        report.errors.append(f"{factory.templates and 'send'}: {exc}")
    finally:
        receiver.cancel()
        report.failed += len(outstanding)
        writer.close()
        with contextlib.suppress(Exception):
            await writer.wait_closed()

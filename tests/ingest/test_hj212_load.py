"""The load generator of ``ecodata hj212 simulate`` against a real TCP receiver on 127.0.0.1 that
answers with real 9014 replies (no mocks)."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import pytest

from ecodata.ingest import hj212_load
from ecodata.ingest.hj212_load import (
    LoadReport,
    PacketFactory,
    device_due,
    devices_for,
    due_count,
    run_load,
)
from ecodata.model import CHINA_TZ
from ecodata.protocols.hj212 import CrcDialect, Packet, parse_packet, reply_for

START = datetime(2025, 6, 1, 8, 0, tzinfo=CHINA_TZ)


@dataclass
class Receiver:
    """What the test receiver got, and how it answers: ``answer(packet)`` says whether to answer;
    answers go out ``batch`` at a time in one write, or with ``split`` in two writes 3 ms apart
    cut inside the last answer's QN; ``close_after`` hangs up after that many packets on a
    connection."""

    answer: Callable[[Packet], bool] = lambda packet: True
    batch: int = 1
    split: bool = False
    close_after: int | None = None
    packets: list[tuple[float, Packet]] = field(default_factory=list)
    port: int = 0


class _Answering(asyncio.Protocol):
    def __init__(self, receiver: Receiver) -> None:
        self.receiver = receiver
        self.buffer = b""
        self.count = 0
        self.answers: list[bytes] = []

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport: Any = transport

    def data_received(self, data: bytes) -> None:
        self.buffer += data
        *frames, self.buffer = self.buffer.split(b"\r\n")
        for frame in frames:
            packet = parse_packet(frame + b"\r\n")  # raises if the CRC is wrong
            self.receiver.packets.append((time.perf_counter(), packet))
            self.count += 1
            reply = reply_for(packet)
            if reply is not None and self.receiver.answer(packet):
                self.answers.append(reply)
            if len(self.answers) == self.receiver.batch:
                self.reply(b"".join(self.answers))
                self.answers.clear()
            if self.count == self.receiver.close_after:
                self.transport.close()
                return

    def reply(self, answers: bytes) -> None:
        if not self.receiver.split:
            self.transport.write(answers)
            return
        cut = answers.rindex(b"QN=") + 8  # inside the last QN
        self.transport.write(answers[:cut])
        asyncio.get_running_loop().call_later(0.003, self.transport.write, answers[cut:])


def run(receiver: Receiver | None, devices: int, **options: Any) -> LoadReport:
    """Run the load generator against ``receiver`` (``None``: a port nobody listens on)."""

    async def main() -> LoadReport:
        loop = asyncio.get_running_loop()
        if receiver is None:
            server = await loop.create_server(asyncio.Protocol, "127.0.0.1", 0)
            port = server.sockets[0].getsockname()[1]
            server.close()
            await server.wait_closed()
        else:
            server = await loop.create_server(lambda: _Answering(receiver), "127.0.0.1", 0)
            port = receiver.port = server.sockets[0].getsockname()[1]
        try:
            return await run_load("127.0.0.1", port, devices_for(devices), start=START, **options)
        finally:
            server.close()
            await server.wait_closed()

    return asyncio.run(main())


def check_packets(receiver: Receiver, devices: int, per_device: int) -> None:
    """Every device sent packets 0 … per_device - 1: distinct QNs, DataTimes one second apart,
    valid standard CRCs (checked by parse_packet)."""
    by_device: dict[str, list[Packet]] = {}
    for _, packet in receiver.packets:
        by_device.setdefault(packet.mn, []).append(packet)
        assert packet.crc_dialect is CrcDialect.STANDARD
    assert sorted(by_device) == [d.mn for d in devices_for(devices)]
    start = START.replace(tzinfo=None)
    for packets in by_device.values():
        assert [p.data_time for p in packets] == [
            f"{start + timedelta(seconds=s):%Y%m%d%H%M%S}" for s in range(per_device)
        ]
        assert len({p.qn for p in packets}) == per_device


def test_every_packet_is_sent_and_answered() -> None:
    receiver = Receiver()
    report = run(receiver, 4, rate=20, duration=1.0)
    assert (report.sent, report.acknowledged, report.failed) == (80, 80, 0)
    assert report.errors == [] and len(report.latencies_ms) == 80
    check_packets(receiver, 4, 20)
    data = report.as_dict()
    assert set(data) == {
        "sent",
        "acknowledged",
        "failed",
        "seconds",
        "rate",
        "latency_ms",
        "errors",
    }
    assert set(data["latency_ms"]) == {"p50", "p95", "p99", "max"}  # type: ignore[arg-type]


def test_open_loop_fixed_rate() -> None:
    """The packets go out on schedule, spread over the run, even if nothing is answered."""
    receiver = Receiver(answer=lambda packet: False)
    began = time.perf_counter()
    report = run(receiver, 3, rate=10, duration=1.0, grace=0.2)
    assert (report.sent, report.acknowledged, report.failed) == (30, 0, 30)
    arrivals = [at - began for at, _ in receiver.packets]
    assert len(arrivals) == 30 and arrivals[-1] - arrivals[0] > 0.8
    assert report.as_dict()["latency_ms"] == {"p50": None, "p95": None, "p99": None, "max": None}


def test_answers_split_across_reads_are_matched() -> None:
    receiver = Receiver(split=True)
    report = run(receiver, 3, rate=20, duration=0.5)
    assert (report.sent, report.acknowledged, report.failed) == (30, 30, 0)
    assert min(report.latencies_ms) >= 2.5  # the end of each answer came 3 ms later


def test_several_answers_in_one_read_some_split() -> None:
    receiver = Receiver(batch=3, split=True)
    report = run(receiver, 2, rate=40, duration=0.3)
    assert (report.sent, report.acknowledged, report.failed) == (24, 24, 0)
    latencies = sorted(report.latencies_ms)
    assert latencies[8] > 20  # the first of each three waited for the next two (25 ms apart)


def test_unanswered_packets_fail() -> None:
    receiver = Receiver(answer=lambda packet: int(packet.qn or "0") % 2 == 0)
    report = run(receiver, 2, rate=20, duration=0.5, grace=0.3)
    assert (report.sent, report.acknowledged, report.failed) == (20, 10, 10)


def test_refused_connections_are_reported() -> None:
    report = run(None, 2, rate=10, duration=0.3, grace=0.2)
    assert (report.sent, report.acknowledged, report.failed) == (0, 0, 6)
    assert len(report.errors) == 2 and all(e.startswith("connect: ") for e in report.errors)


def test_receiver_hanging_up_is_reported() -> None:
    receiver = Receiver(close_after=3)
    report = run(receiver, 2, rate=20, duration=0.5, grace=0.3)
    assert report.acknowledged == 6 and report.failed == 20 - 6
    assert len(report.errors) == 2
    assert all(e == "closed by the receiver" or e.startswith("send: ") for e in report.errors)


def test_long_runs_are_built_during_the_run(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(hj212_load, "PREBUILD_BYTES", 12 * 500)  # 12 frames
    monkeypatch.setattr(hj212_load, "_DROP_ROWS", 2)
    receiver = Receiver()
    report = run(receiver, 3, rate=40, duration=0.5)
    assert (report.sent, report.acknowledged, report.failed) == (60, 60, 0)
    check_packets(receiver, 3, 20)


def test_frames_built_in_pieces_and_forgotten(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(hj212_load, "_DROP_ROWS", 4)
    factories = [PacketFactory(d, START, "2017", "2011") for d in devices_for(3)]
    frames = hj212_load._Frames(factories, 40)
    for until in (1, 2, 7, 50, 120, 500):
        frames.build(until)
    assert frames.built == 120
    frames.forget(3)  # not enough to bother
    assert frames.base == 0
    for seq in range(40):
        for device, factory in enumerate(factories):
            frame, qn = factory.packet(seq)
            assert frames.frame(seq, device) == frame and frames.qn(seq) == qn
    frames.forget(35)
    assert (frames.base, frames.qn_base, frames.built) == (105, 35, 120)
    assert frames.frame(39, 2) == factories[2].packet(39)[0]


def test_packet_factory_frames_are_valid() -> None:
    for spec in devices_for(2):
        factory = PacketFactory(spec, START, "2017", "2011")
        for seq in (0, 1, 17, 999, 1000, 86_400):
            frame, qn = factory.packet(seq)
            packet = parse_packet(frame)
            assert packet.qn == qn.decode() and packet.mn == spec.mn
            stamp = START.replace(tzinfo=None) + timedelta(seconds=seq)
            assert packet.data_time == f"{stamp:%Y%m%d%H%M%S}"


def test_send_order_interleaves_the_devices() -> None:
    n, rate = 4, 10.0
    # packet k (device k % n, number k // n) is due at k / (n × rate) s
    assert [due_count(t, n * rate, 100) for t in (0.0, 0.0249, 0.025, 0.1, 99.0)] == [
        1,
        1,
        2,
        5,
        100,
    ]
    assert [device_due(5, d, n) for d in range(n)] == [2, 1, 1, 1]
    assert [device_due(0, d, n) for d in range(n)] == [0, 0, 0, 0]


def test_a_device_holds_back_while_its_connection_is_full() -> None:
    """Packets due while the connection does not take data go out together once it drains."""
    receiver = Receiver()

    async def main() -> tuple[int, int]:
        loop = asyncio.get_running_loop()
        server = await loop.create_server(lambda: _Answering(receiver), "127.0.0.1", 0)
        factories = [PacketFactory(d, START, "2017", "2011") for d in devices_for(1)]
        frames = hj212_load._Frames(factories, 5)
        frames.build(5)
        run = hj212_load._Run(frames)
        device = hj212_load._Device(run, 0)
        await loop.create_connection(
            lambda: device, "127.0.0.1", server.sockets[0].getsockname()[1]
        )
        device.pause_writing()
        run.due = 5
        device.send(5)
        held = device.next_seq
        device.resume_writing()
        await asyncio.sleep(0.2)
        assert device.transport is not None
        device.transport.close()
        server.close()
        await server.wait_closed()
        return held, len(run.latencies_ms)

    held, answered = asyncio.run(main())
    assert held == 0 and answered == 5 and len(receiver.packets) == 5

"""Acknowledged means durable: kill the server (SIGKILL) while devices send, restart it, and find
every acknowledged packet stored, once."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import subprocess
import sys
import time
from datetime import datetime
from pathlib import Path

import httpx
import pytest

from ecodata.ingest.hj212_load import PacketFactory, devices_for
from ecodata.model import CHINA_TZ, Period
from ecodata.protocols.hj212 import StreamDecoder
from ecodata.protocols.hj212_records import parse_data_time
from ecodata.settings import load_settings
from ecodata.store.devices import Devices
from ecodata.store.observations import ObservationQuery
from ecodata.store.registry import create_engine
from ecodata.store.stores import open_stores
from tests.api.conftest import free_port

DEVICES = 12
START = datetime(2025, 6, 1, 8, 0, tzinfo=CHINA_TZ)


def start_server(data_dir: Path, http_port: int, hj212_port: int) -> subprocess.Popen[bytes]:
    env = {**os.environ, "ECODATA_DEMO": "true"}
    proc = subprocess.Popen(
        [sys.executable, "-m", "ecodata", "--data-dir", str(data_dir), "serve",
         "--port", str(http_port), "--hj212-port", str(hj212_port)],
        env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        with contextlib.suppress(httpx.TransportError):
            if httpx.get(f"http://127.0.0.1:{http_port}/api/v1/health").status_code == 200:
                return proc
        assert proc.poll() is None, "the server exited"
        time.sleep(0.2)
    raise AssertionError("the server did not start")


async def send_until_killed(port: int, acked: dict[str, set[datetime]]) -> None:
    """Each device sends its packets with up to 20 unanswered; stops when the server dies."""

    async def device(factory: PacketFactory, mn: str) -> None:
        try:
            reader, writer = await asyncio.open_connection("127.0.0.1", port)
        except OSError:
            return
        outstanding: dict[str, datetime] = {}
        window = asyncio.Semaphore(20)

        async def receive() -> None:
            decoder = StreamDecoder()
            while data := await reader.read(65536):
                for event in decoder.feed(data):
                    sent = outstanding.pop(getattr(event, "qn", ""), None)
                    if sent is not None:
                        acked[mn].add(sent)
                        window.release()

        receiver = asyncio.create_task(receive())
        try:
            for seq in range(100_000):
                slot = asyncio.ensure_future(window.acquire())
                await asyncio.wait({slot, receiver}, return_when=asyncio.FIRST_COMPLETED)
                if receiver.done():  # the server is gone
                    slot.cancel()
                    return
                frame, qn = factory.packet(seq)
                stamp = frame.split(b"DataTime=")[1][:14].decode()
                outstanding[qn.decode()] = parse_data_time(stamp)
                writer.write(frame)
                await writer.drain()
        except (ConnectionError, OSError):
            return
        finally:
            receiver.cancel()
            writer.close()

    specs = devices_for(DEVICES, prefix="CRASH")
    await asyncio.gather(*(device(PacketFactory(s, START, "2017", "2011"), s.mn) for s in specs))


@pytest.mark.slow
def children(pid: int) -> list[int]:
    """The child processes of ``pid`` (Linux /proc)."""
    found: list[int] = []
    for task in Path(f"/proc/{pid}/task").iterdir():
        found.extend(int(c) for c in (task / "children").read_text().split())
    return found


def test_every_acknowledged_packet_survives_a_crash(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    subprocess.run([sys.executable, "-m", "ecodata", "--data-dir", str(data_dir), "init"],
                   check=True, capture_output=True)  # fmt: skip
    engine = create_engine(None, data_dir)
    devices = Devices(engine)
    specs = devices_for(DEVICES, prefix="CRASH")
    for spec in specs:
        devices.add(spec.mn, spec.password)
    engine.dispose()

    http_port, hj212_port = free_port(), free_port()
    server = start_server(data_dir, http_port, hj212_port)
    acked: dict[str, set[datetime]] = {s.mn: set() for s in specs}

    receivers: list[int] = []

    async def run() -> None:
        sender = asyncio.create_task(send_until_killed(hj212_port, acked))
        await asyncio.sleep(3.0)
        receivers.extend(children(server.pid))
        server.send_signal(signal.SIGKILL)  # no chance to flush or close anything
        await asyncio.wait_for(sender, 30)

    asyncio.run(run())
    server.wait(timeout=10)
    assert receivers, "the server receives HJ 212 in a separate process by default"
    deadline = time.monotonic() + 10
    while any(Path(f"/proc/{pid}").exists() for pid in receivers):
        assert time.monotonic() < deadline, "the receiving processes outlived the server"
        time.sleep(0.1)
    total = sum(len(v) for v in acked.values())
    assert total > 100, "the devices should have been answered before the crash"

    # Restart: open the stores again (DuckDB replays its write-ahead log), as `serve` would.
    with open_stores(load_settings(data_dir=data_dir, demo=True)) as stores:
        for spec in specs:
            parameter = "a21026" if spec.kind == "cems" else "w01018"
            found = stores.registry.find_series(sites=[spec.mn], period=Period.REALTIME)
            (series,) = [s["id"] for s in found if s["parameter"] == parameter]
            times = stores.observations.read(ObservationQuery(series_ids=[series])).column("time")
            stored = times.to_pylist()
            assert len(stored) == len(set(stored)), "no packet is stored twice"
            missing = acked[spec.mn] - set(stored)
            assert not missing, f"{spec.mn}: acknowledged but not stored: {sorted(missing)[:3]}"

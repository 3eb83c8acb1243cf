"""Receiving processes: the gateway in separate processes, the observation store in this one."""

from __future__ import annotations

import asyncio
import threading
from multiprocessing import Pipe
from typing import Any

import pytest

from ecodata.ingest.hj212_receivers import ReceiverError, ReceiverPool, RemoteObservations
from ecodata.ingest.hj212_receivers import serve_store_calls as serve
from ecodata.model import Period
from ecodata.protocols.hj212 import StreamDecoder, build_packet
from ecodata.store.devices import Devices
from ecodata.store.stores import Stores
from tests.ingest.test_hj212_gateway import stored


def upload(mn: str, pw: str, minute: int, value: float) -> bytes:
    return build_packet(
        "2011", mn, pw=pw, ack=True, qn=f"20240101{minute:06d}000",
        cp=[("DataTime", f"2024010110{minute:02d}00"), ("a21026-Rtd", str(value)),
            ("a21026-Flag", "N")],
    )  # fmt: skip


async def device(port: int, packets: list[bytes], expected: int) -> list[str]:
    """Send packets one by one; return the QNs of the answers (stop after ``expected``)."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    decoder = StreamDecoder()
    answered: list[str] = []
    for packet in packets:
        writer.write(packet)
        await writer.drain()
        await asyncio.sleep(0.01)
    try:
        while len(answered) < expected:
            data = await asyncio.wait_for(reader.read(65536), 10)
            if not data:
                break
            answered.extend(a.qn for a in decoder.feed(data) if not isinstance(a, Exception))
    except TimeoutError:
        pass
    writer.close()
    await writer.wait_closed()
    return answered


def test_receiving_processes_store_answer_and_quarantine(stores: Stores) -> None:
    devices = Devices(stores.registry.engine)
    for n in range(4):
        devices.add(f"DEV{n}", f"pw{n}")
    pool = ReceiverPool(stores, processes=2)
    pool.start(host="127.0.0.1", port=0)
    try:
        assert pool.alive() == 2

        async def main() -> list[list[str]]:
            sends = [
                device(
                    pool.port, [upload(f"DEV{n}", f"pw{n}", m, n * 100 + m) for m in range(20)], 20
                )
                for n in range(4)
            ]
            wrong = device(pool.port, [upload("DEV0", "not-the-password", 59, 1.0)], 0)
            return await asyncio.gather(*sends, wrong)

        answers = asyncio.run(main())
    finally:
        pool.close()
    assert pool.alive() == 0
    for n in range(4):
        assert answers[n] == [f"20240101{m:06d}000" for m in range(20)]  # in order, none lost
        values = [r["value"] for r in stored(stores, f"DEV{n}", "a21026", Period.REALTIME)]
        assert values == [float(n * 100 + m) for m in range(20)]
    assert answers[4] == []
    # what the receiving processes wrote to the registry database: quarantine and activity
    reasons = [r["reason"] for r in stores.provenance.quarantined(channel="hj212")]
    assert reasons == ["wrong password (PW) for device DEV0"]
    seen = {row["mn"]: row for row in devices.rows()}
    assert seen["DEV1"]["packets_total"] == 20 and seen["DEV1"]["last_seen"] is not None
    assert seen["DEV0"]["rejected_total"] == 1
    # the series statistics follow what was stored
    (series,) = [
        s for s in stores.registry.find_series(sites=["DEV2"], period=Period.REALTIME)
        if s["parameter"] == "a21026"
    ]  # fmt: skip
    assert series["count"] == 20


def test_store_calls_travel_over_the_pipe_and_errors_come_back(embedded_stores: Stores) -> None:
    ours, theirs = Pipe()
    server = threading.Thread(target=serve, args=(embedded_stores.observations, ours))
    server.start()
    remote = RemoteObservations(theirs)
    readings: list[Any] = [((1, 2), 1_700_000_000_000_000, (1.5, None), ("N", "D"), (0, 4))]
    first = remote.write_readings(readings)
    assert (first.stored, first.duplicate) == (2, 0)
    again = remote.write_readings(readings)
    assert (again.stored, again.duplicate) == (0, 2)
    assert remote.stats([1]).to_pylist()[0]["count"] == 1
    with pytest.raises(ReceiverError, match="does not serve 'delete'"):
        remote._call("delete", [1])
    remote.close()  # the receiving process is gone: the server's thread ends
    server.join(5)
    assert not server.is_alive()

    ours, theirs = Pipe()
    ours.close()  # the server process is gone: nothing is stored, and the writer says so
    with pytest.raises(ReceiverError, match="server process is gone"):
        RemoteObservations(theirs).write_readings(readings)


def test_a_receiving_process_that_dies_is_replaced(embedded_stores: Stores) -> None:
    Devices(embedded_stores.registry.engine).add("DEV9", "pw9")
    pool = ReceiverPool(embedded_stores, processes=1)
    pool.start(host="127.0.0.1", port=0)
    try:
        (process,) = pool._processes
        process.kill()
        process.join(10)
        assert pool.alive() == 0

        async def main() -> tuple[int, list[str]]:
            started = await pool.revive()
            return started, await device(pool.port, [upload("DEV9", "pw9", 1, 9.0)], 1)

        started, answered = asyncio.run(main())
        assert started == 1 and pool.alive() == 1
        assert answered == ["20240101000001000"]
    finally:
        pool.close()


def test_overlapping_calls_each_get_their_own_answer(embedded_stores: Stores) -> None:
    ours, theirs = Pipe()
    server = threading.Thread(target=serve, args=(embedded_stores.observations, ours))
    server.start()
    remote = RemoteObservations(theirs)
    results: dict[int, int] = {}

    def write(n: int) -> None:
        for turn in range(5):  # caller n writes n + 1 new readings each time
            at = 1_700_000_000_000_000 + (n * 10 + turn) * 1_000_000
            readings: list[Any] = [(tuple(range(n + 1)), at, (1.0,) * (n + 1), ("N",) * (n + 1),
                                    (0,) * (n + 1))]  # fmt: skip
            stored = remote.write_readings(readings).stored
            results[n] = results.get(n, 0) + stored
            assert stored == n + 1

    callers = [threading.Thread(target=write, args=(n,)) for n in range(8)]
    for caller in callers:
        caller.start()
    for caller in callers:
        caller.join(30)
    remote.close()
    server.join(5)
    assert results == {n: 5 * (n + 1) for n in range(8)}

"""The HJ 212 gateway end to end: real TCP sockets on 127.0.0.1, real packets, both backends."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from ecodata.event_loop import loop_factory
from ecodata.ingest.tcp import Hj212Gateway
from ecodata.model import CHINA_TZ, QC, Period
from ecodata.protocols.hj212 import StreamDecoder, build_packet
from ecodata.settings import Hj212Settings
from ecodata.store.devices import Devices
from ecodata.store.observations import ObservationQuery
from ecodata.store.stores import Stores

MN = "010000A8900016F000169DC0"  # the MN of HJ 212-2017 Appendix C
KEY = "0123456789abcdeffedcba9876543210"


def standard_samples(shared: Path) -> list[tuple[str, bytes]]:
    """Appendix C packets (as framed in the shared samples) with their descriptions."""
    out = []
    for line in (shared / "hj212" / "samples_from_standard.txt").read_text().splitlines():
        if line.startswith("##"):
            frame, _, description = line.partition("\t")
            out.append((description, frame.encode()))
    return out


async def exchange(port: int, payload: bytes | list[bytes], *, wait: float = 0.6) -> list[Any]:
    """Send bytes (or chunks with pauses) and return the packets the gateway answered."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    for chunk in payload if isinstance(payload, list) else [payload]:
        writer.write(chunk)
        await writer.drain()
        await asyncio.sleep(0.05)
    decoder = StreamDecoder()
    answers: list[Any] = []
    try:
        while True:
            data = await asyncio.wait_for(reader.read(65536), wait)
            if not data:
                break
            answers.extend(decoder.feed(data))
    except TimeoutError:
        pass
    writer.close()
    await writer.wait_closed()
    return answers


def run_gateway(
    stores: Stores,
    scenario: Callable[[Hj212Gateway], Awaitable[Any]],
    loop: str = "server",
    **settings: Any,
) -> Any:
    """Run ``scenario`` against a gateway on the event loop of ``ecodata serve`` (uvloop where
    installed) or, with ``loop="asyncio"``, on asyncio's own."""

    async def main() -> Any:
        gateway = Hj212Gateway(stores, Hj212Settings(port=0, host="127.0.0.1", **settings))
        await gateway.start()
        try:
            return await scenario(gateway)
        finally:
            await gateway.close()

    with asyncio.Runner(loop_factory=loop_factory() if loop == "server" else None) as runner:
        return runner.run(main())


def stored(stores: Stores, site: str, parameter: str, period: Period) -> list[dict[str, Any]]:
    series = [
        s for s in stores.registry.find_series(sites=[site], period=period)
        if s["parameter"] == parameter
    ]  # fmt: skip
    if not series:
        return []
    return stores.observations.read(ObservationQuery(series_ids=[series[0]["id"]])).to_pylist()


def test_standard_exchanges_are_stored_and_acknowledged(stores: Stores, shared_data: Path) -> None:
    Devices(stores.registry.engine).add(MN, "123456")
    samples = standard_samples(shared_data)
    realtime = next(v for d, v in samples if d.startswith("C.14 2011"))
    minute = next(v for d, v in samples if d.startswith("C.16 2051"))
    hour_parts = [v for d, v in samples if d.startswith("C.49 2061")]
    payload = b"".join(p + b"\r\n" for p in (realtime, minute, *hour_parts))

    async def scenario(gateway: Hj212Gateway) -> list[Any]:
        answers = await exchange(gateway.port, payload)
        await asyncio.sleep(0.1)
        return answers

    answers = run_gateway(stores, scenario)
    # C.49's sub-packets carry Flag=6 (no answer requested); the two uploads with A=1 are answered
    assert [(a.cn, a.qn) for a in answers] == [
        ("9014", "20160801085857223"),
        ("9014", "20160801085000001"),
    ]
    # real-time pH 7.1 at DataTime 2016-08-01 08:58:57 China time
    (ph,) = stored(stores, MN, "w01001", Period.REALTIME)
    assert ph["value"] == 7.1 and ph["flag"] == "N" and ph["qc"] == 0
    assert ph["time"] == datetime(2016, 8, 1, 8, 58, 57, tzinfo=CHINA_TZ)
    # the minute packet keeps Avg (the series of the code) and Min/Max/Cou as series of their own
    assert stored(stores, MN, "w00000", Period.MINUTE)[0]["value"] == 17.5
    assert stored(stores, MN, "w00000-Cou", Period.MINUTE)[0]["value"] == 10.5
    assert stored(stores, MN, "w00000-Max", Period.MINUTE)[0]["value"] == 20.1
    # the hour upload came in two sub-packets; both parts were reassembled and stored
    assert stored(stores, MN, "w00000", Period.HOUR)[0]["value"] == 17.5
    assert stored(stores, MN, "w01018", Period.HOUR)[0]["value"] == 40.1
    assert stores.registry.site(MN)["kind"] == "source-outlet"
    # the series statistics (catalog, SensorThings phenomenon times) follow what was stored
    (registered,) = [
        s
        for s in stores.registry.find_series(sites=[MN], period=Period.REALTIME)
        if s["parameter"] == "w01001"
    ]
    assert registered["count"] == 1
    assert registered["first_time"] == registered["last_time"] == ph["time"]


@pytest.mark.parametrize("loop", ["server", "asyncio"])
def test_stream_framing_over_tcp(stores: Stores, loop: str) -> None:
    Devices(stores.registry.engine).add("DEV1", "pw1")

    def upload(second: int, value: float) -> bytes:
        return build_packet(
            "2011", "DEV1", pw="pw1", ack=True, qn=f"20240101000000{second:03d}",
            cp=[("DataTime", f"20240101000{second:03d}"[:14].ljust(14, "0")),
                ("a21026-Rtd", str(value)), ("a21026-Flag", "N")],
        )  # fmt: skip

    packets = [upload(i, 10.0 + i) for i in range(1, 6)]
    byte_by_byte = [bytes([b]) for b in packets[0]]
    several = packets[1] + packets[2]
    junk = b"garbage\r\n" + packets[3] + b"\x00\x01 noise" + packets[4]
    truncated = build_packet("2011", "DEV1", pw="pw1", cp={"DataTime": "20240101001000"})[:40]

    async def scenario(gateway: Hj212Gateway) -> list[Any]:
        answers = await exchange(gateway.port, byte_by_byte[:30])  # connection drops mid-packet
        answers += await exchange(gateway.port, [*byte_by_byte, several, junk, truncated])
        return answers

    answers = run_gateway(stores, scenario, loop)
    assert sorted(a.qn for a in answers) == [f"20240101000000{i:03d}" for i in range(1, 6)]
    values = [r["value"] for r in stored(stores, "DEV1", "a21026", Period.REALTIME)]
    assert sorted(values) == [11.0, 12.0, 13.0, 14.0, 15.0]
    reasons = [r["reason"] for r in stores.provenance.quarantined(channel="hj212")]
    assert sum("outside any packet" in r for r in reasons) == 2, reasons  # two runs of junk
    assert sum("stream ended" in r for r in reasons) == 2  # the dropped and the cut packet


def test_refusals_are_quarantined_and_never_acknowledged(stores: Stores) -> None:
    devices = Devices(stores.registry.engine)
    devices.add("GOOD", "secret", st="31")
    devices.add("MODBUS", "secret", crc_dialect="modbus")
    cp = {"DataTime": "20240101000000", "a21026-Rtd": "5"}
    wrong_pw = build_packet("2011", "GOOD", pw="guess", st="31", ack=True, cp=cp)
    wrong_st = build_packet("2011", "GOOD", pw="secret", st="32", ack=True, cp=cp)
    stranger = build_packet("2011", "STRANGER", pw="x", ack=True, cp=cp)
    modbus = build_packet("2011", "MODBUS", pw="secret", ack=True, cp=cp, crc_dialect="modbus")
    modbus_as_good = build_packet("2011", "GOOD", pw="secret", st="31", ack=True, cp=cp,
                                  crc_dialect="modbus")  # fmt: skip

    async def scenario(gateway: Hj212Gateway) -> list[list[Any]]:
        out = []
        for payload in (wrong_pw, wrong_st, stranger, modbus_as_good, modbus):
            out.append(await exchange(gateway.port, payload))
        return out

    answers = run_gateway(stores, scenario)
    assert [len(a) for a in answers] == [0, 0, 0, 0, 1]  # only the configured dialect passes
    reasons = [r["reason"] for r in stores.provenance.quarantined(channel="hj212")]
    assert any("wrong password" in r for r in reasons)
    assert any("ST=32 but device GOOD is registered with ST=31" in r for r in reasons)
    assert any("unknown device MN STRANGER" in r for r in reasons)
    assert any("CRC" in r for r in reasons)
    rows = stores.provenance.quarantined(channel="hj212")
    assert all(r["raw_bytes"] and r["source"].startswith("127.0.0.1:") for r in rows)
    assert stored(stores, "GOOD", "a21026", Period.REALTIME) == []
    assert len(stored(stores, "MODBUS", "a21026", Period.REALTIME)) == 1


def test_one_connection_changing_its_packets(embedded_stores: Stores) -> None:
    """A connection's packets are checked one by one, also when they follow an accepted one:
    a wrong password, another ST, a new layout or a bad value each take the general path."""
    stores = embedded_stores
    Devices(stores.registry.engine).add("STEADY", "secret", st="31")

    def packet(second: int, pw: str = "secret", st: str = "31", **extra: str) -> bytes:
        cp = {"DataTime": f"202401010000{second:02d}", "a21026-Rtd": "5", **extra}
        return build_packet("2011", "STEADY", pw=pw, st=st, ack=True, cp=cp, qn=f"{second:017d}")

    sent = [packet(1), packet(2), packet(3, pw="guess"), packet(4), packet(5, st="32"),
            packet(6, **{"a21002-Rtd": "7"}), packet(7), packet(8, **{"a21002-Rtd": "x"})]  # fmt: skip

    async def scenario(gateway: Hj212Gateway) -> list[Any]:
        return await exchange(gateway.port, sent)  # one read each

    answers = run_gateway(stores, scenario)
    assert [int(a.qn) for a in answers] == [1, 2, 4, 6, 7, 8]
    reasons = [r["reason"] for r in stores.provenance.quarantined(channel="hj212")]
    assert sum("wrong password" in r for r in reasons) == 1
    assert sum("ST=32" in r for r in reasons) == 1
    so2 = stored(stores, "STEADY", "a21026", Period.REALTIME)
    assert [row["time"].second for row in so2] == [1, 2, 4, 6, 7, 8]
    nox = stored(stores, "STEADY", "a21002", Period.REALTIME)
    assert [(row["time"].second, row["value"]) for row in nox] == [(6, 7.0), (8, None)]


def test_unknown_devices_can_wait_for_approval(embedded_stores: Stores) -> None:
    stores = embedded_stores
    packet = build_packet("2011", "NEWONE", pw="pw", ack=True,
                          cp={"DataTime": "20240101000000", "a21026-Rtd": "5"})  # fmt: skip

    async def scenario(gateway: Hj212Gateway) -> list[Any]:
        return await exchange(gateway.port, packet)

    assert run_gateway(stores, scenario, accept_unknown=True) == []
    devices = Devices(stores.registry.engine)
    assert devices.get("NEWONE").status == "pending"
    devices.approve("NEWONE")
    assert len(run_gateway(stores, scenario)) == 1


def test_duplicates_unknown_codes_2005_codes_and_flags(stores: Stores) -> None:
    Devices(stores.registry.engine).add("D", "pw")
    data = {"DataTime": "20240301120000", "a21026-Rtd": "12.5", "a21026-Flag": "N",
            "a21002-Rtd": "40", "a21002-Flag": "D", "z99999-Rtd": "3.3"}  # fmt: skip
    first = build_packet("2011", "D", pw="pw", ack=True, qn="20240301120000001", cp=data)
    resend = build_packet("2011", "D", pw="pw", ack=True, qn="20240301120000002", cp=data,
                          version="2025", rf=True)  # fmt: skip
    legacy = build_packet("2011", "D", pw="pw", version="2005", include_flag=False, st="31",
                          cp={"DataTime": "20240301120100", "02-Rtd": "7.5"})  # fmt: skip

    async def scenario(gateway: Hj212Gateway) -> list[Any]:
        return await exchange(gateway.port, first + resend + legacy)

    answers = run_gateway(stores, scenario)
    assert len(answers) == 3  # the resend is answered too: it is stored (nothing new)
    (so2,) = stored(stores, "D", "a21026", Period.REALTIME)[:1]
    assert so2["value"] == 12.5
    assert len(stored(stores, "D", "a21026", Period.REALTIME)) == 2  # 2017 + translated 2005 "02"
    (nox,) = stored(stores, "D", "a21002", Period.REALTIME)
    assert nox["flag"] == "D" and nox["qc"] & QC.DEVICE_FLAG
    (unknown,) = stored(stores, "D", "z99999", Period.REALTIME)
    assert unknown["value"] == 3.3 and unknown["qc"] & QC.UNKNOWN_CODE
    assert stores.registry.parameter("z99999")["domain"] == "unknown"


def test_sm4_encrypted_device(embedded_stores: Stores) -> None:
    stores = embedded_stores
    Devices(stores.registry.engine).add("SECURE", "pw", sm4_key=KEY)
    packet = build_packet("2011", "SECURE", pw="pw", ack=True, version="2025",
                          sm4_key=bytes.fromhex(KEY),
                          cp={"DataTime": "20260101000000", "a21026-Rtd": "1.5"})  # fmt: skip

    async def scenario(gateway: Hj212Gateway) -> list[Any]:
        return await exchange(gateway.port, packet)

    assert len(run_gateway(stores, scenario)) == 1
    assert stored(stores, "SECURE", "a21026", Period.REALTIME)[0]["value"] == 1.5


def test_idle_connections_are_closed_and_activity_recorded(embedded_stores: Stores) -> None:
    stores = embedded_stores
    Devices(stores.registry.engine).add("IDLE", "pw")
    packet = build_packet("2011", "IDLE", pw="pw", ack=True,
                          cp={"DataTime": "20240101000000", "a21026-Rtd": "1"})  # fmt: skip

    async def scenario(gateway: Hj212Gateway) -> float:
        reader, writer = await asyncio.open_connection("127.0.0.1", gateway.port)
        writer.write(packet)
        started = asyncio.get_running_loop().time()
        while await reader.read(1024):
            pass  # the answer, then EOF when the gateway closes the idle connection
        elapsed = asyncio.get_running_loop().time() - started
        writer.close()
        await writer.wait_closed()
        return elapsed

    closed_after = run_gateway(stores, scenario, idle_timeout=0.5)
    assert 0.4 < closed_after < 5
    row = Devices(stores.registry.engine, stores.settings.tz).rows()[0]
    assert row["packets_total"] == 1 and row["packets_day"] == 1
    assert row["last_seen"] is not None and (datetime.now(UTC) - row["last_seen"]).seconds < 60


@pytest.mark.parametrize("count", [50])
def test_many_concurrent_devices(embedded_stores: Stores, count: int) -> None:
    from ecodata.ingest.hj212_load import devices_for, run_load

    stores = embedded_stores
    devices = Devices(stores.registry.engine)
    specs = devices_for(count)
    for spec in specs:
        devices.add(spec.mn, spec.password)

    async def scenario(gateway: Hj212Gateway) -> Any:
        return await run_load("127.0.0.1", gateway.port, specs, rate=5, duration=2)

    report = run_gateway(stores, scenario)
    assert report.sent == count * 10 and report.acknowledged == report.sent
    assert report.failed == 0


def test_the_steady_lane(embedded_stores: Stores) -> None:
    """After a connection's first accepted packet, reads of packets like it — one or several per
    read — take the steady lane; reads it cannot take (a packet split across reads, another
    header) take the decoder and the checks; answers keep their order throughout."""
    stores = embedded_stores
    Devices(stores.registry.engine).add("LANE", "pw", st="31")

    def packet(second: int, *, pw: str = "pw", ack: bool = True) -> bytes:
        cp = {"DataTime": f"202401010000{second:02d}", "a21026-Rtd": f"{second}.5"}
        return build_packet("2011", "LANE", pw=pw, st="31", ack=ack, cp=cp, qn=f"{second:017d}")

    half = len(packet(5)) // 2
    reads = [packet(1), packet(2), packet(3) + packet(4), packet(5)[:half], packet(5)[half:],
             packet(6) + packet(7, pw="guess") + packet(8), packet(9) + packet(10),
             packet(11, ack=False) + packet(12, ack=False), packet(13)]  # fmt: skip

    async def scenario(gateway: Hj212Gateway) -> tuple[list[Any], int]:
        return await exchange(gateway.port, reads), gateway.stats.steady

    answers, steady = run_gateway(stores, scenario)
    assert [int(a.qn) for a in answers] == [1, 2, 3, 4, 5, 6, 8, 9, 10, 13]
    assert all(a.cn == "9014" and a.mn == "LANE" for a in answers)
    # 1 asks the registry, 2 passes the checks and opens the lane: 3 and 4 take it; 5 comes in
    # two reads and 6 + 7 + 8 holds a wrong password (the checks, then 8 opens the lane again):
    # 9 and 10 take it; 11 and 12 (no A bit) and 13 differ from the packet before them
    assert steady == 4
    rows = stored(stores, "LANE", "a21026", Period.REALTIME)
    assert [(r["time"].second, r["value"]) for r in rows] == [
        (s, s + 0.5) for s in (1, 2, 3, 4, 5, 6, 8, 9, 10, 11, 12, 13)
    ]
    reasons = [r["reason"] for r in stores.provenance.quarantined(channel="hj212")]
    assert len(reasons) == 1 and "wrong password" in reasons[0]
    row = Devices(stores.registry.engine, stores.settings.tz).rows()[0]
    assert row["packets_total"] == 12 and row["rejected_total"] == 1


def test_steady_packets_that_cannot_be_stored_are_quarantined(embedded_stores: Stores) -> None:
    """When a commit fails, the packets of reads the steady lane took are quarantined like the
    others (decoded again from the read) and never acknowledged."""
    stores = embedded_stores
    Devices(stores.registry.engine).add("LOST", "pw")

    def packet(second: int) -> bytes:
        cp = {"DataTime": f"202401010000{second:02d}", "a21026-Rtd": "1"}
        return build_packet("2011", "LOST", pw="pw", ack=True, cp=cp, qn=f"{second:017d}")

    async def scenario(gateway: Hj212Gateway) -> tuple[list[Any], list[Any], int]:
        first: list[Any] = []
        reader, writer = await asyncio.open_connection("127.0.0.1", gateway.port)
        for second in (1, 2):  # the registry, then the checks: the lane is open
            writer.write(packet(second))
            first += StreamDecoder().feed(await asyncio.wait_for(reader.read(4096), 5))
        stores.observations.close()  # every later commit fails
        writer.write(packet(3) + packet(4))
        await asyncio.sleep(0.5)
        writer.close()
        await writer.wait_closed()
        await asyncio.get_running_loop().run_in_executor(None, gateway._flush)
        return first, stores.provenance.quarantined(channel="hj212"), gateway.stats.steady

    first, quarantined, steady = run_gateway(stores, scenario)
    assert [a.qn for a in first] == [f"{1:017d}", f"{2:017d}"]
    assert steady == 2
    assert sorted(r["position"] for r in quarantined) == [
        f"MN LOST QN {3:017d}",
        f"MN LOST QN {4:017d}",
    ]
    assert all(r["reason"].startswith("not stored:") and r["raw_bytes"] for r in quarantined)

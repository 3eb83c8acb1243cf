"""Benchmark (a): HJ 212 codec throughput on typical HJ 212-2017 realtime packets (~300 bytes).

Compared in the same run against a straightforward decoder — the bit-by-bit CRC of HJ 212-2017
Appendix A and a plain split-based parser, as most public implementations do it. Goal: ≥ 100,000
packets/s on one core for ``parse_packet``. ``parse_packet`` uses the C fast lane when the
extension ``_hj212_speedups`` is built; "parse_packet (pure Python)" is the same decoding without it.

    .venv/bin/python benchmarks/hj212_codec.py [--quick]

Prints a table and writes ``benchmarks/results/hj212_codec.json``.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import sys
import time
from collections.abc import Callable, Sequence
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from ecodata.model import CHINA_TZ
from ecodata.protocols.hj212 import (
    StreamDecoder,
    crc16,
    crc16_bitwise,
    parse_packet,
    records,
    simulated_packet,
)
from ecodata.protocols.hj212_frame import accelerator, parse_packet_python

GOAL = 100_000  # packets per second, one core
RESULTS = Path(__file__).resolve().parent / "results" / "hj212_codec.json"


# --- the baseline: what a straightforward implementation does ----------------------------------


def baseline_crc(data: bytes) -> int:
    """HJ 212-2017 Appendix A, literally: eight shift/XOR rounds per byte."""
    crc = 0xFFFF
    for byte in data:
        crc = (crc >> 8) ^ byte
        for _ in range(8):
            if crc & 1:
                crc = (crc >> 1) ^ 0xA001
            else:
                crc >>= 1
    return crc


def baseline_parse(frame: bytes) -> dict[str, Any]:
    """Check header, length and CRC, then split the text field by field."""
    text = frame.decode("utf-8").rstrip("\r\n")
    if not text.startswith("##"):
        raise ValueError("no header")
    length = int(text[2:6])
    segment = text[6 : 6 + length]
    if f"{baseline_crc(segment.encode('utf-8')):04X}" != text[6 + length : 10 + length].upper():
        raise ValueError("CRC")
    head, _, area = segment.partition("CP=&&")
    header = {}
    for item in head.strip(";").split(";"):
        key, _, value = item.partition("=")
        header[key] = value
    data = []
    for group in area[:-2].split(";"):
        for item in group.split(","):
            if item:
                key, _, value = item.partition("=")
                data.append((key, value))
    header["CP"] = data  # type: ignore[assignment]
    return header


# --- measurement -------------------------------------------------------------------------------


def typical_packets(count: int) -> list[bytes]:
    """Realtime (CN 2011) uploads of simulated wastewater outlets: ~300 bytes each."""
    start = datetime(2024, 6, 1, 8, 0, tzinfo=CHINA_TZ)
    return [
        simulated_packet(
            f"010000A89000{n % 97:012X}",
            "123456",
            "wastewater",
            start + timedelta(seconds=30 * n),
            n,
        )
        for n in range(count)
    ]


def cems_packets(count: int) -> list[bytes]:
    start = datetime(2024, 6, 1, 8, 0, tzinfo=CHINA_TZ)
    return [
        simulated_packet(
            f"020000A89000{n % 89:012X}", "123456", "cems", start + timedelta(seconds=30 * n), n
        )
        for n in range(count)
    ]


def rates(cases: dict[str, tuple[Callable[[], object], int]], repeats: int) -> dict[str, Any]:
    """Items per second of each case: per second of CPU time of this process (what one core
    does) and per second of wall-clock time, best of ``repeats``. The cases take turns, run after
    run, so that what else the machine is doing falls on all of them alike."""
    cpu: dict[str, list[float]] = {name: [] for name in cases}
    wall: dict[str, list[float]] = {name: [] for name in cases}
    for run, _ in cases.values():
        run()  # warm up
    for _ in range(repeats):
        for name, (run, _) in cases.items():
            cpu_start, wall_start = time.process_time(), time.perf_counter()
            run()
            cpu[name].append(time.process_time() - cpu_start)
            wall[name].append(time.perf_counter() - wall_start)
    return {
        name: {
            "per_cpu_second": round(items / min(cpu[name])),
            "per_wall_second": round(items / min(wall[name])),
            "per_wall_second_median": round(items / statistics.median(wall[name])),
            "cpu_microseconds_each": round(min(cpu[name]) / items * 1e6, 3),
        }
        for name, (_, items) in cases.items()
    }


def measure(quick: bool) -> dict[str, Any]:
    count = 2000
    repeats = 5 if quick else 25
    typical = typical_packets(count)
    cems = cems_packets(count)
    few = typical[: count // 20]  # the baseline is slow: time it on fewer packets

    # the decoders must read the same values before their speed means anything
    for frame in typical[:200]:
        mine = parse_packet(frame)
        theirs = baseline_parse(frame)
        assert mine.cp == tuple(theirs["CP"]) and mine.mn == theirs["MN"]
        assert parse_packet_python(frame) == mine

    stream = b"".join(typical)
    reads = [stream[i : i + 4096] for i in range(0, len(stream), 4096)]

    def decode_stream() -> None:
        decoder = StreamDecoder()
        got = 0
        for chunk in reads:
            got += len(decoder.feed(chunk))  # the events of one read are dropped after it
        assert got == count, got

    segment = typical[0][6:-6]
    crc_loops = 10_000

    # Each decoded packet is dropped at once, as in a gateway (a list holding thousands of
    # packets would measure the garbage collector instead).
    def each(decode: Callable[[bytes], object], frames: list[bytes]) -> Callable[[], None]:
        def run() -> None:
            for frame in frames:
                decode(frame)

        return run

    def repeat(function: Callable[[bytes], int], loops: int) -> Callable[[], None]:
        def run() -> None:
            for _ in range(loops):
                function(segment)

        return run

    results = rates(
        {
            "baseline_parse (bit-by-bit CRC + split)": (each(baseline_parse, few), len(few)),
            "parse_packet": (each(parse_packet, typical), count),
            "parse_packet (pure Python)": (each(parse_packet_python, typical), count),
            "StreamDecoder.feed (4 KiB reads)": (decode_stream, count),
            "parse_packet + records": (
                each(lambda frame: records(parse_packet(frame)), typical),
                count,
            ),
            "parse_packet, CEMS packets": (each(parse_packet, cems), count),
            "crc16 (300-byte segment)": (repeat(crc16, crc_loops), crc_loops),
            "crc16_bitwise (300-byte segment)": (
                repeat(crc16_bitwise, crc_loops // 50),
                crc_loops // 50,
            ),
        },
        repeats,
    )
    sizes = [len(f) for f in typical]
    cems_sizes = [len(f) for f in cems]
    speed = results["parse_packet"]["per_cpu_second"]
    base = results["baseline_parse (bit-by-bit CRC + split)"]["per_cpu_second"]
    return {
        "benchmark": "hj212_codec",
        "description": "HJ 212-2017 realtime packets decoded per second on one core",
        "packets": {
            "typical": f"CN 2011 wastewater outlet, {min(sizes)}-{max(sizes)} bytes "
            f"(mean {statistics.mean(sizes):.0f})",
            "cems": f"CN 2011 flue-gas CEMS, {min(cems_sizes)}-{max(cems_sizes)} bytes",
            "count": count,
        },
        "results": results,
        "speedup_over_baseline": round(speed / base, 1),
        "goal_packets_per_second": GOAL,
        "goal_measure": "parse_packet, packets per CPU second of one process (single-threaded)",
        "goal_met": speed >= GOAL,
        "c_accelerator": accelerator is not None,
        "environment": {
            "python": sys.version.split()[0],
            "implementation": platform.python_implementation(),
            "machine": platform.machine(),
            "cpus": os.cpu_count(),
            "load_average_1min": round(os.getloadavg()[0], 2)
            if hasattr(os, "getloadavg")
            else None,
            "date": datetime.now(CHINA_TZ).isoformat(timespec="seconds"),
        },
    }


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--quick", action="store_true", help="fewer packets and repeats")
    parser.add_argument("--output", type=Path, default=RESULTS)
    args = parser.parse_args(argv)
    report = measure(args.quick)
    width = max(len(name) for name in report["results"])
    print(f"HJ 212 codec — {report['packets']['typical']}")
    print(f"  {'':<{width}}  {'per CPU s':>12}  {'per wall s':>12}  µs CPU each")
    for name, figures in report["results"].items():
        cpu, wall = figures["per_cpu_second"], figures["per_wall_second"]
        print(f"  {name:<{width}}  {cpu:>12,}  {wall:>12,}  {figures['cpu_microseconds_each']:>10}")
    print(
        f"  parse_packet is {report['speedup_over_baseline']}× the baseline; goal "
        f"{GOAL:,}/s {'met' if report['goal_met'] else 'NOT met'}, C fast lane "
        f"{'in use' if report['c_accelerator'] else 'NOT built'} "
        f"(load average {report['environment']['load_average_1min']})"
    )
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(report, indent=2, ensure_ascii=False) + "\n", "utf-8")
    print(f"  written to {args.output}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

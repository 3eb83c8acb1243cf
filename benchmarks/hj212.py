"""Benchmark: HJ 212 — (a) codec throughput and (b) the gateway end to end.

(a) runs ``benchmarks/hj212_codec.py`` (typical ~300-byte HJ 212-2017 real-time packets on one core,
beside a straightforward bit-by-bit CRC parser in the same run; goal ≥ 100,000 packets/s).

(b) starts ``ecodata serve --hj212-port`` on a fresh embedded data directory (a real server process),
registers the simulated devices, and runs ``ecodata hj212 simulate`` from a second process on
loopback: 200 concurrent devices, each sending at a fixed rate; every packet asks for an answer and
is answered only once its readings are committed. Reported: acknowledged packets/s, failed, and the
acknowledgement latency percentiles, for each offered rate; then the data in the store are counted
after the server stopped (durability check). Goal: ≥ 20,000 packets/s with p99 < 200 ms. Each rate
runs with the gateway in one receiving process beside the server (the default,
``ECODATA_HJ212__PROCESSES=1``) and, as the comparison, inside the server process (``0``).

Usage: ``python benchmarks/hj212.py [--quick] [--devices 200] [--rates 25,50,75,100,125,150,200]
[--processes 1,0] [--duration 10]``.
Writes ``benchmarks/results/hj212.json``.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx

HERE = Path(__file__).resolve().parent
RESULTS = HERE / "results" / "hj212.json"
ECODATA = [sys.executable, "-m", "ecodata"]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def codec(quick: bool) -> dict[str, Any]:
    sys.path.insert(0, str(HERE))
    import hj212_codec

    result: dict[str, Any] = hj212_codec.measure(quick)
    return result


def end_to_end(devices: int, rate: float, duration: float, processes: int) -> dict[str, Any]:
    work = Path(tempfile.mkdtemp(prefix="ecodata-hj212-bench-"))
    data = work / "data"
    env = {**os.environ, "ECODATA_DEMO": "true", "ECODATA_LOG_LEVEL": "WARNING",
           "ECODATA_HJ212__PROCESSES": str(processes)}  # fmt: skip
    try:
        subprocess.run([*ECODATA, "--data-dir", str(data), "init"], check=True,
                       capture_output=True, env=env)  # fmt: skip
        http, port = free_port(), free_port()
        server = subprocess.Popen(
            [*ECODATA, "--data-dir", str(data), "serve", "--port", str(http),
             "--hj212-port", str(port)],
            env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )  # fmt: skip
        try:
            deadline = time.monotonic() + 60
            while True:
                try:
                    if httpx.get(f"http://127.0.0.1:{http}/api/v1/health").status_code == 200:
                        break
                except httpx.TransportError:
                    pass
                if time.monotonic() > deadline:
                    raise RuntimeError("the server did not start")
                time.sleep(0.2)
            # warm-up: register the devices, create their series (first packets of each)
            simulate = [*ECODATA, "--data-dir", str(data), "hj212", "simulate",
                        "--target", f"127.0.0.1:{port}", "--devices", str(devices), "--json"]  # fmt: skip
            subprocess.run([*simulate, "--register", "--rate", "1", "--duration", "2"],
                           check=True, capture_output=True, env=env)  # fmt: skip
            out = subprocess.run(
                [*simulate, "--rate", str(rate), "--duration", str(duration)],
                capture_output=True, text=True, env=env, check=False,
            )  # fmt: skip
            report: dict[str, Any] = json.loads(out.stdout)
            server_cpu = sum(filter(None, map(_cpu_seconds, [server.pid, *_children(server.pid)])))
        finally:
            server.terminate()
            server.wait(timeout=60)
        stored = _count(data)
        report.update(
            processes=processes,
            offered_rate=devices * rate,
            devices=devices,
            rate_per_device=rate,
            server_cpu_seconds=server_cpu,
            observations_stored=stored,
        )
        return report
    finally:
        shutil.rmtree(work, ignore_errors=True)


def _cpu_seconds(pid: int) -> float | None:
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        ticks = os.sysconf("SC_CLK_TCK")
        return (int(fields[11]) + int(fields[12])) / ticks
    except (OSError, IndexError, ValueError):
        return None


def _children(pid: int) -> list[int]:
    """The receiving processes of the server (Linux /proc; none elsewhere)."""
    found: list[int] = []
    for children in Path(f"/proc/{pid}/task").glob("*/children"):
        found.extend(int(c) for c in children.read_text().split())
    return found


def _count(data: Path) -> int:
    from ecodata.settings import load_settings
    from ecodata.store.stores import open_stores

    with open_stores(load_settings(data_dir=data, demo=True)) as stores:
        return stores.observations.count()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--devices", type=int, default=200)
    parser.add_argument(
        "--rates", default="25,50,75,100,125,150,200", help="packets/s per device, comma list"
    )
    parser.add_argument("--processes", default="1,0",
                        help="receiving processes (0: inside the server), comma list")  # fmt: skip
    parser.add_argument("--duration", type=float, default=10.0)
    args = parser.parse_args()
    results: dict[str, Any] = {"codec": codec(args.quick), "end_to_end": []}
    rates = [float(r) for r in args.rates.split(",")]
    counts = [int(p) for p in args.processes.split(",")]
    for rate in rates:
        for processes in counts:
            report = end_to_end(args.devices, rate, 3.0 if args.quick else args.duration, processes)
            results["end_to_end"].append(report)
            lat = report["latency_ms"]
            print(f"{args.devices} devices × {rate:g}/s, {processes} receiving process(es): "
                  f"acknowledged {report['rate']:,.0f} packets/s, failed {report['failed']}, "
                  f"p50 {lat['p50']} ms, p95 {lat['p95']} ms, p99 {lat['p99']} ms; "
                  f"stored {report['observations_stored']:,} observations")  # fmt: skip
    best = max(
        (r for r in results["end_to_end"]
         if r["failed"] == 0 and (r["latency_ms"]["p99"] or 1e9) < 200),
        key=lambda r: r["rate"],
        default=None,
    )  # fmt: skip
    results["summary"] = {
        "best_rate_with_p99_under_200ms": best["rate"] if best else None,
        "best_processes": best["processes"] if best else None,
        "goal_packets_per_second": 20_000,
        "goal_met": bool(best and best["rate"] >= 20_000),
        "date": time.strftime("%Y-%m-%d"),
        "cpus": os.cpu_count(),
    }
    print(json.dumps(results["summary"], indent=1))
    RESULTS.parent.mkdir(exist_ok=True)
    RESULTS.write_text(json.dumps(results, indent=1, default=str))


if __name__ == "__main__":
    main()

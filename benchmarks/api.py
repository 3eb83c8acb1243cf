"""Benchmark: the open APIs under load, each beside the bare store query for the same data.

Data: the three real days of the national hourly release (``../shared/data/air/national_hourly``,
after the station lists) and the 12 UCI Beijing Multi-Site stations (hourly 2013-03..2017-02,
CC BY 4.0) imported into a fresh embedded data directory. ``ecodata serve`` then runs on a free
127.0.0.1 port as its own process (a generated secret key, no demo mode, anonymous rate limit
lifted), and a load generator in a second process — asyncio, keep-alive HTTP/1.1 connections —
drives it. Like HTTP client libraries and browsers, it sends ``Accept-Encoding: gzip`` and decodes
what comes back. Scenarios, anonymous, full responses (no ``If-None-Match``):

* ``latest``: ``GET /api/v1/parameters/pm2_5/latest`` — the newest PM2.5 of every national
  station in one response; bare query: ``observations.latest`` of the same series (and the whole
  uncached core, ``store.aggregates.parameter_latest``: registry, store and join);
* ``latest_identity``: the same for a client that refuses compression (379 KB a response);
* ``sta_year``: one station-year (Beijing Dongsi PM2.5, hourly, 2016) as SensorThings
  Observations, ``$top=1000`` pages followed by ``@iot.nextLink``; each client walks the year
  again and again; bare query: the store's keyset series query (``observations.read``) for one
  page and for the whole year;
* ``ckan_search``: ``GET /api/3/action/package_search?q=空气&rows=10``; bare query: the catalog
  search the action calls (readable datasets, ``doc_of``, ``search``);
* ``floor``: ``GET /api/3/action/status_show`` (no store query, a small constant answer): what
  the server itself — routing, middleware, JSON, HTTP — allows at the same concurrency.

Each scenario runs with one client (the API's time per request beside the bare query: the
overhead ratio) and with 50 concurrent closed-loop clients (p50/p95/p99 latency, requests per
second, errors) for a fixed time after a warm-up. The bare queries are timed in this process on
the same data directory before the server starts (DuckDB admits one process at a time). Goals:
``latest`` p95 < 50 ms under load; overhead ratio ≤ 3× for paged observations.

Run: ``nice -n -5 .venv/bin/python benchmarks/api.py [--shared ../shared/data] [--clients 50]
[--seconds 15] [--warmup 3]`` (about two and a half minutes; prints a table and writes
``benchmarks/results/api.json``).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import re
import secrets
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
import zlib
from collections.abc import Callable, Iterator
from concurrent.futures import ProcessPoolExecutor
from contextlib import contextmanager
from datetime import datetime, timedelta, timezone
from multiprocessing import get_context
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlsplit

import numpy as np

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
RESULTS = HERE / "results"
CST = timezone(timedelta(hours=8))
YEAR = (datetime(2016, 1, 1, tzinfo=CST), datetime(2017, 1, 1, tzinfo=CST))
PAGE = 1000
GOAL_LATEST_P95_MS = 50.0
GOAL_PAGE_RATIO = 3.0
LATEST = "/api/v1/parameters/pm2_5/latest"
CKAN = "/api/3/action/package_search?q=" + quote("空气") + "&rows=10"
FLOOR = "/api/3/action/status_show"  # no store, a small constant JSON: the server's own floor
NEXT_LINK = re.compile(rb'"@iot\.nextLink"\s*:\s*"([^"]+)"')


def sta_year(datastream: int) -> str:
    window = f"phenomenonTime ge {YEAR[0].isoformat()} and phenomenonTime lt {YEAR[1].isoformat()}"
    return (
        f"/sta/v1.1/Datastreams({datastream})/Observations?$filter={quote(window, safe='')}"
        f"&$orderby=phenomenonTime&$top={PAGE}"
    )


# -- data and bare queries (this process) ------------------------------------------------------


def load(data_dir: Path, shared: Path) -> dict[str, Any]:
    from ecodata.bootstrap import initialise
    from ecodata.ingest.importing import run_import
    from ecodata.ingest.kinds import KINDS
    from ecodata.settings import load_settings
    from ecodata.store.stores import open_stores

    air = shared / "air"
    files = {
        "stations": [air / "national_stations_2020.csv", air / "national_stations_2024.csv"],
        "national-hourly": sorted((air / "national_hourly").glob("china_sites_*.csv")),
        "beijing-multisite": sorted((air / "beijing_multisite").glob("PRSA_Data_*.csv")),
    }
    if len(files["national-hourly"]) != 3 or len(files["beijing-multisite"]) != 12:
        sys.exit(f"the national hourly and Beijing files were not found under {air}")
    started = time.perf_counter()
    with open_stores(load_settings(data_dir=data_dir)) as stores:
        initialise(stores)
        for kind, paths in files.items():
            run_import(stores, kind, KINDS[kind].importer, paths)
        count = stores.observations.count()
    seconds = time.perf_counter() - started
    print(f"loaded {count:,} observations in {seconds:.0f} s", file=sys.stderr)
    return {"observations": count, "load_seconds": round(seconds, 1)}


def repeat_ms(fn: Callable[[], Any], n: int) -> tuple[list[float], Any]:
    """Wall times in ms of ``n`` calls after one warm-up call, and the last result."""
    result = fn()
    times = []
    for _ in range(n):
        start = time.perf_counter()
        result = fn()
        times.append((time.perf_counter() - start) * 1000)
    return times, result


def bare_queries(data_dir: Path) -> dict[str, Any]:
    """The store and catalog calls behind each endpoint, for the anonymous caller."""
    from ecodata.catalog import datasets as catalog
    from ecodata.catalog.search import doc_of, search
    from ecodata.model import Period
    from ecodata.security.access import restriction_for
    from ecodata.security.principal import anonymous
    from ecodata.settings import load_settings
    from ecodata.store import aggregates as agg
    from ecodata.store.observations import ObservationQuery
    from ecodata.store.stores import open_stores

    with open_stores(load_settings(data_dir=data_dir)) as stores:
        engine, store = stores.registry.engine, stores.observations
        who = anonymous("127.0.0.1")
        restriction = restriction_for(engine, who)
        pm25 = [
            s["id"]
            for s in stores.registry.find_series(
                parameters=["pm2_5"], datasets=restriction.dataset_ids
            )
            if s["parameter"] == "pm2_5"
        ]
        latest_ms, latest = repeat_ms(lambda: store.latest(pm25), 30)
        core_ms, page = repeat_ms(
            lambda: agg.parameter_latest(engine, store, restriction, "pm2_5"), 15
        )

        dongsi = next(
            s["id"]
            for s in stores.registry.find_series(
                sites=["1003A"], parameters=["pm2_5"], period=Period.HOUR
            )
            if s["parameter"] == "pm2_5"
        )

        def year() -> list[float]:
            pages, after = [], None
            while True:
                start = time.perf_counter()
                rows = store.read(
                    ObservationQuery(
                        series_ids=[dongsi], start=YEAR[0], end=YEAR[1], after=after, limit=PAGE
                    )
                )
                pages.append((time.perf_counter() - start) * 1000)
                if rows.num_rows < PAGE:
                    return pages
                after = (dongsi, rows.column("time")[-1].as_py())

        walks = [year() for _ in range(8)][1:]
        year_rows = store.read(
            ObservationQuery(series_ids=[dongsi], start=YEAR[0], end=YEAR[1])
        ).num_rows

        def catalog_search() -> Any:
            allowed = restriction_for(engine, who)
            rows = catalog.datasets(engine, allowed)
            docs = [doc_of(r) for r in rows if r["classification"] != "restricted"]
            return search(docs, q="空气", rows=10)

        search_ms, found = repeat_ms(catalog_search, 50)
    return {
        "latest": {
            "series": len(pm25),
            "rows": latest.num_rows,
            "store_latest_ms": summary(latest_ms),
            "core_uncached_ms": summary(core_ms),
            "found": page.found,
        },
        "sta_year": {
            "datastream": dongsi,
            "rows": year_rows,
            "pages": len(walks[0]),
            "page_ms": summary([ms for walk in walks for ms in walk]),
            "year_ms": summary([sum(walk) for walk in walks]),
        },
        "ckan_search": {"count": found.count, "search_ms": summary(search_ms)},
    }


def summary(samples: list[float]) -> dict[str, Any]:
    """Count, median, 95th and 99th percentile and mean in ms (``None`` without samples)."""
    if not samples:
        return {"n": 0, "p50": None, "p95": None, "p99": None, "mean": None}
    p50, p95, p99 = np.percentile(np.asarray(samples), [50, 95, 99])
    return {"n": len(samples), "p50": round(float(p50), 2), "p95": round(float(p95), 2),
            "p99": round(float(p99), 2), "mean": round(statistics.fmean(samples), 2)}  # fmt: skip


# -- the server (its own process) -----------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def serving(data_dir: Path) -> Iterator[str]:
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("ECODATA_")}
    env |= {
        "ECODATA_DATA_DIR": str(data_dir),
        "ECODATA_SECURITY__SECRET_KEY": secrets.token_urlsafe(32),
        "ECODATA_SECURITY__ANONYMOUS_RATE": "100000000",
        "ECODATA_LOG_LEVEL": "WARNING",
    }
    command = [sys.executable, "-m", "ecodata", "serve", "--host", "127.0.0.1", "--port", str(port)]
    server = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            if server.poll() is not None:
                sys.exit(f"`ecodata serve` exited with {server.returncode}")
            try:
                with urllib.request.urlopen(f"{base}/api/v1/parameters", timeout=5) as r:
                    if r.status == 200:
                        break
            except OSError:
                if time.monotonic() > deadline:
                    sys.exit("`ecodata serve` did not answer within 60 s")
                time.sleep(0.2)
        yield base
    finally:
        server.terminate()
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()


# -- the load generator (a second process) --------------------------------------------------------


class Connection:
    """One keep-alive HTTP/1.1 connection: GET a target, read the whole body. With ``gzip`` it
    accepts the gzip coding, as HTTP client libraries and browsers do; like wrk or hey it does
    not spend its CPU decoding every body: the first one of a connection is decoded, checked as
    JSON and returned decoded, the others are returned as received."""

    def __init__(self, host: str, port: int, *, gzip: bool = True) -> None:
        self.host, self.port = host, port
        self.encoding = "gzip" if gzip else "identity"
        self.checked = False
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    async def get(self, target: str) -> tuple[int, bytes]:
        if self.writer is None:
            self.reader, self.writer = await asyncio.open_connection(self.host, self.port)
        assert self.reader is not None
        self.writer.write(
            f"GET {target} HTTP/1.1\r\nHost: {self.host}:{self.port}\r\n"
            f"Accept: application/json\r\nAccept-Encoding: {self.encoding}\r\n\r\n".encode()
        )
        head = await self.reader.readuntil(b"\r\n\r\n")
        lines = head.decode("latin-1").split("\r\n")
        status = int(lines[0].split(" ", 2)[1])
        headers = {}
        for line in lines[1:]:
            name, _, value = line.partition(":")
            headers[name.strip().lower()] = value.strip()
        if "content-length" in headers:
            body = await self.reader.readexactly(int(headers["content-length"]))
        else:  # chunked
            parts = []
            while size := int((await self.reader.readline()).split(b";")[0], 16):
                parts.append(await self.reader.readexactly(size + 2))
            await self.reader.readline()
            body = b"".join(p[:-2] for p in parts)
        if headers.get("connection", "").lower() == "close":
            await self.close()
        if headers.get("content-encoding") == "gzip" and not self.checked:
            body = zlib.decompress(body, wbits=31)
            json.loads(body)
            self.checked = True
        return status, body

    async def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
            self.writer = None


async def _run(
    base: str, scenario: str, target: str, clients: int, warmup: float, seconds: float
) -> dict[str, Any]:
    host, port = urlsplit(base).hostname or "127.0.0.1", urlsplit(base).port or 80
    prefix = base.encode()
    started = time.perf_counter()
    window = (started + warmup, started + warmup + seconds)
    samples: list[float] = []  # per request, ms: started and finished inside the window
    walks: list[float] = []  # per whole year (sta_year), ms
    errors: list[str] = []
    rows_seen: list[int] = []

    async def client() -> None:
        http = Connection(host, port, gzip=scenario != "latest_identity")
        try:
            while time.perf_counter() < window[1]:
                walk_start = time.perf_counter()
                next_target: str | None = target
                complete = True
                while next_target is not None and time.perf_counter() < window[1]:
                    t0 = time.perf_counter()
                    try:
                        status, body = await http.get(next_target)
                    except (OSError, asyncio.IncompleteReadError, ValueError) as exc:
                        errors.append(repr(exc))
                        await http.close()
                        complete = False
                        break
                    t1 = time.perf_counter()
                    if status != 200:
                        errors.append(f"HTTP {status}: {body[:200]!r}")
                        complete = False
                        break
                    if window[0] <= t0 and t1 <= window[1]:
                        samples.append((t1 - t0) * 1000)
                    next_target = None
                    if scenario == "sta_year":
                        found = NEXT_LINK.search(body)
                        if found:
                            next_target = found.group(1).removeprefix(prefix).decode()
                        if clients == 1:  # the single-client run checks the walk's rows
                            rows_seen.append(len(json.loads(body)["value"]))
                if scenario == "sta_year" and complete and next_target is None:
                    walk_end = time.perf_counter()
                    if window[0] <= walk_start and walk_end <= window[1]:
                        walks.append((walk_end - walk_start) * 1000)
        finally:
            await http.close()

    await asyncio.gather(*(client() for _ in range(clients)))
    out: dict[str, Any] = {
        "clients": clients,
        "seconds": seconds,
        "requests": len(samples),
        "requests_per_s": round(len(samples) / seconds, 1),
        "latency_ms": summary(samples),
        "errors": len(errors),
        "error_examples": errors[:3],
        "load_average": [round(v, 2) for v in os.getloadavg()],
    }
    if scenario == "sta_year":
        out["year_ms"] = summary(walks)
        out["years"] = len(walks)
        if rows_seen:
            out["rows_per_walk_checked"] = _rows_per_walk(rows_seen)
    return out


def _rows_per_walk(pages: list[int]) -> int:
    """Rows of the first complete walk (pages until one shorter than a full page)."""
    total = 0
    for n in pages:
        total += n
        if n < PAGE:
            return total
    return total


def drive(
    base: str, scenario: str, target: str, clients: int, warmup: float, seconds: float
) -> dict[str, Any]:
    """Run one scenario from this (load-generator) process; also its own CPU time, to show
    that the generator is not what limits the server."""
    cpu = time.process_time()
    result = asyncio.run(_run(base, scenario, target, clients, warmup, seconds))
    result["generator_cpu_s"] = round(time.process_time() - cpu, 2)
    return result


def fetch_json(base: str, target: str) -> Any:
    with urllib.request.urlopen(base + target, timeout=120) as response:
        return json.loads(response.read())


# -- driver ---------------------------------------------------------------------------------------


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--shared", default=str(REPO.parent / "shared" / "data"))
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--seconds", type=float, default=15.0)
    parser.add_argument("--warmup", type=float, default=3.0)
    parser.add_argument("--single-seconds", type=float, default=4.0)
    args = parser.parse_args()
    load_before = [round(v, 2) for v in os.getloadavg()]

    with tempfile.TemporaryDirectory(prefix="ecodata-api-bench-") as tmp:
        data_dir = Path(tmp) / "data"
        loaded = load(data_dir, Path(args.shared))
        bare = bare_queries(data_dir)
        print("bare queries timed", file=sys.stderr)
        targets = {
            "latest": LATEST,
            "latest_identity": LATEST,
            "sta_year": sta_year(bare["sta_year"]["datastream"]),
            "ckan_search": CKAN,
            "floor": FLOOR,
        }
        api: dict[str, Any] = {}
        with (
            serving(data_dir) as base,
            ProcessPoolExecutor(1, mp_context=get_context("spawn")) as generator,
        ):
            first: dict[str, float] = {}
            for name, target in targets.items():  # the first request of each (cache miss)
                start = time.perf_counter()
                body = fetch_json(base, target)
                first[name] = round((time.perf_counter() - start) * 1000, 1)
                if name == "latest":
                    assert body["meta"]["found"] == bare["latest"]["found"], body["meta"]
                if name == "ckan_search":
                    assert body["result"]["count"] == bare["ckan_search"]["count"]
            for name, target in targets.items():
                single = generator.submit(
                    drive, base, name, target, 1, 1.0, args.single_seconds
                ).result()
                loaded_run = generator.submit(
                    drive, base, name, target, args.clients, args.warmup, args.seconds
                ).result()
                api[name] = {"first_request_ms": first[name], "single": single, "load": loaded_run}
                print(f"{name}: done", file=sys.stderr)
    report = build_report(args, loaded, bare, api, load_before)
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "api.json").write_text(json.dumps(report, indent=1, ensure_ascii=False) + "\n")
    print_table(report)


def build_report(
    args: argparse.Namespace,
    loaded: dict[str, Any],
    bare: dict[str, Any],
    api: dict[str, Any],
    load_before: list[float],
) -> dict[str, Any]:
    def ratio(a: float | None, b: float | None) -> float | None:
        return round(a / b, 2) if a is not None and b else None

    latest, sta, ckan = api["latest"], api["sta_year"], api["ckan_search"]
    bare_latest = bare["latest"]["store_latest_ms"]["p50"]
    bare_page = bare["sta_year"]["page_ms"]["p50"]
    bare_year = bare["sta_year"]["year_ms"]["p50"]
    bare_search = bare["ckan_search"]["search_ms"]["p50"]
    if sta["single"].get("rows_per_walk_checked") not in (None, bare["sta_year"]["rows"]):
        raise SystemExit(
            f"the API walk returned {sta['single']['rows_per_walk_checked']} rows, "
            f"the store {bare['sta_year']['rows']}"
        )

    def compared(api_p50: float, bare_p50: float) -> dict[str, Any]:
        return {
            "api_single_p50_ms": api_p50,
            "bare_p50_ms": bare_p50,
            "ratio": ratio(api_p50, bare_p50),
        }

    overhead = {
        "latest": compared(latest["single"]["latency_ms"]["p50"], bare_latest),
        "sta_page": compared(sta["single"]["latency_ms"]["p50"], bare_page),
        "sta_year": compared(sta["single"]["year_ms"]["p50"], bare_year),
        "ckan_search": compared(ckan["single"]["latency_ms"]["p50"], bare_search),
    }
    for name, key in (
        ("latest", "latest"),
        ("sta_page", "sta_year"),
        ("ckan_search", "ckan_search"),
    ):
        rate = api[key]["load"]["requests_per_s"]
        per_request = 1000.0 / rate if rate else None
        overhead[name]["server_ms_per_request_under_load"] = (
            round(per_request, 2) if per_request else None
        )
        overhead[name]["ratio_under_load"] = ratio(per_request, overhead[name]["bare_p50_ms"])
    errors = sum(api[k][m]["errors"] for k in api for m in ("single", "load"))
    goals = {
        "latest_p95_under_load_ms": {
            "goal": f"< {GOAL_LATEST_P95_MS:g}",
            "measured": latest["load"]["latency_ms"]["p95"],
            "met": latest["load"]["latency_ms"]["p95"] < GOAL_LATEST_P95_MS,
        },
        "paged_observations_overhead_ratio": {
            "goal": f"<= {GOAL_PAGE_RATIO:g}",
            "measured": overhead["sta_page"]["ratio"],
            "met": overhead["sta_page"]["ratio"] <= GOAL_PAGE_RATIO,
        },
        "errors": {"goal": "0", "measured": errors, "met": errors == 0},
    }
    return {
        "benchmark": "api",
        "when": datetime.now(CST).isoformat(timespec="seconds"),
        "machine": {
            "python": platform.python_version(),
            "cpu": platform.processor() or platform.machine(),
            "cpus": os.cpu_count(),
            "load_average_before": load_before,
            "load_average_after": [round(v, 2) for v in os.getloadavg()],
            "nice": os.nice(0),
        },
        "data": loaded,
        "settings": {
            "clients": args.clients,
            "seconds": args.seconds,
            "warmup": args.warmup,
            "single_client_seconds": args.single_seconds,
        },
        "bare": bare,
        "api": api,
        "overhead": overhead,
        "goals": goals,
    }


TABLE_HEAD = ("clients", "p50 ms", "p95 ms", "p99 ms", "req/s", "errors")
OVERHEAD_HEAD = ("API p50", "bare p50", "ratio", "1/rate", "ratio")


def _cell(value: Any, width: int) -> str:
    return f"{value:>{width}.1f}" if isinstance(value, float) else f"{value!s:>{width}}"


def print_table(report: dict[str, Any]) -> None:
    api, over = report["api"], report["overhead"]
    print(f"\n{'scenario':<16}" + "".join(f"{h:>9}" for h in TABLE_HEAD))
    for name in api:
        for mode in ("single", "load"):
            run = api[name][mode]
            lat = run["latency_ms"]
            cells = [run["clients"], lat["p50"], lat["p95"], lat["p99"], run["requests_per_s"],
                     run["errors"]]  # fmt: skip
            print(f"{name:<16}" + "".join(_cell(c, 9) for c in cells))
            if name == "sta_year":
                year = run["year_ms"]
                cells = [run["clients"], year["p50"], year["p95"], year["p99"], "", ""]
                print(f"{'  whole year':<16}" + "".join(_cell(c, 9) for c in cells))
    print(f"\n{'overhead':<16}" + "".join(f"{h:>10}" for h in OVERHEAD_HEAD))
    for name, row in over.items():
        cells = [row["api_single_p50_ms"], row["bare_p50_ms"], row["ratio"],
                 row.get("server_ms_per_request_under_load"), row.get("ratio_under_load")]  # fmt: skip
        print(f"{name:<16}" + "".join(_cell(c, 10) for c in cells))
    print()
    for name, goal in report["goals"].items():
        verdict = "met" if goal["met"] else "NOT met"
        print(f"goal {name}: {goal['goal']}; measured {goal['measured']}: {verdict}")
    machine = report["machine"]
    print(f"load average before {machine['load_average_before']}, after "
          f"{machine['load_average_after']}")  # fmt: skip


if __name__ == "__main__":
    main()

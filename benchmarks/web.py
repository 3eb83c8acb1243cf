"""Benchmark: the web UI in headless Chromium on the demo data.

Measured in the browser, each beside the time the same data take to fetch from the API alone (in
the same page, same run):

- ``overview``: navigation start → the map has drawn every national station (the page's
  ``overview:map-drawn`` mark, set when ECharts reports ``finished``); baselines: fetching the
  page's station JSON (``/ui/overview.json``), and the native API's equivalent (``/api/v1/sites``
  plus the published AQI of the data hour from ``/api/v1/observations``);
- ``station_year``: navigation start → the chart of a year of hourly PM2.5 (Beijing Dongsi, 2016)
  has drawn (``station:chart-drawn``), and the chart's own part (data fetched → drawn);
  baselines: fetching the chart's JSON, and the same year from ``/api/v1/observations``.

The goal is under 1.5 s for each page. Runs are repeated; the median is reported (the first,
cold run is reported apart). Usage::

    python benchmarks/web.py [--shared ../shared/data] [--data-dir DIR] [--runs 5]
                             [--screenshots docs/images]

Without ``--data-dir`` the demo data are loaded into a temporary folder first. Prints a table
and writes ``benchmarks/results/web.json``; with ``--screenshots`` it also saves the user guide's
screenshots of every page.
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import statistics
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
RESULTS = HERE / "results"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]  # fmt: skip
STATION = "1003A"
YEAR = ("2016-01-01", "2017-01-01")
GOAL_MS = 1500.0
PASSWORD = "benchmark-password-1"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def serving(data_dir: Path, shared: Path) -> Iterator[tuple[str, Any]]:
    import uvicorn

    from ecodata.api.app import create_app
    from ecodata.settings import load_settings
    from ecodata.store.stores import open_stores

    settings = load_settings(
        data_dir=data_dir,
        demo=True,
        security={"anonymous_rate": 1_000_000},
        web={"regions_dir": str(shared / "regions")},
    )
    stores = open_stores(settings)
    port = free_port()
    server = uvicorn.Server(
        uvicorn.Config(
            create_app(settings, stores), host="127.0.0.1", port=port, log_level="warning"
        )
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    while not server.started:
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}", stores
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        stores.close()


def load_demo_data(shared: Path, data_dir: Path) -> None:
    from ecodata.demo import load_demo
    from ecodata.settings import load_settings

    started = time.monotonic()
    load_demo(load_settings(data_dir=data_dir, demo=True), shared, echo=lambda _m: None)
    print(f"demo data loaded in {time.monotonic() - started:.0f} s", file=sys.stderr)


def add_steward(stores: Any) -> None:
    from ecodata.errors import ConflictError
    from ecodata.security import accounts
    from ecodata.security.principal import operator
    from ecodata.security.roles import Role

    with suppress(ConflictError):  # the data directory may have it from an earlier run
        accounts.add_user(
            stores.registry.engine, operator(), "bench-steward", Role.STEWARD, PASSWORD
        )


FETCH = """async (urls) => {
  const started = performance.now();
  let rows = 0;
  for (const url of urls) {
    const response = await fetch(url, {cache: "no-store"});
    const body = await response.json();
    rows += (body.stations || body.results || body.times || []).length;
  }
  return {ms: performance.now() - started, rows};
}"""


def mark(page: Any, name: str) -> float:
    value = page.evaluate(f"performance.getEntriesByName('{name}')[0]?.startTime ?? null")
    if value is None:
        raise RuntimeError(f"the page set no performance mark {name!r}")
    return float(value)


def measure_overview(page: Any, base: str) -> dict[str, Any]:
    page.goto(f"{base}/", wait_until="domcontentloaded")
    page.wait_for_selector("body[data-map-ready=true]", timeout=60_000)
    drawn = mark(page, "overview:map-drawn")
    points = page.evaluate("window.ecodataOverview.pointCount()")
    data = json.loads(page.inner_text("#page-data"))
    hour = datetime.fromisoformat(data["time"])
    json_fetch = page.evaluate(FETCH, [f"{base}/ui/overview.json"])
    native = page.evaluate(
        FETCH,
        [
            f"{base}/api/v1/sites?kind=air",
            f"{base}/api/v1/observations?parameter=aqi&period=hour&limit=10000"
            f"&start={hour.isoformat().replace('+', '%2B')}"
            f"&end={(hour + timedelta(hours=1)).isoformat().replace('+', '%2B')}",
        ],
    )
    return {"drawn_ms": drawn, "points": points, "json_ms": json_fetch["ms"],
            "native_ms": native["ms"], "native_rows": native["rows"]}  # fmt: skip


def measure_station(page: Any, base: str) -> dict[str, Any]:
    query = f"parameter=pm2_5&period=hour&start={YEAR[0]}&end={YEAR[1]}"
    page.goto(f"{base}/stations/{STATION}?{query}", wait_until="domcontentloaded")
    page.wait_for_selector("#series-chart[data-ready=true]", timeout=60_000)
    drawn = mark(page, "station:chart-drawn")
    fetched = mark(page, "station:series-fetched")
    started = mark(page, "station:series-start")
    points = int(page.get_attribute("#series-chart", "data-points") or 0)
    json_fetch = page.evaluate(FETCH, [f"{base}/ui/stations/{STATION}/series.json?{query}"])
    native = page.evaluate(
        FETCH,
        [f"{base}/api/v1/observations?site={STATION}&parameter=pm2_5&period=hour&limit=10000"
         f"&start={YEAR[0]}&end={YEAR[1]}"],
    )  # fmt: skip
    return {"drawn_ms": drawn, "chart_ms": drawn - fetched, "series_ms": drawn - started,
            "points": points, "json_ms": json_fetch["ms"], "native_ms": native["ms"],
            "native_rows": native["rows"]}  # fmt: skip


def repeat(
    browser: Any, base: str, runs: int, measure: Callable[[Any, str], dict[str, Any]]
) -> dict[str, Any]:
    """``runs`` first visits (a new browser profile each: nothing cached) and ``runs`` repeat
    visits (one profile: scripts, styles and boundaries come from the browser cache), after one
    visit that warms the server."""
    warmup = browser.new_context(viewport={"width": 1366, "height": 900}, locale="zh-CN")
    cold = measure(warmup.new_page(), base)
    warmup.close()
    first = []
    for _ in range(runs):
        context = browser.new_context(viewport={"width": 1366, "height": 900}, locale="zh-CN")
        first.append(measure(context.new_page(), base))
        context.close()
    context = browser.new_context(viewport={"width": 1366, "height": 900}, locale="zh-CN")
    page = context.new_page()
    measure(page, base)
    again = [measure(page, base) for _ in range(runs)]
    context.close()

    def median(samples: list[dict[str, Any]]) -> dict[str, float]:
        return {k: statistics.median(s[k] for s in samples) for k in samples[0]}

    return {
        "server_cold": cold,
        "first_visit": median(first),
        "repeat_visit": median(again),
        "first_visit_runs": first,
        "repeat_visit_runs": again,
    }


def shrink(path: Path) -> None:
    """Store a screenshot with a 256-colour palette: a third of the size, the same to the eye."""
    from PIL import Image

    with Image.open(path) as image:
        small = image.convert("RGB").quantize(colors=256, method=Image.Quantize.MEDIANCUT)
    small.save(path, optimize=True)


def screenshots(browser: Any, base: str, folder: Path) -> list[str]:
    """The user guide's pictures: one per page, viewport-sized, from the demo data."""
    folder.mkdir(parents=True, exist_ok=True)
    saved: list[str] = []
    desktop = browser.new_context(viewport={"width": 1280, "height": 800}, locale="zh-CN")
    page = desktop.new_page()

    def shot(name: str, full: bool = False) -> None:
        path = folder / f"{name}.png"
        page.evaluate("document.fonts.ready.then(() => true)")  # no text drawn before its font
        page.wait_for_timeout(200)
        page.screenshot(path=str(path), full_page=full)
        shrink(path)
        saved.append(str(path.relative_to(REPO)) if path.is_relative_to(REPO) else str(path))

    page.goto(f"{base}/", wait_until="networkidle")
    page.wait_for_selector("body[data-map-ready=true]")
    shot("overview")
    page.evaluate("window.ecodataOverview.showProvince('130000', '河北省')")
    page.wait_for_timeout(800)
    shot("overview-province")
    page.goto(f"{base}/stations/{STATION}?parameter=pm2_5&period=day&start=2015-01-01&end=2017-01-01",
              wait_until="networkidle")  # fmt: skip
    page.wait_for_selector("#series-chart[data-ready=true]")
    page.wait_for_timeout(500)
    shot("station")
    page.locator("#calendar-title").scroll_into_view_if_needed()
    page.wait_for_timeout(300)
    shot("station-calendar-rose")
    page.locator("#quality-title").scroll_into_view_if_needed()
    page.wait_for_selector("table.quality")
    shot("station-quality")
    page.goto(f"{base}/catalog?q=空气质量", wait_until="networkidle")
    shot("catalog")
    page.goto(f"{base}/catalog/air-quality-published", wait_until="networkidle")
    shot("dataset")
    page.goto(f"{base}/login?next=/ops/alerts", wait_until="networkidle")
    page.fill("input[name=username]", "bench-steward")
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_load_state("networkidle")
    shot("ops-alerts")
    for name in ("imports", "quarantine", "devices"):
        page.goto(f"{base}/ops/{name}", wait_until="networkidle")
        shot(f"ops-{name}")
    page.goto(f"{base}/?lang=en", wait_until="networkidle")
    page.wait_for_selector("body[data-map-ready=true]")
    shot("overview-en")
    page.goto(f"{base}/?lang=zh-CN", wait_until="networkidle")
    desktop.close()
    phone = browser.new_context(viewport={"width": 390, "height": 844}, locale="zh-CN",
                                is_mobile=True, has_touch=True)  # fmt: skip
    page = phone.new_page()
    page.goto(f"{base}/stations/{STATION}", wait_until="networkidle")
    page.wait_for_selector("#series-chart[data-ready=true]")
    shot("phone-station")
    phone.close()
    return saved


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--shared", type=Path, default=REPO.parent / "shared" / "data")
    parser.add_argument("--data-dir", type=Path, help="an existing demo data directory")
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--screenshots", type=Path, help="save the user guide's screenshots here")
    args = parser.parse_args()

    from playwright.sync_api import sync_playwright

    with tempfile.TemporaryDirectory(prefix="ecodata-web-bench-") as tmp:
        data_dir = args.data_dir
        if data_dir is None:
            data_dir = Path(tmp) / "data"
            load_demo_data(args.shared, data_dir)
        with serving(data_dir, args.shared) as (base, stores), sync_playwright() as playwright:
            add_steward(stores)
            browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            overview = repeat(browser, base, args.runs, measure_overview)
            station = repeat(browser, base, args.runs, measure_station)
            saved = screenshots(browser, base, args.screenshots) if args.screenshots else []
            version = browser.version
            browser.close()

    load = os.getloadavg()[0]
    o, s = overview["first_visit"], station["first_visit"]
    ro, rs = overview["repeat_visit"], station["repeat_visit"]
    summary = {
        "overview_map_drawn_ms": {"first_visit": round(o["drawn_ms"]),
                                  "repeat_visit": round(ro["drawn_ms"])},
        "overview_points": o["points"],
        "overview_json_fetch_ms": round(o["json_ms"], 1),
        "overview_native_api_fetch_ms": round(o["native_ms"], 1),
        "station_year_chart_drawn_ms": {"first_visit": round(s["drawn_ms"]),
                                        "repeat_visit": round(rs["drawn_ms"])},
        "station_year_points": s["points"],
        "station_chart_after_fetch_ms": round(s["chart_ms"], 1),
        "station_json_fetch_ms": round(s["json_ms"], 1),
        "station_native_api_fetch_ms": round(s["native_ms"], 1),
        "load_average_1min": round(load, 2),
        "cpus": os.cpu_count(),
        "goals": {
            f"overview map < {GOAL_MS:.0f} ms": o["drawn_ms"] < GOAL_MS,
            f"station year chart < {GOAL_MS:.0f} ms": s["drawn_ms"] < GOAL_MS,
        },
    }  # fmt: skip
    print(f"{'median of ' + str(args.runs) + ' runs, ms':46} {'first':>7} {'repeat':>7}")
    rows = [
        ("overview: map drawn (from navigation)", o["drawn_ms"], ro["drawn_ms"]),
        ("  baseline: /ui/overview.json fetch", o["json_ms"], ro["json_ms"]),
        ("  baseline: native API sites + AQI fetch", o["native_ms"], ro["native_ms"]),
        ("station: year chart drawn (from navigation)", s["drawn_ms"], rs["drawn_ms"]),
        ("  chart drawn after its data arrived", s["chart_ms"], rs["chart_ms"]),
        ("  baseline: series JSON fetch", s["json_ms"], rs["json_ms"]),
        ("  baseline: native API observations fetch", s["native_ms"], rs["native_ms"]),
    ]
    for name, first, repeat_ in rows:
        print(f"{name:46} {first:7.0f} {repeat_:7.0f}")
    print(
        f"load average {load:.1f} on {os.cpu_count()} CPUs; goals: {json.dumps(summary['goals'])}"
    )
    RESULTS.mkdir(exist_ok=True)
    payload = {
        "benchmark": "web",
        "browser": f"Chromium {version} (headless)",
        "runs": args.runs,
        "summary": summary,
        "overview": overview,
        "station_year": station,
        "screenshots": saved,
    }
    (RESULTS / "web.json").write_text(json.dumps(payload, indent=1))


if __name__ == "__main__":
    main()

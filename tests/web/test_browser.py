"""The web UI in real headless Chromium: every page loads without a console error or a failed
request, the map draws one point per reporting station, a click on a station opens its page with
a chart, the catalog finds a dataset by a Chinese word, a download holds the rows shown, the
language switch works, and operations pages stay closed to visitors who are not signed in.
Screenshots of every page go to test-artifacts/screenshots/."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from tests.api.conftest import LiveServer
from tests.web.conftest import PASSWORD, Watch

from ecodata.overview import national_overview
from ecodata.store.stores import Stores

pytestmark = pytest.mark.browser

PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1366, "height": 900}


@pytest.fixture
def context(browser: Any) -> Iterator[Any]:
    made = browser.new_context(viewport=DESKTOP, locale="zh-CN", accept_downloads=True)
    made.set_default_timeout(20_000)
    try:
        yield made
    finally:
        made.close()


def open_page(context: Any, url: str) -> tuple[Any, Watch]:
    page = context.new_page()
    watch = Watch()
    watch.attach(page)
    page.goto(url, wait_until="networkidle")
    return page, watch


def shoot(page: Any, folder: Path, name: str) -> None:
    page.evaluate("document.fonts.ready.then(() => true)")
    page.screenshot(path=str(folder / f"{name}.png"), full_page=True)


def sign_in(context: Any, server: LiveServer, user: str, target: str) -> Any:
    page, watch = open_page(context, f"{server.url}{target}")
    assert "/login" in page.url
    page.fill("input[name=username]", user)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_load_state("networkidle")
    assert watch.problems == []
    return page


def test_overview_map_draws_one_point_per_reporting_station(
    context: Any, web_server: LiveServer, web_stores: Stores, screenshots: Path
) -> None:
    page, watch = open_page(context, f"{web_server.url}/")
    page.wait_for_selector("body[data-map-ready=true]")
    overview = national_overview(web_stores)
    drawn = page.evaluate("window.ecodataOverview.pointCount()")
    assert (
        drawn
        == overview.reporting
        == sum(1 for s in overview.stations if s.aqi is not None and s.longitude is not None)
    )
    assert page.evaluate("window.ecodataOverview.missingCount()") == sum(
        1 for s in overview.stations if s.aqi is None and s.longitude is not None
    )
    assert page.inner_text("#count-reporting") == str(overview.reporting)
    assert page.inner_text("#data-time") == "2019-01-03 23:00"
    assert page.locator("#ranking tbody tr").count() == len(overview.cities)
    assert page.evaluate("performance.getEntriesByName('overview:map-drawn').length") == 1
    shoot(page, screenshots, "overview")
    assert watch.problems == []


def test_drill_down_to_a_province_and_back(
    context: Any, web_server: LiveServer, web_stores: Stores, screenshots: Path
) -> None:
    page, watch = open_page(context, f"{web_server.url}/")
    page.wait_for_selector("body[data-map-ready=true]")
    page.evaluate("window.ecodataOverview.showProvince('130000', '河北省')")
    page.wait_for_function("window.ecodataOverview.scope().level === 'province'")
    hebei = [s for s in national_overview(web_stores).stations
             if s.province_code == "130000" and s.aqi is not None]  # fmt: skip
    assert page.evaluate("window.ecodataOverview.pointCount()") == len(hebei)
    visible = page.locator("#ranking tbody tr:not([hidden])")
    assert 0 < visible.count() < page.locator("#ranking tbody tr").count()
    assert page.locator("#crumbs").inner_text().find("河北省") >= 0
    shoot(page, screenshots, "overview-hebei")
    page.click("#crumbs [data-level=country]")
    page.wait_for_function("window.ecodataOverview.scope().level === 'country'")
    assert watch.problems == []


def test_clicking_a_station_opens_its_page_with_a_chart(
    context: Any, web_server: LiveServer, screenshots: Path
) -> None:
    page, watch = open_page(context, f"{web_server.url}/")
    page.wait_for_selector("body[data-map-ready=true]")
    page.evaluate(
        "window.ecodataOverview.chart.setOption({geo: {zoom: 12, center: [116.42, 39.93]}})"
    )
    page.wait_for_timeout(300)
    x, y = page.evaluate("window.ecodataOverview.pixelOf('1003A')")
    box = page.locator("#map").bounding_box()
    with page.expect_navigation():
        page.mouse.click(box["x"] + x, box["y"] + y)
    assert page.url.endswith("/stations/1003A")
    page.wait_for_selector("#series-chart[data-ready=true]")
    assert int(page.get_attribute("#series-chart", "data-points") or 0) > 0
    assert page.inner_text("#station-aqi") == "190"
    page.wait_for_selector("#calendar-chart canvas")
    page.wait_for_selector("#rose-chart canvas")
    page.wait_for_selector("table.quality")
    shoot(page, screenshots, "station")
    assert watch.problems == []


def test_a_year_of_hourly_data_and_the_csv_export(
    context: Any, web_server: LiveServer, screenshots: Path
) -> None:
    url = f"{web_server.url}/stations/1003A?parameter=pm2_5&period=hour&start=2016-01-01&end=2017-01-01"
    page, watch = open_page(context, url)
    page.wait_for_selector("#series-chart[data-ready=true]")
    points = int(page.get_attribute("#series-chart", "data-points") or 0)
    assert 8000 < points <= 366 * 24
    href = page.get_attribute("#series-csv", "href") or ""
    assert href.startswith("/api/v1/observations?")
    exported = page.request.get(f"{web_server.url}{href}")
    rows = list(csv.DictReader(io.StringIO(exported.text())))
    assert len(rows) == points and rows[0]["time"] == "2016-01-01T00:00:00+08:00"
    page.select_option("#series-period", "day")
    page.fill("#series-start", "2016-01-01")
    page.fill("#series-end", "2017-01-01")
    page.click("#series-form button[type=submit]")
    page.wait_for_function("document.querySelector('#series-chart').dataset.points < 400")
    shoot(page, screenshots, "station-daily")
    assert watch.problems == []


def test_catalog_search_by_a_chinese_word(
    context: Any, web_server: LiveServer, screenshots: Path
) -> None:
    page, watch = open_page(context, f"{web_server.url}/catalog")
    page.fill("#catalog-q", "空气质量")
    with page.expect_navigation():
        page.press("#catalog-q", "Enter")
    titles = page.locator(".result h2 a").all_inner_texts()
    assert "全国城市空气质量实时发布数据" in titles
    assert not any("水质" in t for t in titles)
    shoot(page, screenshots, "catalog-search")
    page.click("text=全国城市空气质量实时发布数据")
    page.wait_for_load_state("networkidle")
    assert page.url.endswith("/catalog/air-quality-published")
    shoot(page, screenshots, "dataset")
    assert watch.problems == []


def test_a_download_returns_the_rows_shown(context: Any, web_server: LiveServer) -> None:
    page, watch = open_page(context, f"{web_server.url}/catalog/air-quality-published")
    header = page.locator("#preview thead th").all_inner_texts()
    shown = [row.locator("td").all_inner_texts() for row in page.locator("#preview tbody tr").all()]
    assert header[:4] == ["site", "parameter", "period", "time"] and len(shown) == 20
    href = page.get_attribute("a[data-format=csv]", "href") or ""
    with page.expect_download() as got:
        page.click("a[data-format=csv]")
    text = Path(got.value.path()).read_text(encoding="utf-8")
    rows = list(csv.reader(io.StringIO(text)))
    assert rows[0] == header and rows[1 : len(shown) + 1] == shown
    assert re.search(r"start=2019-01-03T23%3A00", href)
    # every row of the download is in the period shown
    assert {r[3] for r in rows[1:]} == {"2019-01-03T23:00:00+08:00"}
    assert watch.problems == []


def test_language_switch(context: Any, web_server: LiveServer) -> None:
    page, watch = open_page(context, f"{web_server.url}/")
    assert page.get_attribute("html", "lang") == "zh-CN"
    assert page.inner_text("#map-title") == "全国空气质量"
    with page.expect_navigation():
        page.click("a.lang-switch")
    page.wait_for_load_state("networkidle")
    assert page.get_attribute("html", "lang") == "en"
    assert page.inner_text("#map-title") == "Air quality in China"
    page.goto(f"{web_server.url}/stations/1003A", wait_until="networkidle")
    assert page.get_attribute("html", "lang") == "en"  # remembered by the cookie
    assert "Dongsi" in page.inner_text("h1")
    page.wait_for_selector("#series-chart[data-ready=true]")
    assert "valid values" in page.inner_text("#series-note")
    assert watch.problems == []


def test_operations_pages_need_a_sign_in(
    context: Any, web_server: LiveServer, screenshots: Path
) -> None:
    for path in ("/ops/quarantine", "/ops/imports", "/ops/devices", "/ops/alerts"):
        page, watch = open_page(context, f"{web_server.url}{path}")
        assert "/login?next=" in page.url, path
        assert page.locator("input[name=password]").count() == 1
        assert page.locator("table").count() == 0  # nothing of the page behind it is shown
        assert watch.problems == []
        if path == "/ops/alerts":
            shoot(page, screenshots, "login")
        page.close()
    page = sign_in(context, web_server, "steward", "/ops/imports")
    assert page.url.endswith("/ops/imports")
    assert page.locator("table.data tbody tr").count() >= 4
    shoot(page, screenshots, "ops-imports")
    for path, name in (("/ops/quarantine", "ops-quarantine"), ("/ops/devices", "ops-devices"),
                       ("/ops/alerts", "ops-alerts")):  # fmt: skip
        other, watch = open_page(context, f"{web_server.url}{path}")
        assert other.url.endswith(path)
        shoot(other, screenshots, name)
        assert watch.problems == []
    alerts = context.new_page()
    alerts.goto(f"{web_server.url}/ops/alerts", wait_until="networkidle")
    assert int(alerts.inner_text("#alerts-count")) > 100


def test_pages_fit_a_phone_screen(browser: Any, web_server: LiveServer, screenshots: Path) -> None:
    phone = browser.new_context(viewport=PHONE, locale="zh-CN", is_mobile=True, has_touch=True)
    try:
        for path, name in (("/", "phone-overview"), ("/stations/1003A", "phone-station"),
                           ("/catalog", "phone-catalog")):  # fmt: skip
            page, watch = open_page(phone, f"{web_server.url}{path}")
            if path == "/":
                page.wait_for_selector("body[data-map-ready=true]")
            else:
                page.wait_for_timeout(500)
            overflow = page.evaluate(
                "document.documentElement.scrollWidth - document.documentElement.clientWidth"
            )
            assert overflow <= 0, f"{path} is {overflow}px wider than the screen"
            shoot(page, screenshots, name)
            assert watch.problems == []
    finally:
        phone.close()

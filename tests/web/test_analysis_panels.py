"""The analysis panels in real headless Chromium: the station page's trend, forecast and warning
and haze case base, and the current warnings on the overview, before and after a forecast model
is trained."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from tests.api.conftest import LiveServer
from tests.web.test_browser import context, open_page, shoot

from ecodata.analysis.station_forecast import model_path, train_city_model
from ecodata.store.stores import Stores

pytestmark = pytest.mark.browser
__all__ = ["context"]


def test_station_trend_haze_forecast_and_overview_warnings(
    context: Any, web_server: LiveServer, web_stores: Stores, screenshots: Path
) -> None:
    page, watch = open_page(context, f"{web_server.url}/stations/1003A")
    page.wait_for_selector("#trend-chart[data-ready=true]")
    assert "Theil–Sen" in page.inner_text("#trend-note")
    page.wait_for_selector("table.haze")
    assert int(page.inner_text("table.haze tbody tr:first-child td:nth-child(3)")) >= 24
    page.wait_for_function(
        "document.querySelector('#forecast-note').textContent.includes('预报模型')"
    )

    data_dir = web_stores.settings.data_dir
    model = train_city_model(
        web_stores, "1003A", data_dir=data_dir, target="aqi", kind="ridge",
        horizons=(1, 24, 48, 72, 96),
    )  # fmt: skip
    try:
        page.reload(wait_until="networkidle")
        page.wait_for_selector("#forecast-chart[data-ready=true]")
        assert page.inner_text("#forecast-warning .warning-level").endswith("预警")
        shoot(page, screenshots, "station-analysis")
        overview, overview_watch = open_page(context, f"{web_server.url}/")
        overview.wait_for_selector("#warnings-card:not([hidden]) table tbody tr")
        assert "1003A" in overview.inner_text("#warnings")
        assert overview_watch.problems == []
    finally:
        model_path(data_dir, model.city, "aqi").unlink()
    assert watch.problems == []

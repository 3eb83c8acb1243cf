"""The web UI: server-rendered pages (Jinja2) with Apache ECharts maps and charts, in Simplified
Chinese (default) and English.

Pages are adapters like the API handlers: each calls core read functions (:mod:`ecodata.overview`,
:mod:`ecodata.station_summary`, :mod:`ecodata.station_series`, :mod:`ecodata.pollution_rose`,
:mod:`ecodata.exceedances`, the catalog and the stores) and renders the result. Routes:

* ``/`` overview map and city ranking; ``/stations/{code}`` station page;
* ``/catalog`` and ``/catalog/{name}`` the open-data catalog;
* ``/ops/…`` operations pages (signed in): imports, quarantine, devices, alerts;
* ``/login``, ``/logout``; ``/ui/…`` JSON for the page scripts; ``/static/…`` scripts, styles and
  the vendor assets built from npm.

``router`` holds them all; the application includes it after the APIs.
"""

from __future__ import annotations

from fastapi import APIRouter

from ecodata.web import analysis_data, catalog_pages, files, operations, page_data, pages, signin

router = APIRouter()
for part in (pages, catalog_pages, operations, signin, page_data, analysis_data, files):
    router.include_router(part.router)

__all__ = ["router"]

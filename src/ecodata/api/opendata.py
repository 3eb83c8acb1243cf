"""Mounts the catalog, security and open-data interfaces on the application.

``/api/v1``: token, me, sharing requests, audit, datasets (+ downloads), locations and sensors
(aggregates); ``/api/3/action`` and ``/api/action`` (CKAN); ``/catalog.*`` and ``/dataset/*.*``
(DCAT-AP); and the rate limit of anonymous requests.
"""

from __future__ import annotations

from fastapi import FastAPI

from ecodata.api import account, aggregates, ckan, datasets, dcat
from ecodata.api.auth import install_rate_limit
from ecodata.settings import Settings


def mount(app: FastAPI, settings: Settings) -> None:
    for module in (account, datasets, aggregates, ckan, dcat):
        app.include_router(module.router)
    install_rate_limit(app, settings)

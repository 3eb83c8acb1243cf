"""DCAT-AP 3 exports of the catalog: ``/catalog.{ttl,jsonld,rdf}`` (Hydra-paged, ``page``) and
``/dataset/{name}.{ttl,jsonld,rdf}``, as ckanext-dcat serves them.

Conformance: DCAT-AP 3.0 mandatory and recommended properties of Catalogue, Dataset,
Distribution and Agent (checked with SHACL in the tests). Not supported: content negotiation on
``/``, the ``modified_since``, ``q`` and ``fq`` filters, DCAT-US ``/data.json``, other profiles.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import Response

from ecodata.api.auth import principal_of
from ecodata.catalog import datasets as catalog
from ecodata.catalog.dcat import catalog_graph, dataset_graph
from ecodata.security import accounts
from ecodata.security.access import restriction_for
from ecodata.security.principal import Principal
from ecodata.store.stores import Stores

router = APIRouter(tags=["dcat"])
Caller = Annotated[Principal, Depends(principal_of)]

#: extension → (rdflib format, media type)
FORMATS = {
    "ttl": ("turtle", "text/turtle"),
    "jsonld": ("json-ld", "application/ld+json"),
    "rdf": ("xml", "application/rdf+xml"),
}


def _stores(request: Request) -> Stores:
    stores: Stores = request.app.state.stores
    return stores


def _catalog_route(ext: str) -> None:
    kind, media = FORMATS[ext]

    @router.get(
        f"/catalog.{ext}",
        response_class=Response,
        responses={200: {"content": {media: {}}, "description": "DCAT-AP catalogue"}},
        name=f"catalog_{ext}",
    )
    def export_catalog(
        request: Request, caller: Caller, page: Annotated[int, Query(ge=1, le=10_000)] = 1
    ) -> Response:
        engine = _stores(request).registry.engine
        rows = catalog.datasets(engine, restriction_for(engine, caller))
        depts = {d["code"]: d for d in accounts.departments(engine)}
        base = str(request.base_url)
        graph = catalog_graph(base, rows, depts, page=page, page_url=f"{base}catalog.{ext}")
        return Response(graph.serialize(format=kind), media_type=media)

    export_catalog.__doc__ = f"The catalog as DCAT-AP ({media}), 100 datasets a page."


def _dataset_route(ext: str) -> None:
    kind, media = FORMATS[ext]

    @router.get(
        f"/dataset/{{name}}.{ext}",
        response_class=Response,
        responses={
            200: {"content": {media: {}}, "description": "DCAT-AP dataset"},
            404: {"description": "Unknown dataset"},
        },
        name=f"dataset_{ext}",
    )
    def export_dataset(request: Request, caller: Caller, name: str) -> Response:
        engine = _stores(request).registry.engine
        row = catalog.dataset(engine, name, restriction_for(engine, caller))
        dept = accounts.department(engine, row["department_code"])
        graph = dataset_graph(str(request.base_url), row, dept)
        return Response(graph.serialize(format=kind), media_type=media)

    export_dataset.__doc__ = f"One dataset as DCAT-AP ({media})."


for _ext in FORMATS:
    _catalog_route(_ext)
    _dataset_route(_ext)

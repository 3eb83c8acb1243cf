"""DCAT-AP exports parsed with rdflib and validated with pyshacl against DCAT-AP 3 shapes."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest
from pyshacl import validate
from rdflib import Graph, Literal, Namespace, URIRef
from rdflib.namespace import DCAT, DCTERMS, RDF, SH

from ecodata.catalog import datasets as catalog
from tests.api.opendata_server import OpenServer, open_server

__all__ = ["open_server"]

SHAPES = Path(__file__).resolve().parents[1] / "data" / "dcat_ap_shapes.ttl"
HYDRA = Namespace("http://www.w3.org/ns/hydra/core#")


def _check(graph: Graph) -> None:
    shapes = Graph().parse(SHAPES, format="turtle")
    conforms, report, text = validate(graph, shacl_graph=shapes, inference="none")
    severities = {str(s) for s in report.objects(None, SH.resultSeverity)}
    assert conforms and not severities, text  # no violation and no warning


# rdflib's JSON-LD parser warns about its own internal use of ConjunctiveGraph
@pytest.mark.filterwarnings("ignore:ConjunctiveGraph is deprecated:DeprecationWarning")
@pytest.mark.parametrize("ext, kind", [("ttl", "turtle"), ("jsonld", "json-ld"), ("rdf", "xml")])
def test_catalogue_validates(open_server: OpenServer, ext: str, kind: str) -> None:
    srv = open_server
    with httpx.Client(base_url=srv.url, timeout=60) as http:
        got = http.get(f"/catalog.{ext}")
    assert got.status_code == 200
    graph = Graph().parse(data=got.text, format=kind)
    _check(graph)
    visible = [
        r
        for r in catalog.datasets(srv.stores.registry.engine)
        if r["classification"] != "restricted"
    ]
    datasets = set(graph.subjects(RDF.type, DCAT.Dataset))
    assert len(datasets) == len(visible)
    beijing = URIRef(f"{srv.url}/dataset/beijing-multisite")
    assert (beijing, DCTERMS.identifier, Literal("21201/000002")) in graph
    licences = {graph.value(d, DCTERMS.license) for d in graph.objects(beijing, DCAT.distribution)}
    assert licences == {URIRef("https://creativecommons.org/licenses/by/4.0/")}
    shared = graph.value(URIRef(f"{srv.url}/dataset/water-quality-auto"), DCTERMS.accessRights)
    assert shared == URIRef(
        "http://publications.europa.eu/resource/authority/access-right/RESTRICTED"
    )
    hourly = URIRef(f"{srv.url}/dataset/air-quality-hourly")
    period = graph.value(hourly, DCTERMS.temporal)
    assert str(graph.value(period, DCAT.startDate)).startswith("2018-12-31T16:00:00")
    paged = URIRef(f"{srv.url}/catalog.{ext}?page=1")
    assert graph.value(paged, HYDRA.totalItems).toPython() == len(visible)


def test_restricted_datasets_and_single_dataset(open_server: OpenServer) -> None:
    srv = open_server
    with httpx.Client(base_url=srv.url, timeout=60) as http:
        owner = Graph().parse(
            data=http.get("/catalog.ttl", headers=srv.headers("analyst")).text, format="turtle"
        )
        one = http.get("/dataset/water-quality-class.ttl", headers=srv.headers("analyst"))
        assert http.get("/dataset/water-quality-class.ttl").status_code == 404
        assert http.get("/catalog.ttl", params={"page": 2}).status_code == 200
    assert URIRef(f"{srv.url}/dataset/water-quality-class") in set(
        owner.subjects(RDF.type, DCAT.Dataset)
    )
    graph = Graph().parse(data=one.text, format="turtle")
    _check(graph)
    assert len(set(graph.subjects(RDF.type, DCAT.Distribution))) == 3

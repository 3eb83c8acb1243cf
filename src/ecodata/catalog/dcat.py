"""The catalog as DCAT-AP 3 RDF (rdflib graph), for ``/catalog.ttl`` and friends.

Classes and properties follow DCAT-AP 3.0 (SEMIC, 2023): ``dcat:Catalog`` (title, description,
publisher, datasets), ``dcat:Dataset`` (title, description, identifier = 信息资源代码, keywords,
theme, publisher, contact point, update frequency, access rights, temporal coverage, landing
page, distributions), ``dcat:Distribution`` (access and download URL, format, media type,
licence) and ``foaf:Agent`` publishers. Controlled vocabularies are the EU Publications Office
authority tables (data theme, frequency, access right, file type, language, country), as DCAT-AP
requires. Paging uses Hydra (``hydra:PagedCollection``) as ckanext-dcat does.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from rdflib import BNode, Graph, Literal, Namespace, URIRef
from rdflib.namespace import DCAT, DCTERMS, FOAF, RDF, XSD

from ecodata.catalog.downloads import Format
from ecodata.catalog.seed import TOPICS

VCARD = Namespace("http://www.w3.org/2006/vcard/ns#")
HYDRA = Namespace("http://www.w3.org/ns/hydra/core#")
ADMS = Namespace("http://www.w3.org/ns/adms#")
EU = "http://publications.europa.eu/resource/authority/"
PAGE_SIZE = 100

# 更新周期 → EU frequency authority table.
FREQUENCY = {
    "realtime": "CONT",
    "hourly": "HOURLY",
    "daily": "DAILY",
    "weekly": "WEEKLY",
    "monthly": "MONTHLY",
    "quarterly": "QUARTERLY",
    "yearly": "ANNUAL",
    "irregular": "IRREG",
    "static": "NEVER",
}
# Classification → EU access-right authority table.
ACCESS_RIGHT = {"public": "PUBLIC", "shared": "RESTRICTED", "restricted": "NON_PUBLIC"}
FILE_TYPE = {Format.CSV: "CSV", Format.JSON: "JSON", Format.PARQUET: "PARQUET"}
MEDIA_TYPE = {
    Format.CSV: "text/csv",
    Format.JSON: "application/json",
    Format.PARQUET: "application/vnd.apache.parquet",
}
LICENCE_URL = {"CC-BY-4.0": "https://creativecommons.org/licenses/by/4.0/"}


def _bind(graph: Graph) -> None:
    for prefix, ns in (
        ("dcat", DCAT),
        ("dct", DCTERMS),
        ("foaf", FOAF),
        ("vcard", VCARD),
        ("hydra", HYDRA),
        ("adms", ADMS),
        ("xsd", XSD),
    ):
        graph.bind(prefix, ns)


def _time(value: datetime) -> Literal:
    return Literal(value.isoformat(), datatype=XSD.dateTime)


def _publisher(graph: Graph, base: str, dept: Mapping[str, Any]) -> URIRef:
    node = URIRef(f"{base}organization/{dept['code']}")
    graph.add((node, RDF.type, FOAF.Agent))
    graph.add((node, RDF.type, FOAF.Organization))
    graph.add((node, FOAF.name, Literal(dept["name_zh"] or dept["code"], lang="zh")))
    if dept.get("name_en"):
        graph.add((node, FOAF.name, Literal(dept["name_en"], lang="en")))
    graph.add((node, DCTERMS.type, URIRef("http://purl.org/adms/publishertype/NationalAuthority")))
    return node


def add_dataset(graph: Graph, base: str, row: Mapping[str, Any], dept: Mapping[str, Any]) -> URIRef:
    """Add one catalog row (from ``catalog.datasets``) as a ``dcat:Dataset``."""
    node = URIRef(f"{base}dataset/{row['name']}")
    g = graph
    g.add((node, RDF.type, DCAT.Dataset))
    g.add((node, DCTERMS.identifier, Literal(row["resource_code"])))
    g.add((node, ADMS.identifier, Literal(row["uuid"])))
    g.add((node, DCTERMS.title, Literal(row["title_zh"], lang="zh")))
    if row["title_en"]:
        g.add((node, DCTERMS.title, Literal(row["title_en"], lang="en")))
    g.add((node, DCTERMS.description, Literal(row["description_zh"] or row["title_zh"], lang="zh")))
    if row["description_en"]:
        g.add((node, DCTERMS.description, Literal(row["description_en"], lang="en")))
    for tag in row["tags"]:
        g.add((node, DCAT.keyword, Literal(tag)))
    for topic in row["topics"]:
        theme = TOPICS.get(topic, ("", "", "ENVI"))[2]
        g.add((node, DCAT.theme, URIRef(f"{EU}data-theme/{theme}")))
    publisher = _publisher(graph, base, dept)
    g.add((node, DCTERMS.publisher, publisher))
    contact = BNode()
    g.add((contact, RDF.type, VCARD.Kind))  # DCAT-AP 3 §5.5: range vcard:Kind
    g.add((contact, RDF.type, VCARD.Organization))
    g.add((contact, VCARD.fn, Literal(dept["name_zh"] or dept["code"], lang="zh")))
    g.add((contact, VCARD.hasURL, URIRef(f"{base}organization/{dept['code']}")))
    g.add((node, DCAT.contactPoint, contact))
    frequency = FREQUENCY.get(row["update_cycle"], "UNKNOWN")
    g.add((node, DCTERMS.accrualPeriodicity, URIRef(f"{EU}frequency/{frequency}")))
    access = ACCESS_RIGHT[row["classification"]]
    g.add((node, DCTERMS.accessRights, URIRef(f"{EU}access-right/{access}")))
    g.add((node, DCTERMS.spatial, URIRef(f"{EU}country/CHN")))
    g.add((node, DCTERMS.language, URIRef(f"{EU}language/ZHO")))
    g.add((node, DCTERMS.issued, _time(row["created_at"])))
    g.add((node, DCTERMS.modified, _time(row["modified_at"])))
    g.add((node, DCAT.landingPage, URIRef(f"{base}api/v1/datasets/{row['name']}")))
    stats = row["statistics"]
    if stats["first_time"] is not None and stats["last_time"] is not None:
        period = BNode()
        g.add((period, RDF.type, DCTERMS.PeriodOfTime))
        g.add((period, DCAT.startDate, _time(stats["first_time"])))
        g.add((period, DCAT.endDate, _time(stats["last_time"])))
        g.add((node, DCTERMS.temporal, period))
    for fmt in Format:
        g.add((node, DCAT.distribution, _distribution(graph, base, row, fmt)))
    return node


def _distribution(graph: Graph, base: str, row: Mapping[str, Any], fmt: Format) -> URIRef:
    url = f"{base}api/v1/datasets/{row['name']}/download?format={fmt.value}"
    node = URIRef(f"{base}dataset/{row['name']}/distribution/{fmt.value}")
    g = graph
    g.add((node, RDF.type, DCAT.Distribution))
    g.add((node, DCAT.accessURL, URIRef(url)))
    g.add((node, DCAT.downloadURL, URIRef(url)))
    g.add((node, DCTERMS.title, Literal(f"{row['title_zh']}（{fmt.value.upper()}）", lang="zh")))
    g.add(
        (
            node,
            DCTERMS.description,
            Literal(
                f"Whole dataset as {fmt.value.upper()}; add start= and end= (ISO 8601) "
                "for a time range.",
                lang="en",
            ),
        )
    )
    g.add((node, DCTERMS.format, URIRef(f"{EU}file-type/{FILE_TYPE[fmt]}")))
    g.add(
        (
            node,
            DCAT.mediaType,
            URIRef(f"https://www.iana.org/assignments/media-types/{MEDIA_TYPE[fmt]}"),
        )
    )
    licence = LICENCE_URL.get(row["licence"])
    if licence:
        g.add((node, DCTERMS.license, URIRef(licence)))
    if row["sharing_condition"]:
        rights = BNode()
        g.add((rights, RDF.type, DCTERMS.RightsStatement))
        g.add((rights, DCTERMS.description, Literal(row["sharing_condition"])))
        g.add((node, DCTERMS.rights, rights))
    return node


def catalog_graph(
    base: str,
    rows: Sequence[Mapping[str, Any]],
    departments: Mapping[str, Mapping[str, Any]],
    *,
    page: int = 1,
    page_url: str = "",
) -> Graph:
    """The whole catalog (one Hydra page of ``PAGE_SIZE`` datasets) as a graph."""
    graph = Graph()
    _bind(graph)
    node = URIRef(f"{base}catalog")
    graph.add((node, RDF.type, DCAT.Catalog))
    graph.add((node, DCTERMS.title, Literal("ecodata 生态环境信息资源目录", lang="zh")))
    graph.add((node, DCTERMS.title, Literal("ecodata environmental data catalog", lang="en")))
    graph.add(
        (
            node,
            DCTERMS.description,
            Literal(
                "生态环境监测数据的政务信息资源目录。"
                "Catalog of ecological-environment monitoring data.",
                lang="zh",
            ),
        )
    )
    steward = departments.get("data-centre") or next(iter(departments.values()))
    graph.add((node, DCTERMS.publisher, _publisher(graph, base, steward)))
    graph.add((node, FOAF.homepage, URIRef(base)))
    graph.add((node, DCTERMS.language, URIRef(f"{EU}language/ZHO")))
    graph.add((node, DCAT.themeTaxonomy, URIRef(f"{EU}data-theme")))
    if rows:
        graph.add((node, DCTERMS.modified, _time(max(r["modified_at"] for r in rows))))
    total = len(rows)
    last = max(1, -(-total // PAGE_SIZE))
    chosen = rows[(page - 1) * PAGE_SIZE : page * PAGE_SIZE]
    for row in chosen:
        dataset = add_dataset(graph, base, row, departments[row["department_code"]])
        graph.add((node, DCAT.dataset, dataset))
    if page_url:
        paged = URIRef(f"{page_url}?page={page}")
        graph.add((paged, RDF.type, HYDRA.PagedCollection))
        graph.add((paged, HYDRA.totalItems, Literal(total, datatype=XSD.integer)))
        graph.add((paged, HYDRA.itemsPerPage, Literal(PAGE_SIZE, datatype=XSD.integer)))
        graph.add((paged, HYDRA.firstPage, Literal(f"{page_url}?page=1")))
        graph.add((paged, HYDRA.lastPage, Literal(f"{page_url}?page={last}")))
        if page < last:
            graph.add((paged, HYDRA.nextPage, Literal(f"{page_url}?page={page + 1}")))
        if page > 1:
            graph.add((paged, HYDRA.previousPage, Literal(f"{page_url}?page={page - 1}")))
    return graph


def dataset_graph(base: str, row: Mapping[str, Any], dept: Mapping[str, Any]) -> Graph:
    graph = Graph()
    _bind(graph)
    add_dataset(graph, base, row, dept)
    return graph

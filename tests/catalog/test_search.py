"""Catalog search in pure code over the shipped catalog: Chinese and English text, fq, sort,
facets."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from ecodata.catalog.search import SearchQueryError, doc_of, parse_fq, query_terms, search, tokens
from ecodata.catalog.seed import DATASETS, DEPARTMENTS, dataset_uuid

T0 = datetime(2024, 5, 1, tzinfo=UTC)


def _rows() -> list[dict[str, Any]]:
    depts = {d["code"]: d for d in DEPARTMENTS}
    return [
        {
            **row,
            "uuid": dataset_uuid(row["name"]),
            "created_at": T0,
            "modified_at": T0 + timedelta(days=i),
            "department": depts[row["department_code"]],
        }
        for i, row in enumerate(DATASETS)
    ]


DOCS = [doc_of(r) for r in _rows()]
NAMES = {d.key: d.values["name"][0] for d in DOCS}


def _names(**query: Any) -> list[str]:
    return [NAMES[doc.key] for doc, _ in search(DOCS, rows=100, **query).hits]


def test_tokens_index_chinese_by_characters_and_pairs() -> None:
    assert tokens("空气质量 PM2.5") == [
        "空",
        "气",
        "质",
        "量",
        "空气",
        "气质",
        "质量",
        "pm2.5",
        "pm2",
        "5",
    ]
    assert query_terms("水质 water-quality") == ["水质", "water-quality"]


def test_chinese_and_english_queries() -> None:
    assert set(_names(q="水质")[:2]) == {"water-quality-class", "water-quality-auto"}
    assert set(_names(q="空气质量")) >= {"air-quality-published", "air-quality-hourly"}
    assert "water-quality-auto" not in _names(q="空气质量")
    assert _names(q="ammonia") == ["water-quality-auto"]
    assert _names(q="HJ 212 废水") == ["source-water"]
    assert _names(q="气象")[0] == "meteorology"
    assert _names(q="no-such-thing") == []
    assert len(_names(q="*:*")) == len(DATASETS)


def test_filters() -> None:
    assert _names(fq="organization:enforcement", sort="name asc") == [
        "source-air",
        "source-other",
        "source-water",
    ]
    assert len(_names(fq="-organization:enforcement")) == len(DATASETS) - 3
    assert _names(fq='tags:"HJ 633"') == ["air-quality-published"]
    assert _names(fq="license_id:CC-BY-4.0") == ["beijing-multisite"]
    assert _names(fq="classification:shared sharing_type:conditional", sort="name asc") == [
        "source-air",
        "source-water",
    ]
    assert _names(
        fq="(groups:meteorology OR groups:pollution-sources) AND -tags:HJ*", sort="name asc"
    ) == ["beijing-multisite", "meteorology"]
    modified = T0 + timedelta(days=9)
    assert len(_names(fq=f"metadata_modified:[{modified.isoformat()} TO *]")) == 2
    assert parse_fq("organization:a OR organization:b -tags:x")[0][1].value == "b"
    for bad in ("colour:red", "organization", "metadata_modified:[NOW-1DAY TO *]"):
        with pytest.raises(SearchQueryError):
            search(DOCS, fq=bad)


def test_sort_paging_and_facets() -> None:
    newest = _names(sort="metadata_modified desc")
    assert newest[0] == DATASETS[-1]["name"]
    assert _names(sort="name asc") == sorted(NAMES.values())
    page = search(DOCS, sort="name asc", start=2, rows=3)
    assert (
        page.count == len(DATASETS)
        and [NAMES[d.key] for d, _ in page.hits] == sorted(NAMES.values())[2:5]
    )
    facets = search(DOCS, facet_fields=["organization", "classification"], facet_limit=2).facets
    assert facets["organization"] == {"enforcement": 3, "cnemc": 3}
    assert facets["classification"] == {"public": 6, "shared": 3}
    with pytest.raises(SearchQueryError):
        search(DOCS, sort="colour asc")
    with pytest.raises(SearchQueryError):
        search(DOCS, facet_fields=["colour"])

"""The open-data portal: catalog search (Chinese and English full text, facets by department,
topic, format, sharing and open type) and dataset pages (description, fields, licence, update
cycle, a preview of the rows of a chosen period, downloads and copy-ready API examples).

Search runs :func:`ecodata.catalog.search.search` over the datasets the caller may see, the same
as CKAN's ``package_search``; the preview reads the first rows of the very download the page
links to (:func:`ecodata.catalog.downloads.open_download`), so the rows shown are the rows
downloaded.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator, Mapping
from datetime import datetime, timedelta
from typing import Annotated, Any, Final
from urllib.parse import urlencode

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse

from ecodata.catalog import datasets as catalog
from ecodata.catalog.downloads import Format, open_download
from ecodata.catalog.search import FACET_FIELDS, doc_of, search
from ecodata.errors import AuthError, PermissionDeniedError
from ecodata.security.access import restriction_for
from ecodata.web.i18n import translate
from ecodata.web.page_data import parse_day, stores_of
from ecodata.web.page_route import PageRoute
from ecodata.web.rendering import language_of, render, settings_of
from ecodata.web.session import principal_of

router = APIRouter(include_in_schema=False, route_class=PageRoute)

#: Facets shown beside the results (CKAN facet fields), in this order.
FACETS: Final = ("organization", "groups", "res_format", "sharing_type", "open_type")
PAGE_SIZE: Final = 20
PREVIEW_ROWS: Final = 20
#: Columns of an observation download (``ecodata.catalog.downloads``), described on the page.
FIELD_KEYS: Final = ("site", "parameter", "period", "time", "value", "unit", "flag", "qc")
SITE_FIELD_KEYS: Final = (
    "code", "kind", "name_zh", "name_en", "division_code", "province", "city", "longitude",
    "latitude", "status",
)  # fmt: skip


def _visible_rows(request: Request) -> list[dict[str, Any]]:
    engine = stores_of(request).registry.engine
    return catalog.datasets(engine, restriction_for(engine, principal_of(request)))


@router.get("/catalog", response_class=HTMLResponse)
def catalog_page(
    request: Request,
    q: Annotated[str, Query(max_length=200)] = "",
    organization: Annotated[str | None, Query(max_length=100)] = None,
    groups: Annotated[str | None, Query(max_length=100)] = None,
    res_format: Annotated[str | None, Query(max_length=20)] = None,
    sharing_type: Annotated[str | None, Query(max_length=20)] = None,
    open_type: Annotated[str | None, Query(max_length=20)] = None,
    page: Annotated[int, Query(ge=1, le=1000)] = 1,
) -> HTMLResponse:
    rows = _visible_rows(request)
    by_uuid = {r["uuid"]: r for r in rows}
    chosen = {
        name: value
        for name, value in {
            "organization": organization,
            "groups": groups,
            "res_format": res_format,
            "sharing_type": sharing_type,
            "open_type": open_type,
        }.items()
        if value
    }
    fq = " ".join(f'{name}:"{value}"' for name, value in chosen.items())
    result = search(
        [doc_of(r) for r in rows],
        q=q,
        fq=fq,
        sort="score desc, metadata_modified desc" if q.strip() else "name asc",
        start=(page - 1) * PAGE_SIZE,
        rows=PAGE_SIZE,
        facet_fields=[f for f in FACETS if f in FACET_FIELDS],
    )
    hits = [by_uuid[doc.key] for doc, _ in result.hits]
    departments = {r["department_code"]: r["department"] for r in rows}
    lang = language_of(request)
    facets = [
        {
            "field": name,
            "items": [
                {
                    "value": value,
                    "label": _facet_label(name, value, departments, lang),
                    "count": count,
                    "selected": chosen.get(name) == value,
                    "url": _catalog_url(q, chosen, name, value),
                }
                for value, count in result.facets.get(name, {}).items()
            ],
        }
        for name in FACETS
    ]
    return render(
        request,
        "catalog.html",
        {
            "q": q,
            "hits": hits,
            "count": result.count,
            "facets": facets,
            "chosen": chosen,
            "page": page,
            "pages": max(1, -(-result.count // PAGE_SIZE)),
            "page_url": lambda n: _catalog_url(q, chosen, None, None, page=n),
            "clear_url": _catalog_url(q, {}, None, None),
        },
        title=_label(lang, "catalog"),
    )


def _label(lang: str, key: str) -> str:
    return translate(lang, f"nav.{key}")


def _facet_label(
    field: str, value: str, departments: Mapping[str, Mapping[str, Any]], lang: str
) -> str:
    if field == "organization":
        dept = departments.get(value) or {}
        name = (dept.get("name_en") if lang == "en" else dept.get("name_zh")) or value
        return str(name)
    if field in ("groups", "sharing_type", "open_type"):
        key = f"catalog.{field}.{value}"
        text = translate(lang, key)
        return value if text == key else text
    return value


def _catalog_url(
    q: str,
    chosen: Mapping[str, str],
    field: str | None,
    value: str | None,
    *,
    page: int = 1,
) -> str:
    params = dict(chosen)
    if field is not None:
        if params.get(field) == value:
            params.pop(field)  # a second click removes the filter
        elif value is not None:
            params[field] = value
    if q:
        params = {"q": q, **params}
    if page > 1:
        params["page"] = str(page)
    return "/catalog" + (f"?{urlencode(params)}" if params else "")


def default_period(row: Mapping[str, Any]) -> tuple[datetime, datetime] | None:
    """The preview period of a dataset: the last hour (hourly data) or the last day of data."""
    last = (row.get("statistics") or {}).get("last_time")
    if last is None:
        return None
    if row.get("update_cycle") in ("realtime", "hourly"):
        return last, last + timedelta(hours=1)
    return last - timedelta(days=1) + timedelta(seconds=1), last + timedelta(seconds=1)


def preview_rows(chunks: Iterator[bytes], limit: int) -> tuple[list[str], list[list[str]], bool]:
    """Header and the first ``limit`` rows of a CSV download; whether more rows follow."""
    text = ""
    rows: list[list[str]] = []
    for chunk in chunks:
        text += chunk.decode("utf-8")
        rows = list(csv.reader(io.StringIO(text)))
        if len(rows) > limit + 1:
            break
    if not rows:
        return [], [], False
    body = [r for r in rows[1:] if r]
    return rows[0], body[:limit], len(body) > limit


@router.get("/catalog/{name}", response_class=HTMLResponse)
def dataset_page(
    request: Request,
    name: str,
    start: Annotated[str | None, Query(max_length=40)] = None,
    end: Annotated[str | None, Query(max_length=40)] = None,
) -> HTMLResponse:
    stores = stores_of(request)
    settings = settings_of(request)
    engine = stores.registry.engine
    principal = principal_of(request)
    row = catalog.dataset(engine, name, restriction_for(engine, principal))
    lang = language_of(request)
    first, last = parse_day(start, "start", settings), parse_day(end, "end", settings)
    if first is None and last is None and row["source"] != "sites":
        period = default_period(row)
        first, last = period if period else (None, None)
    preview: dict[str, Any] = {"header": [], "rows": [], "more": False, "error": None}
    download_query: dict[str, str] = {}
    if first is not None:
        download_query["start"] = _local_iso(first, settings)
    if last is not None:
        download_query["end"] = _local_iso(last, settings)
    try:
        got = open_download(
            stores, principal, row["name"], Format.CSV, start=first, end=last, tz=settings.tz
        )
        header, rows, more = preview_rows(got.chunks, PREVIEW_ROWS)
        preview = {"header": header, "rows": rows, "more": more, "error": None}
    except (AuthError, PermissionDeniedError) as exc:  # shared data: say why, offer sign-in
        preview["error"] = str(exc)
    base = str(request.base_url).rstrip("/")
    downloads = {
        fmt.value: f"/api/v1/datasets/{row['name']}/download?"
        + urlencode({"format": fmt.value, **download_query})
        for fmt in Format
    }
    examples = _api_examples(base, row, download_query)
    return render(
        request,
        "dataset.html",
        {
            "ds": row,
            "title_text": row["title_en"] if lang == "en" and row["title_en"] else row["title_zh"],
            "description": (row["description_en"] if lang == "en" else row["description_zh"])
            or row["description_zh"],
            "fields": SITE_FIELD_KEYS if row["source"] == "sites" else FIELD_KEYS,
            "preview": preview,
            "downloads": downloads,
            "examples": examples,
            "start_value": _date_value(first, settings),
            "end_value": _date_value(last, settings),
            "period_text": (
                f"{_local_iso(first, settings)} – {_local_iso(last, settings)}"
                if first is not None and last is not None
                else ""
            ),
        },
        title=row["title_zh"] if lang == "zh-CN" else (row["title_en"] or row["title_zh"]),
    )


def _local_iso(value: datetime, settings: Any) -> str:
    return value.astimezone(settings.tz).replace(tzinfo=None).isoformat(timespec="minutes")


def _date_value(value: datetime | None, settings: Any) -> str:
    return value.astimezone(settings.tz).strftime("%Y-%m-%dT%H:%M") if value else ""


def _api_examples(
    base: str, row: Mapping[str, Any], period: Mapping[str, str]
) -> list[dict[str, str]]:
    """Copy-ready requests for the native API, SensorThings and CKAN."""
    name = row["name"]
    query = urlencode({"format": "csv", **period})
    examples = [
        {
            "api": "native",
            "code": f'curl -o {name}.csv "{base}/api/v1/datasets/{name}/download?{query}"',
        },
        {"api": "ckan", "code": f'curl "{base}/api/3/action/package_show?id={name}"'},
        {
            "api": "ckan-python",
            "code": "from ckanapi import RemoteCKAN\n"
            f'portal = RemoteCKAN("{base}")\n'
            f'dataset = portal.action.package_show(id="{name}")',
        },
    ]
    if row["source"] != "sites":
        examples.insert(
            1,
            {
                "api": "sensorthings",
                "code": f'curl "{base}/sta/v1.1/Things?$top=5&$expand=Datastreams"',
            },
        )
    return examples

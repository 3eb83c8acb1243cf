"""The OGC SensorThings API 1.1 query language (OGC 18-088 §9), compiled in pure code.

Conformance: ``http://www.opengis.net/spec/iot_sensing/1.1/req/request-data`` (``$filter``
with every built-in operator and function of Tables 22 and 23, ``$expand`` nested with ``;`` options
and slash paths, ``$select``, ``$orderby``, ``$top``, ``$skip``, ``$count``, pagination) and the
read
side of ``…/req/data-array/data-array`` (``$resultFormat=dataArray``); resource paths
(``…/req/resource-path/resource-path-to-entities``) including ``$value``, ``$ref``, ``$batch`` and
``CreateObservations``. OData 4.01 ``in`` and the lambda operators ``any``/``all`` are supported.

Nothing here touches a database. The pieces, in the order a request handler uses them::

    path = parse_resource_path("/Datastreams(5)/Observations")          # ResourcePath
    options = parse_query_string("$filter=result+gt+10&$top=2&$count=true")   # QueryOptions
    target = resolve_path(model, path)                # PathTarget: entity set + WHERE (EXISTS …)
    page = compile_page(model, target.entity, options, where=target.where)
    rows = conn.execute(page.statement).mappings().all()        # top + 1 rows, keys _k0, _k1 …
    count = conn.execute(page.count).scalar() if page.count is not None else None
    more = len(rows) > page.top                       # then nextLink: …&$skiptoken=
    token = page.next_token(rows[page.top - 1]) if more else None
    for item in options.expand:                       # one statement per expanded property
        sub = compile_expand(model, target.entity, item, [r["id"] for r in rows[: page.top]])

``model`` is an :class:`EntityModel` (see :mod:`ecodata.protocols.odata_model`) describing, per
entity set, the SQLAlchemy selectable, the STA properties (:class:`Scalar`, :class:`Json`,
:class:`Interval`, :class:`Point`) and the navigation properties (:func:`to_one`, :func:`to_many`,
:func:`many_to_many`). An entity set whose id is computed (observations: series and time) names
the columns that order like it (``order_key``, the paging tie-breaker) and an index-friendly
``key_filter``; ``compile_expand(…, lookahead=True)`` reads one extra row per parent to tell
whether an expanded collection goes on. Lower-level entry points: :func:`parse_filter`,
:func:`compile_filter`, :func:`compile_orderby` with :class:`Ordering` (``order_by()``,
``columns()``, ``after(values)``), :func:`encode_token` / :func:`decode_token`.

Every malformed or unsupported request raises :class:`ODataError` (an ``InputError``: answer HTTP
400) naming the option, the 0-based offset in its value and what was expected.

What each database must provide (generated SQL is otherwise portable):

* SQLite ≥ 3.38 with the math functions (``sqrt``, ``floor``, ``ceiling``; CPython's build has them)
  and JSON1 (built in); date-times stored as SQLAlchemy ``DateTime`` text, in UTC;
* PostgreSQL ≥ 12; JSON columns may be ``json`` or ``jsonb`` (``jsonb`` avoids a cast);
* DuckDB ≥ 1.0 through duckdb-engine, with the ``json`` extension (autoloaded);
* all three: the function ``ecodata_st(op text, lon double, lat double, wkt text) → double`` used by
  spatial functions between a location and a line or polygon — register
  :func:`ecodata.protocols.odata_geometry.ecodata_st` in SQLite and DuckDB, and create
  :data:`~ecodata.protocols.odata_spatial_sql.POSTGRES_ECODATA_ST` (plain PL/pgSQL) or
  :data:`~ecodata.protocols.odata_spatial_sql.POSTGIS_ECODATA_ST` (PostGIS) in PostgreSQL.
"""

from __future__ import annotations

from ecodata.protocols.odata_ast import (
    Expand,
    Expr,
    ODataError,
    OrderBy,
    QueryOptions,
    ResourcePath,
    Segment,
)
from ecodata.protocols.odata_geometry import ecodata_st
from ecodata.protocols.odata_model import (
    EntityModel,
    EntitySet,
    Interval,
    Json,
    Navigation,
    Point,
    Scalar,
    ValueType,
    many_to_many,
    to_many,
    to_one,
)
from ecodata.protocols.odata_options import (
    parse_expand,
    parse_query_options,
    parse_query_string,
    parse_resource_path,
    parse_select,
)
from ecodata.protocols.odata_paging import Ordering, compile_orderby, decode_token, encode_token
from ecodata.protocols.odata_parser import parse_filter, parse_orderby
from ecodata.protocols.odata_query import (
    ExpandQuery,
    PageQuery,
    PathTarget,
    compile_expand,
    compile_page,
    resolve_path,
)
from ecodata.protocols.odata_spatial_sql import POSTGIS_ECODATA_ST, POSTGRES_ECODATA_ST
from ecodata.protocols.odata_sql import compile_filter

#: 18-088 conformance classes this query language implements (for the landing page).
CONFORMANCE = (
    "http://www.opengis.net/spec/iot_sensing/1.1/req/resource-path/resource-path-to-entities",
    "http://www.opengis.net/spec/iot_sensing/1.1/req/request-data",
)

__all__ = [
    "CONFORMANCE",
    "POSTGIS_ECODATA_ST",
    "POSTGRES_ECODATA_ST",
    "EntityModel",
    "EntitySet",
    "Expand",
    "ExpandQuery",
    "Expr",
    "Interval",
    "Json",
    "Navigation",
    "ODataError",
    "OrderBy",
    "Ordering",
    "PageQuery",
    "PathTarget",
    "Point",
    "QueryOptions",
    "ResourcePath",
    "Scalar",
    "Segment",
    "ValueType",
    "compile_expand",
    "compile_filter",
    "compile_orderby",
    "compile_page",
    "decode_token",
    "ecodata_st",
    "encode_token",
    "many_to_many",
    "parse_expand",
    "parse_filter",
    "parse_orderby",
    "parse_query_options",
    "parse_query_string",
    "parse_resource_path",
    "parse_select",
    "resolve_path",
    "to_many",
    "to_one",
]

"""Whole SensorThings requests as SQLAlchemy statements: resource paths, collection pages, expands.

Evaluation order follows 18-088 §9.3.1 (``request-data/order``): ``$filter`` → ``$count`` (of the
filtered set) → ``$orderby`` → ``$skip`` → ``$top``; ``$expand``/``$select`` shape the rows after.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Select, and_, exists, func, literal, select
from sqlalchemy.sql.elements import ColumnElement
from sqlalchemy.sql.selectable import FromClause

from ecodata.protocols.odata_ast import Expand, ODataError, QueryOptions, ResourcePath
from ecodata.protocols.odata_model import EntityModel, EntitySet, column
from ecodata.protocols.odata_paging import Ordering, compile_orderby, decode_token, encode_token
from ecodata.protocols.odata_sql import compile_filter

DEFAULT_TOP = 100
MAX_TOP = 10_000


@dataclass(frozen=True, slots=True)
class PathTarget:
    """What a resource path addresses: rows of ``entity`` (read from ``entity.table``) that satisfy
    ``where``; ``single`` when it is one entity (a key, or a to-one navigation)."""

    entity: EntitySet
    where: ColumnElement[bool] | None
    single: bool
    property: tuple[str, ...] = ()
    value: bool = False
    ref: bool = False


def _key_condition(entity: EntitySet, table: FromClause, key: int | str) -> ColumnElement[bool]:
    if entity.key_filter is not None:
        return entity.key_filter(table, [key])
    return column(entity.id, table) == literal(key)


def resolve_path(model: EntityModel, path: ResourcePath) -> PathTarget:
    """Resolve ``/Datastreams(5)/Observations`` etc. to the target set and a correlated
    condition."""
    if not path.segments:
        raise ODataError("the path addresses no entity set", option="path")
    first = path.segments[0]
    chain = [model.entity_set(first.name)]
    many = [first.key is None]
    for segment in path.segments[1:]:
        nav = chain[-1].navigation.get(segment.name)
        if nav is None:
            raise ODataError(
                f"{chain[-1].name} has no navigation property '{segment.name}'",
                option="path",
                expected="one of " + ", ".join(chain[-1].navigation),
            )
        chain.append(model.sets[nav.target])
        many.append(nav.many and segment.key is None)
    target = chain[-1]
    last = path.segments[-1]
    conditions: list[ColumnElement[bool]] = []
    if last.key is not None:
        conditions.append(_key_condition(target, target.table, last.key))
    first_nav = chain[0].navigation[path.segments[1].name] if len(chain) == 2 else None
    if (
        first_nav is not None
        and first_nav.foreign_key is not None
        and first.key is not None
        and chain[0].key_filter is None
    ):
        # /Datastreams(5)/Observations: the key itself is the foreign key (no join, index-friendly)
        conditions.append(target.table.c[first_nav.foreign_key] == literal(first.key))
    elif len(chain) > 1:
        aliases = [entity.table.alias() for entity in chain[:-1]]
        tables: list[FromClause] = [*aliases, target.table]
        froms: list[FromClause] = []
        links: list[ColumnElement[bool]] = []
        for i, segment in enumerate(path.segments[1:]):
            nav = chain[i].navigation[segment.name]
            extra, link = nav.hop(tables[i], tables[i + 1])
            froms.extend(extra)
            links.append(link)
        for i, segment in enumerate(path.segments[:-1]):
            if segment.key is not None:
                links.append(_key_condition(chain[i], aliases[i], segment.key))
        query = select(literal(1)).select_from(*aliases, *froms).where(and_(*links))
        conditions.append(exists(query.correlate_except(*aliases, *froms)))
    single = not many[-1] and (last.key is not None or not any(many))
    if path.property:
        if target.property(path.property[0]) is None:
            raise ODataError(
                f"{target.name} has no property '{path.property[0]}'",
                option="path",
                expected="one of " + ", ".join(("id", *target.properties)),
            )
        if not single:
            raise ODataError("a property can only be read from one entity", option="path")
    where = and_(*conditions) if conditions else None
    return PathTarget(target, where, single, path.property, path.value, path.ref)


@dataclass(frozen=True, slots=True)
class PageQuery:
    """``statement`` reads one page plus one look-ahead row (to know whether a next page exists);
    its last columns are the ordering keys ``_k0`` …; ``count`` counts the filtered set."""

    statement: Select[Any]
    count: Select[Any] | None
    ordering: Ordering
    top: int

    def next_token(self, row: Mapping[str, Any]) -> str:
        """The ``$skiptoken`` continuing after ``row`` (a row of :attr:`statement`)."""
        return encode_token(self.ordering, [row[f"_k{i}"] for i in range(len(self.ordering.keys))])


def _top(options: QueryOptions, default_top: int, max_top: int) -> int:
    top = default_top if options.top is None else options.top
    if top > max_top:
        raise ODataError(
            f"$top={top} exceeds the server maximum {max_top}",
            option="$top",
            expected=f"≤ {max_top}",
        )
    return top


def compile_page(
    model: EntityModel,
    entity_set: str | EntitySet,
    options: QueryOptions,
    *,
    columns: Sequence[ColumnElement[Any]] | None = None,
    where: ColumnElement[bool] | None = None,
    default_top: int = DEFAULT_TOP,
    max_top: int = MAX_TOP,
    now: datetime | None = None,
) -> PageQuery:
    """One page of a collection (18-088 §9.3.3.7 pagination): filter, order, then ``$skiptoken``
    (keyset) or ``$skip`` (offset), limited to ``$top`` + 1 rows."""
    entity = model.entity_set(entity_set) if isinstance(entity_set, str) else entity_set
    table = entity.table
    conditions: list[ColumnElement[bool]] = [] if where is None else [where]
    if options.filter is not None:
        conditions.append(compile_filter(model, entity, options.filter, now=now))
    ordering = compile_orderby(model, entity, options.orderby)
    top = _top(options, default_top, max_top)
    selected = list(columns) if columns is not None else list(table.c)
    count = None
    if options.count:
        count = select(func.count()).select_from(table).where(*conditions)
    page_conditions = list(conditions)
    offset = options.skip or 0
    if options.skiptoken:
        page_conditions.append(ordering.after(decode_token(ordering, options.skiptoken)))
        offset = 0
    statement = (
        select(*selected, *ordering.columns())
        .select_from(table)
        .where(*page_conditions)
        .order_by(*ordering.order_by())
        .limit(top + 1)
    )
    if offset:
        statement = statement.offset(offset)
    return PageQuery(statement, count, ordering, top)


@dataclass(frozen=True, slots=True)
class ExpandQuery:
    """Related rows of many parents at once: each row carries its parent's id as ``_parent``;
    ``count`` gives ``(_parent, count)`` rows for ``$count=true``."""

    statement: Select[Any]
    count: Select[Any] | None
    entity: EntitySet
    many: bool


def compile_expand(
    model: EntityModel,
    parent: str | EntitySet,
    expand: Expand,
    parent_ids: Sequence[Any],
    *,
    columns: Sequence[ColumnElement[Any]] | None = None,
    default_top: int = DEFAULT_TOP,
    max_top: int = MAX_TOP,
    now: datetime | None = None,
    lookahead: bool = False,
) -> ExpandQuery:
    """The ``$expand`` of one navigation property for a page of parents (18-088 §9.3.2.1), with the
    expand's own ``$filter``/``$orderby``/``$skip``/``$top`` applied *per parent* (a window over
    ``ROW_NUMBER()``), in one statement instead of one per parent. With ``lookahead`` one more
    row per parent is read, telling whether the expanded collection goes on."""
    source = model.entity_set(parent) if isinstance(parent, str) else parent
    nav = source.navigation.get(expand.name)
    if nav is None:
        raise ODataError(
            f"{source.name} has no navigation property '{expand.name}'",
            option="$expand",
            expected="one of " + ", ".join(source.navigation),
        )
    target = model.sets[nav.target]
    options = expand.options
    parent_alias = source.table.alias()
    extra, link = nav.hop(parent_alias, target.table)
    parent_id = column(source.id, parent_alias)
    conditions = [link, source.ids_condition(parent_alias, parent_ids)]
    if options.filter is not None:
        conditions.append(compile_filter(model, target, options.filter, now=now))
    ordering = compile_orderby(model, target, options.orderby)
    selected = list(columns) if columns is not None else list(target.table.c)
    base = select(*selected, parent_id.label("_parent")).select_from(
        parent_alias, *extra, target.table
    )
    count = None
    if options.count:
        count = (
            select(parent_id.label("_parent"), func.count().label("count"))
            .select_from(parent_alias, *extra, target.table)
            .where(*conditions)
            .group_by(parent_id)
        )
    if not nav.many:
        return ExpandQuery(base.where(*conditions), count, target, False)
    top = _top(options, default_top, max_top)
    skip = options.skip or 0
    row_number = (
        func.row_number().over(partition_by=parent_id, order_by=ordering.order_by()).label("_rn")
    )
    ranked = base.add_columns(row_number).where(*conditions).subquery()
    statement = (
        select(*(c for c in ranked.c if c.key != "_rn"))
        .where(ranked.c["_rn"] > skip, ranked.c["_rn"] <= skip + top + int(lookahead))
        .order_by(ranked.c["_parent"], ranked.c["_rn"])
    )
    return ExpandQuery(statement, count, target, True)

"""Answering SensorThings GET requests (OGC 18-088 §9): resource paths, query options, expands,
keyset ``@iot.nextLink`` paging and ``$resultFormat=dataArray``.

One function serves every entity set: the entity model decides the SQL, the entity vocabulary the
JSON. A page is one statement (plus one per expanded navigation, for all parents at once, plus the
count when asked); a next page continues after the last row's sort keys, never with a deep OFFSET.
With ``track`` the reader notes the Datastreams and Observations it returns (for the audit of
reads), from the rows it fetched: one more statement when it returned Observations.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl, quote, urlencode

import sqlalchemy as sa

from ecodata.errors import NotFoundError
from ecodata.protocols.odata import (
    EntityModel,
    EntitySet,
    Expand,
    ODataError,
    PageQuery,
    QueryOptions,
    ResourcePath,
    compile_expand,
    compile_page,
    resolve_path,
)
from ecodata.protocols.odata_model import column
from ecodata.sensorthings import tables
from ecodata.sensorthings.columns import fetch_columns, render_columns
from ecodata.sensorthings.entities import BY_SET, EntityKind
from ecodata.sensorthings.render import (
    ExpandedCollection,
    data_array,
    prop_value,
    render_entity,
    self_link,
)


@dataclass(frozen=True, slots=True)
class RawValue:
    """The answer to ``…/property/$value``: the bare value as text."""

    text: str


@dataclass(frozen=True, slots=True)
class Paging:
    default_top: int = 100
    max_top: int = 10_000


@dataclass
class Touched:
    """The data a read returned: the catalog datasets of its Datastreams and the series of its
    Observations (their datasets are looked up once, at the end)."""

    datasets: set[int | None] = field(default_factory=set)
    series: set[int] = field(default_factory=set)

    def note(self, set_name: str, rows: Sequence[Mapping[Any, Any]]) -> None:
        if set_name == "Datastreams":
            self.datasets.update(r["dataset_id"] for r in rows)
        elif set_name == "Observations":
            self.series.update(int(r["series_id"]) for r in rows)

    def note_columns(self, set_name: str, values: Mapping[str, Sequence[Any]]) -> None:
        if set_name == "Datastreams":
            self.datasets.update(values["dataset_id"])
        elif set_name == "Observations":
            self.series.update(int(i) for i in values["series_id"])


def columns_of(entity: EntitySet, table: sa.FromClause | None = None) -> list[Any]:
    """The columns read for an entity set: all of its selectable, plus ``id`` when computed."""
    source = entity.table if table is None else table
    selected: list[Any] = list(source.c)
    if not isinstance(entity.id, str):
        selected.append(column(entity.id, source).label("id"))
    return selected


def next_link(base: str, path: str, query: str, token: str) -> str:
    """The request again with ``$skiptoken`` in place of ``$skip``/``$skiptoken``."""
    pairs = [
        (k, v)
        for k, v in parse_qsl(query.lstrip("?"), keep_blank_values=True)
        if k.lower() not in ("$skip", "$skiptoken")
    ]
    pairs.append(("$skiptoken", token))
    return f"{base}{path}?{urlencode(pairs, quote_via=quote, safe='$,()/@')}"


class Reader:
    """Reads one request's worth of entities from the read database."""

    def __init__(
        self,
        conn: sa.Connection,
        model: EntityModel,
        base: str,
        paging: Paging,
        *,
        track: bool = False,
    ) -> None:
        self.conn = conn
        self.model = model
        self.base = base
        self.paging = paging
        self.touched = Touched() if track else None

    def _note(self, set_name: str, rows: Sequence[Mapping[Any, Any]]) -> None:
        if self.touched is not None:
            self.touched.note(set_name, rows)

    def touched_datasets(self) -> set[int | None]:
        """The catalog datasets of the Datastreams and Observations returned (with ``track``)."""
        if self.touched is None:
            return set()
        found = set(self.touched.datasets)
        if self.touched.series:
            d = tables.datastreams
            query = sa.select(d.c.dataset_id).where(d.c.id.in_(sorted(self.touched.series)))
            found.update(self.conn.execute(query.distinct()).scalars())
        return found

    def read(
        self, path: ResourcePath, options: QueryOptions, path_text: str, query: str
    ) -> dict[str, Any] | RawValue:
        target = resolve_path(self.model, path)
        entity = target.entity
        kind = BY_SET[entity.name]
        if target.single:
            statement = sa.select(*columns_of(entity)).select_from(entity.table)
            if target.where is not None:
                statement = statement.where(target.where)
            row = self.conn.execute(statement.limit(1)).mappings().first()
            if row is None:
                raise NotFoundError(f"{path_text} does not exist")
            self._note(entity.name, [row])
            if target.property:
                return self._property(kind, row, target.property, target.value, path_text)
            if target.ref:
                return {"@iot.selfLink": self_link(self.base, kind, row["id"])}
            expanded = self.expand(entity, options.expand, [row])
            return render_entity(
                kind,
                row,
                self.base,
                select=options.select,
                expanded=expanded.get(row["id"]),
            )
        if options.result_format == "dataArray" and entity.name != "Observations":
            raise ODataError(
                "$resultFormat=dataArray applies to Observations",
                option="$resultFormat",
                expected="a path ending in Observations",
            )
        page = compile_page(
            self.model,
            entity,
            options,
            columns=columns_of(entity),
            where=target.where,
            default_top=self.paging.default_top,
            max_top=self.paging.max_top,
        )
        if (
            not target.ref
            and options.result_format != "dataArray"
            and not options.expand
            and (not options.select or ("*",) in options.select)
        ):
            return self._page_by_columns(kind, entity, page, path_text, query)
        rows = self.conn.execute(page.statement).mappings().all()
        body: dict[str, Any] = {}
        if page.count is not None:
            body["@iot.count"] = int(self.conn.execute(page.count).scalar_one())
        if len(rows) > page.top:
            rows = rows[: page.top]
            token = page.next_token(dict(rows[-1]))
            body["@iot.nextLink"] = next_link(self.base, path_text, query, token)
        self._note(entity.name, rows)
        if target.ref:
            body["value"] = [{"@iot.selfLink": self_link(self.base, kind, r["id"])} for r in rows]
        elif options.result_format == "dataArray":
            try:
                body["value"] = data_array(rows, self.base, options.select)
            except ValueError as exc:
                raise ODataError(
                    f"Observations have no property '{exc}'",
                    option="$select",
                    expected="phenomenonTime, result, resultTime, resultQuality, validTime, "
                    "parameters or id",
                ) from None
        else:
            expanded = self.expand(entity, options.expand, rows)
            body["value"] = [
                render_entity(
                    kind, r, self.base, select=options.select, expanded=expanded.get(r["id"])
                )
                for r in rows
            ]
        return body

    def _page_by_columns(
        self, kind: EntityKind, entity: EntitySet, page: PageQuery, path_text: str, query: str
    ) -> dict[str, Any]:
        """A plain page (no ``$select``, ``$expand``, ``$ref``, dataArray), rendered by column."""
        columns = fetch_columns(self.conn, page.statement)
        body: dict[str, Any] = {}
        if page.count is not None:
            body["@iot.count"] = int(self.conn.execute(page.count).scalar_one())
        if columns.length > page.top:
            columns = columns.head(page.top)
            token = page.next_token(columns.row(page.top - 1))
            body["@iot.nextLink"] = next_link(self.base, path_text, query, token)
        if self.touched is not None:
            self.touched.note_columns(entity.name, columns.values)
        body["value"] = render_columns(kind, columns, self.base)
        return body

    def _property(
        self,
        kind: EntityKind,
        row: Mapping[Any, Any],
        names: tuple[str, ...],
        raw: bool,
        path_text: str,
    ) -> dict[str, Any] | RawValue:
        if names[0] == "id":
            value: Any = row["id"]
        else:
            prop = kind.prop(names[0])
            if prop is None:
                raise NotFoundError(f"{kind.entity} has no property '{names[0]}'")
            value = prop_value(prop, row)
        for key in names[1:]:
            if not isinstance(value, Mapping) or key not in value:
                raise NotFoundError(f"{path_text} does not exist")
            value = value[key]
        if raw:
            if value is None:
                raise NotFoundError(f"{path_text} is null")
            import json

            return RawValue(value if isinstance(value, str) else json.dumps(value))
        return {names[-1] if names[0] != "id" else "@iot.id": value}

    def expand(
        self, entity: EntitySet, items: Sequence[Expand], parents: Sequence[Mapping[Any, Any]]
    ) -> dict[Any, dict[str, Any]]:
        """Rendered related entities per parent id and navigation name (18-088 §9.3.2.1)."""
        out: dict[Any, dict[str, Any]] = {}
        if not items or not parents:
            return out
        parent_ids = list(dict.fromkeys(p["id"] for p in parents))
        for item in items:
            nav = entity.navigation.get(item.name)
            if nav is None:
                raise ODataError(
                    f"{entity.name} has no navigation property '{item.name}'",
                    option="$expand",
                    expected="one of " + ", ".join(entity.navigation),
                )
            target = self.model.sets[nav.target]
            query = compile_expand(
                self.model,
                entity,
                item,
                parent_ids,
                columns=columns_of(target),
                default_top=self.paging.default_top,
                max_top=self.paging.max_top,
                lookahead=True,
            )
            rows = self.conn.execute(query.statement).mappings().all()
            counts: dict[Any, int] = {}
            if query.count is not None:
                counts = {r[0]: int(r[1]) for r in self.conn.execute(query.count)}
            top = self.paging.default_top if item.options.top is None else item.options.top
            shown = _shown(rows, top if query.many else 1)  # without the lookahead rows
            self._note(target.name, shown)
            unique = list({r["id"]: r for r in shown}.values())
            nested = self.expand(target, item.options.expand, unique)
            kind = BY_SET[target.name]
            grouped: dict[Any, list[dict[str, Any]]] = {}
            for r in rows:
                grouped.setdefault(r["_parent"], []).append(
                    render_entity(
                        kind,
                        r,
                        self.base,
                        select=item.options.select,
                        expanded=nested.get(r["id"]),
                    )
                )
            skip = item.options.skip or 0
            parent_kind = BY_SET[entity.name]
            for parent_id in parent_ids:
                members = grouped.get(parent_id, [])
                slot = out.setdefault(parent_id, {})
                if not query.many:
                    slot[item.name] = members[0] if members else None
                    continue
                link = None
                if len(members) > top:
                    members = members[:top]
                    if item.options.filter is None and not item.options.orderby:
                        link = (
                            f"{self_link(self.base, parent_kind, parent_id)}/{item.name}"
                            f"?$top={top}&$skip={skip + top}"
                        )
                count = counts.get(parent_id, 0) if query.count is not None else None
                slot[item.name] = ExpandedCollection(members, count, link)
        return out


def _shown(rows: Sequence[Mapping[Any, Any]], limit: int) -> list[Mapping[Any, Any]]:
    """The expanded rows answered: the first ``limit`` of each parent."""
    seen: dict[Any, int] = {}
    out = []
    for r in rows:
        seen[r["_parent"]] = seen.get(r["_parent"], 0) + 1
        if seen[r["_parent"]] <= limit:
            out.append(r)
    return out

"""The entity model the SensorThings compiler works against, independent of the concrete tables.

An :class:`EntityModel` maps every entity set (``Things``, ``Datastreams`` …) to a SQLAlchemy
selectable, the STA properties to columns or expressions, and the navigation properties to joins.
Column references are column *names* of the selectable, or callables building an expression from an
alias of it, so the compiler can alias every table (a path may visit the same table twice).
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, TypeAlias

from sqlalchemy import ColumnElement, FromClause, and_, literal

from ecodata.protocols.odata_ast import ODataError

ColumnRef: TypeAlias = str | Callable[[FromClause], ColumnElement[Any]]


def column(ref: ColumnRef, table: FromClause) -> ColumnElement[Any]:
    """The expression ``ref`` denotes on ``table`` (an alias of the entity set's selectable)."""
    if isinstance(ref, str):
        return table.c[ref]
    return ref(table)


class ValueType(enum.StrEnum):
    """Types of scalar properties (OData Edm types used by 18-088)."""

    STRING = "string"
    INTEGER = "integer"
    NUMBER = "number"
    BOOLEAN = "boolean"
    DATETIME = "datetime"


@dataclass(frozen=True, slots=True)
class Scalar:
    """A column holding one typed value (``name``, ``result`` when numeric, ``resultTime``)."""

    ref: ColumnRef
    type: ValueType


@dataclass(frozen=True, slots=True)
class Json:
    """A JSON document (``properties``, ``parameters``, ``unitOfMeasurement``, a JSON ``result``);
    paths may continue into its keys: ``properties/owner/name``."""

    ref: ColumnRef


@dataclass(frozen=True, slots=True)
class Interval:
    """An 18-088 time interval (Datastream ``phenomenonTime``; Observation ``phenomenonTime`` when
    it may be a period). ``end`` may be ``None`` (instants only) or a NULL-able column (NULL means
    an instant)."""

    start: ColumnRef
    end: ColumnRef | None = None


@dataclass(frozen=True, slots=True)
class Point:
    """A point location kept as longitude / latitude columns (Location ``location``,
    FeatureOfInterest
    ``feature``)."""

    longitude: ColumnRef
    latitude: ColumnRef


Property: TypeAlias = Scalar | Json | Interval | Point
JoinBuilder: TypeAlias = Callable[[FromClause, FromClause], ColumnElement[bool]]
KeyFilter: TypeAlias = Callable[[FromClause, Sequence[Any]], ColumnElement[bool]]


@dataclass(frozen=True, slots=True)
class Navigation:
    """A navigation property to ``target`` (an entity set name).

    ``join(source, target)`` builds the join condition between aliases of the two selectables; for
    many-to-many links ``through`` is the link table and ``join`` receives
    ``(source, link)`` while ``through_join(link, target)`` completes the hop.
    """

    target: str
    many: bool
    join: JoinBuilder
    through: FromClause | None = None
    through_join: JoinBuilder | None = None
    #: For a to-many navigation without link table: the target's column holding the source's
    #: key. Lets ``/Datastreams(5)/Observations`` compile to ``datastream_id = 5`` (index-friendly).
    foreign_key: str | None = None

    def hop(
        self, source: FromClause, target: FromClause
    ) -> tuple[list[FromClause], ColumnElement[bool]]:
        """The extra FROM items (aliased link table) and the condition linking source to target."""
        if self.through is None:
            return [], self.join(source, target)
        assert self.through_join is not None
        link = self.through.alias()
        return [link], and_(self.join(source, link), self.through_join(link, target))


def to_one(target: str, foreign_key: str, primary_key: str = "id") -> Navigation:
    """Source row holds ``foreign_key`` → ``target.primary_key`` (e.g. Datastream → Thing)."""
    return Navigation(target, False, lambda s, t: s.c[foreign_key] == t.c[primary_key])


def to_many(target: str, foreign_key: str, primary_key: str = "id") -> Navigation:
    """Target rows hold ``foreign_key`` → ``source.primary_key`` (e.g. Thing → Datastreams)."""
    return Navigation(
        target,
        True,
        lambda s, t: t.c[foreign_key] == s.c[primary_key],
        foreign_key=foreign_key if primary_key == "id" else None,
    )


def many_to_many(
    target: str,
    link_table: FromClause,
    source_key: str,
    target_key: str,
    primary_key: str = "id",
    target_primary_key: str = "id",
) -> Navigation:
    """Through a link table (e.g. Things ↔ Locations via ``thing_locations``)."""
    return Navigation(
        target,
        True,
        lambda s, link: link.c[source_key] == s.c[primary_key],
        through=link_table,
        through_join=lambda link, t: link.c[target_key] == t.c[target_primary_key],
    )


@dataclass(frozen=True, slots=True)
class EntitySet:
    """One entity set: ``name`` (``Things``), its ``entity`` name (``Thing``), the selectable, the
    id column and the properties and navigation properties by their STA names.

    When the id is computed from other columns (an expression no index serves), ``order_key``
    names columns whose ascending order equals the id's order — they replace the id as the paging
    tie-breaker — and ``key_filter(table, ids)`` builds an index-friendly condition selecting
    entities by id.
    """

    name: str
    entity: str
    table: FromClause
    properties: Mapping[str, Property]
    navigation: Mapping[str, Navigation] = field(default_factory=dict)
    id: ColumnRef = "id"
    id_type: ValueType = ValueType.INTEGER
    order_key: tuple[ColumnRef, ...] = ()
    key_filter: KeyFilter | None = None

    def ids_condition(self, table: FromClause, ids: Sequence[Any]) -> ColumnElement[bool]:
        """``id IN ids`` for entities of this set read from ``table`` (an alias of its
        selectable)."""
        if self.key_filter is not None:
            return self.key_filter(table, ids)
        return column(self.id, table).in_([literal(i) for i in ids])

    def property(self, name: str) -> Property | None:
        if name == "id":
            return Scalar(self.id, self.id_type)
        return self.properties.get(name)


@dataclass(frozen=True, slots=True)
class EntityModel:
    sets: Mapping[str, EntitySet]

    def __post_init__(self) -> None:
        for entity_set in self.sets.values():
            for name, nav in entity_set.navigation.items():
                if nav.target not in self.sets:
                    raise ValueError(
                        f"{entity_set.name}/{name} points to unknown entity set {nav.target!r}"
                    )

    def entity_set(self, name: str) -> EntitySet:
        try:
            return self.sets[name]
        except KeyError:
            known = ", ".join(self.sets)
            raise ODataError(
                f"unknown entity set '{name}'", option="path", expected=f"one of {known}"
            ) from None

    def by_entity(self, entity: str) -> EntitySet:
        for entity_set in self.sets.values():
            if entity_set.entity == entity:
                return entity_set
        raise ODataError(f"unknown entity type '{entity}'", option="path")

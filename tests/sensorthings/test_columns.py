"""Pages rendered by column (the fast path of plain collection reads) are the pages the row
renderer makes, for every entity set, on both backends; and the vectorised ISO 8601 text is
:func:`render.iso` of every instant."""

from __future__ import annotations

from datetime import UTC, datetime

import numpy as np
import pytest

from ecodata.protocols.odata import (
    compile_page,
    parse_query_string,
    parse_resource_path,
    resolve_path,
)
from ecodata.sensorthings.columns import fetch_columns, iso_texts, render_columns
from ecodata.sensorthings.entities import BY_SET, KINDS
from ecodata.sensorthings.reading import columns_of
from ecodata.sensorthings.render import iso, render_entity
from ecodata.sensorthings.service import OPEN, SensorThings
from ecodata.store.stores import Stores

BASE = "http://example.org/sta/v1.1"


@pytest.mark.parametrize("set_name", [k.set for k in KINDS])
def test_pages_by_column_equal_pages_by_row(beijing: Stores, set_name: str) -> None:
    service = SensorThings(beijing)
    try:
        service.projection.ensure_current()
        model = service.model(OPEN)
        target = resolve_path(model, parse_resource_path(f"/{set_name}"))
        entity, kind = target.entity, BY_SET[set_name]
        page = compile_page(
            model, entity, parse_query_string("$top=300"), columns=columns_of(entity),
            where=target.where, default_top=100, max_top=1000,
        )  # fmt: skip
        with service.engine.connect() as conn:
            rows = conn.execute(page.statement).mappings().all()
            columns = fetch_columns(conn, page.statement)
    finally:
        service.close()
    assert rows or set_name == "HistoricalLocations", f"no {set_name} to compare"
    assert columns.length == len(rows)
    by_row = [render_entity(kind, r, BASE) for r in rows]
    assert render_columns(kind, columns, BASE) == by_row
    if rows:
        assert page.next_token(columns.row(len(rows) - 1)) == page.next_token(dict(rows[-1]))


def test_iso_texts_is_iso_of_every_instant() -> None:
    instants = [
        datetime(2016, 1, 1, 0, 0, tzinfo=UTC),
        datetime(2016, 2, 29, 23, 59, 59, 500000, tzinfo=UTC),
        datetime(1999, 12, 31, 12, 0, 0, 123, tzinfo=UTC),
        None,
    ]
    stamps = np.array(
        [
            np.datetime64(d.replace(tzinfo=None), "us") if d else np.datetime64("NaT")
            for d in instants
        ]
    )
    assert iso_texts(stamps) == [iso(d) for d in instants]
    assert iso_texts(stamps)[1] == "2016-02-29T23:59:59.5Z"

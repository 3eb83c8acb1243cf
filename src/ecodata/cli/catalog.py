"""Commands of the information-resource catalog: ``ecodata catalog list|show|search|set|sync|
download``."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any

import click
from rich.console import Console
from rich.table import Table

from ecodata.catalog import datasets as catalog
from ecodata.catalog.downloads import Format, open_download
from ecodata.catalog.search import doc_of, search
from ecodata.cli.app import Context, cli, emit_json, pass_context
from ecodata.security.principal import operator
from ecodata.security.roles import Classification, OpenType, SharingType


@cli.group("catalog")
def catalog_group() -> None:
    """The information-resource catalog (政务信息资源目录): datasets and their downloads."""


def _summary(row: dict[str, Any]) -> dict[str, Any]:
    stats = row["statistics"]
    return {
        "name": row["name"],
        "resource_code": row["resource_code"],
        "title": row["title_zh"],
        "department": row["department_code"],
        "classification": row["classification"],
        "sharing": row["sharing_type"],
        "open": row["open_type"],
        "series": stats["series"],
        "sites": stats["sites"],
        "observations": stats["observations"],
    }


@catalog_group.command("list")
@click.option("--json", "as_json", is_flag=True, help="Print as JSON.")
@pass_context
def catalog_list(context: Context, as_json: bool) -> None:
    """List the datasets with classification, sharing and size."""
    rows = [_summary(r) for r in catalog.datasets(context.stores().registry.engine)]
    if as_json:
        emit_json(rows)
        return
    columns = ["name", "title", "department", "classification", "sharing", "observations"]
    table = Table(*columns)
    for row in rows:
        table.add_row(*(str(row[c]) for c in columns))
    Console().print(table)


@catalog_group.command("show")
@click.argument("name")
@click.option("--json", "as_json", is_flag=True, help="Print as JSON.")
@pass_context
def catalog_show(context: Context, name: str, as_json: bool) -> None:
    """Show every field of the dataset NAME (name, UUID or resource code)."""
    row = catalog.dataset(context.stores().registry.engine, name)
    if as_json:
        emit_json(row)
        return
    for key, value in row.items():
        click.echo(f"{key:18} {value}")


@catalog_group.command("search")
@click.argument("query", required=False, default="")
@click.option("--fq", default="", help="Filters, e.g. 'organization:cnemc -tags:AQI'.")
@click.option("--json", "as_json", is_flag=True, help="Print as JSON.")
@pass_context
def catalog_search(context: Context, query: str, fq: str, as_json: bool) -> None:
    """Search the catalog in Chinese or English (e.g. 空气质量, water)."""
    rows = {r["uuid"]: r for r in catalog.datasets(context.stores().registry.engine)}
    found = search([doc_of(r) for r in rows.values()], q=query, fq=fq, rows=1000)
    hits = [{**_summary(rows[doc.key]), "score": round(score, 3)} for doc, score in found.hits]
    if as_json:
        emit_json(hits)
        return
    for hit in hits:
        click.echo(f"{hit['score']:7.3f}  {hit['name']:24} {hit['title']}")


@catalog_group.command("set")
@click.argument("name")
@click.option("--classification", type=click.Choice([c.value for c in Classification]))
@click.option("--sharing", type=click.Choice([s.value for s in SharingType]))
@click.option("--condition", help="Sharing condition (共享条件).")
@click.option("--open", "open_type", type=click.Choice([o.value for o in OpenType]))
@click.option("--cycle", type=click.Choice(catalog.UPDATE_CYCLES), help="Update cycle.")
@click.option("--dept", help="Provider department code.")
@click.option("--title", help="Title (Chinese).")
@pass_context
def catalog_set(
    context: Context,
    name: str,
    classification: str | None,
    sharing: str | None,
    condition: str | None,
    open_type: str | None,
    cycle: str | None,
    dept: str | None,
    title: str | None,
) -> None:
    """Change catalog fields of the dataset NAME (audited)."""
    changes = {
        "classification": classification,
        "sharing_type": sharing,
        "sharing_condition": condition,
        "open_type": open_type,
        "update_cycle": cycle,
        "department_code": dept,
        "title_zh": title,
    }
    row = catalog.update(context.stores().registry.engine, operator(), name, changes)
    click.echo(
        f"{row['name']}: {row['classification']}, sharing {row['sharing_type']}, "
        f"open {row['open_type']}"
    )


@catalog_group.command("sync")
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON.")
@pass_context
def catalog_sync(context: Context, as_json: bool) -> None:
    """Add shipped datasets missing from the catalog and re-file every series."""
    report = catalog.sync(context.stores().registry.engine, operator())
    if as_json:
        emit_json({"added": report.added, "refiled": report.refiled})
        return
    click.echo(f"added {len(report.added)} dataset(s); {report.refiled} series re-filed")


@catalog_group.command("download")
@click.argument("name")
@click.option(
    "--format",
    "fmt",
    type=click.Choice([f.value for f in Format]),
    default="csv",
    show_default=True,
)
@click.option("--start", type=click.DateTime(), help="From this local time (inclusive).")
@click.option("--end", type=click.DateTime(), help="Until this local time (exclusive).")
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path), required=True)
@pass_context
def catalog_download(
    context: Context,
    name: str,
    fmt: str,
    start: datetime | None,
    end: datetime | None,
    output: Path,
) -> None:
    """Write the dataset NAME (for a time range) to a CSV, JSON or Parquet file."""
    tz = context.settings.tz
    got = open_download(
        context.stores(),
        operator(),
        name,
        Format(fmt),
        tz=tz,
        start=start.replace(tzinfo=tz) if start else None,
        end=end.replace(tzinfo=tz) if end else None,
    )
    size = 0
    with output.open("wb") as out:
        for chunk in got.chunks:
            out.write(chunk)
            size += len(chunk)
    click.echo(f"wrote {output} ({size} bytes)")

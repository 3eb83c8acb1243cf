"""Commands that set up the stores and move data in and out: init, settings, import, quarantine,
runs, sites, parameters, archive."""

from __future__ import annotations

import getpass
import sys
from pathlib import Path
from typing import Any

import click
from rich.console import Console
from rich.progress import (
    BarColumn,
    DownloadColumn,
    Progress,
    TextColumn,
    TimeRemainingColumn,
    TransferSpeedColumn,
)
from rich.table import Table

from ecodata.bootstrap import initialise
from ecodata.cli.app import Context, cli, emit_json, pass_context
from ecodata.ingest.importing import run_import
from ecodata.ingest.kinds import KINDS
from ecodata.settings import describe, settings_reference
from ecodata.store import archive

console = Console(stderr=True)


@cli.command()
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON.")
@pass_context
def init(context: Context, as_json: bool) -> None:
    """Create or upgrade the stores and seed reference parameters (safe to run again)."""
    report = initialise(context.stores(upgrade=False))
    data = {
        "backend": context.settings.backend,
        "schema_version": report.schema_version,
        "migrations_applied": report.migrations_applied,
        "parameters_added": report.parameters.inserted,
        "parameters_changed": report.parameters.changed,
        "hj212_codes_added": report.hj212_codes,
    }
    if as_json:
        emit_json(data)
        return
    if report.migrations_applied:
        for name in report.migrations_applied:
            click.echo(f"applied migration {name}")
    else:
        click.echo(f"schema is up to date (version {report.schema_version})")
    click.echo(
        f"reference parameters: {report.parameters.inserted} added, "
        f"{report.parameters.changed} changed; HJ 212 codes: {report.hj212_codes} added"
    )


@cli.command("settings")
@click.option("--json", "as_json", is_flag=True, help="Print as JSON.")
@click.option("--reference", is_flag=True, help="List every setting with its variable and default.")
@pass_context
def show_settings(context: Context, as_json: bool, reference: bool) -> None:
    """Print the effective configuration (secrets masked)."""
    if reference:
        rows = settings_reference()
        if as_json:
            emit_json([{"variable": v, "default": d, "description": t} for v, d, t in rows])
            return
        table = Table("variable", "default", "description")
        for row in rows:
            table.add_row(*row)
        Console().print(table)
        return
    data = describe(context.settings)
    if as_json:
        emit_json(data)
        return
    for key, value in _flatten(data):
        click.echo(f"{key} = {value}")


def _flatten(data: dict[str, Any], prefix: str = "") -> list[tuple[str, Any]]:
    out: list[tuple[str, Any]] = []
    for key, value in data.items():
        if isinstance(value, dict):
            out.extend(_flatten(value, f"{prefix}{key}."))
        else:
            out.append((f"{prefix}{key}", value))
    return out


_KIND_HELP = "\n".join(f"  {k.name:<18} {k.summary}" for k in KINDS.values())


@cli.command("import", epilog=f"KINDS:\n\n{_KIND_HELP}")
@click.argument("kind", type=click.Choice(sorted(KINDS)))
@click.argument(
    "paths", nargs=-1, required=True, type=click.Path(exists=True, dir_okay=False, path_type=Path)
)
@click.option("--site", help="Site code to store the data under (openair).")
@click.option("--site-prefix", default="WQ-", show_default=True,
              help="Code prefix of the anonymous sampling points (water-excel).")  # fmt: skip
@click.option("--shift-hours", type=int, default=0, show_default=True,
              help="Move the hour labels of national-hourly files by this many hours.")  # fmt: skip
@click.option("--utc-offset", type=float, default=0.0, show_default=True,
              help="UTC offset of the times in an openair file (hours).")  # fmt: skip
@click.option("--valid-from", help="Date from which imported divisions are valid (YYYY-MM-DD).")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON summary object.")
@click.option("--quiet", is_flag=True, help="No progress bar.")
@pass_context
def import_(
    context: Context,
    kind: str,
    paths: tuple[Path, ...],
    site: str | None,
    site_prefix: str,
    shift_hours: int,
    utc_offset: float,
    valid_from: str | None,
    as_json: bool,
    quiet: bool,
) -> None:
    """Import files of KIND. Re-importing a file adds nothing; bad records go to the quarantine.

    Prints read / stored / duplicate / quarantined; exits with 1 if nothing could be stored.
    """
    stores = context.stores()
    options = {
        "site": site,
        "site_prefix": site_prefix,
        "shift_hours": shift_hours,
        "utc_offset_hours": utc_offset,
        "valid_from": valid_from,
    }
    total = sum(p.stat().st_size for p in paths)
    show = not quiet and sys.stderr.isatty()
    with Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        DownloadColumn(),
        TransferSpeedColumn(),
        TimeRemainingColumn(),
        console=console,
        disable=not show,
        transient=True,
    ) as bar:
        task = bar.add_task(f"import {kind}", total=total)
        summary = run_import(
            stores,
            kind,
            KINDS[kind].importer,
            paths,
            user=getpass.getuser(),
            options=options,
            progress=lambda n: bar.advance(task, n),
        )
    counts = summary.counts
    if as_json:
        emit_json(summary.as_dict())
    else:
        for f in summary.files:
            c = f.counts
            note = f" — {f.message}" if f.message else ""
            click.echo(
                f"{f.path}: read {c.read}, stored {c.stored}, duplicate {c.duplicate}, "
                f"quarantined {c.quarantined} (run {f.run_id}, {f.status}){note}"
            )
        if len(summary.files) > 1:
            click.echo(
                f"total: read {counts.read}, stored {counts.stored}, duplicate "
                f"{counts.duplicate}, quarantined {counts.quarantined}"
            )
        if counts.quarantined:
            click.echo("see the rejected records with `ecodata quarantine list`")
    failed = [f for f in summary.files if f.status == "failed"]
    for f in failed:
        click.secho(f"error: {f.message}", fg="red", err=True)
    if failed or (counts.stored == 0 and counts.duplicate == 0):
        sys.exit(1)


@cli.group()
def quarantine() -> None:
    """Records that were rejected, with where they came from and why."""


@quarantine.command("list")
@click.option("--run", "run_id", type=int, help="Only records of this import run.")
@click.option("--channel", type=click.Choice(["import", "hj212", "api"]), help="Only this channel.")
@click.option("--site", help="Only records of this site code.")
@click.option("--limit", type=int, default=100, show_default=True)
@click.option("--after", type=int, help="Continue after this quarantine id (paging).")
@click.option("--json", "as_json", is_flag=True, help="Print as JSON.")
@pass_context
def quarantine_list(
    context: Context,
    run_id: int | None,
    channel: str | None,
    site: str | None,
    limit: int,
    after: int | None,
    as_json: bool,
) -> None:
    """List quarantined records (oldest first)."""
    rows = context.stores().provenance.quarantined(
        channel=channel, run_id=run_id, site_code=site, limit=limit, after_id=after
    )
    for row in rows:
        raw_bytes = row.pop("raw_bytes", None)
        if raw_bytes is not None:
            row["raw_hex"] = bytes(raw_bytes).hex()
    if as_json:
        emit_json(rows)
        return
    if not rows:
        click.echo("the quarantine is empty" if after is None else "no more records")
        return
    table = Table("id", "run", "source", "position", "reason", "raw")
    for r in rows:
        table.add_row(
            str(r["id"]), str(r["run_id"] or ""), _short(r["source"], 40), r["position"],
            r["reason"], _short(r["raw"], 40),
        )  # fmt: skip
    Console().print(table)


def _short(text: str, width: int) -> str:
    return text if len(text) <= width else "…" + text[-(width - 1) :]


@cli.command("runs")
@click.option("--limit", type=int, default=20, show_default=True)
@click.option("--json", "as_json", is_flag=True, help="Print as JSON.")
@pass_context
def runs(context: Context, limit: int, as_json: bool) -> None:
    """List import runs, newest first (provenance: who, what file, when, counts)."""
    rows = context.stores().provenance.runs(limit=limit)
    if as_json:
        emit_json(rows)
        return
    table = Table("run", "kind", "source", "user", "started", "status", "read", "stored",
                  "duplicate", "quarantined")  # fmt: skip
    for r in rows:
        table.add_row(
            str(r["id"]), r["kind"], _short(r["source"], 40), r["user"],
            r["started_at"].strftime("%Y-%m-%d %H:%M:%S"), r["status"], str(r["read"]),
            str(r["stored"]), str(r["duplicate"]), str(r["quarantined"]),
        )  # fmt: skip
    Console().print(table)


@cli.command("sites")
@click.option("--kind", help="Only sites of this kind (air, water, source-outlet, …).")
@click.option("--json", "as_json", is_flag=True, help="Print as JSON.")
@pass_context
def sites(context: Context, kind: str | None, as_json: bool) -> None:
    """List the sites in the registry."""
    rows = context.stores().registry.sites(kind=kind)
    if as_json:
        emit_json(rows)
        return
    table = Table("code", "kind", "name", "city", "division", "lon", "lat", "status")
    for r in rows:
        table.add_row(
            r["code"], r["kind"], r["name_zh"] or r["name_en"], r["city"], r["division_code"] or "",
            f"{r['longitude']:.4f}" if r["longitude"] is not None else "",
            f"{r['latitude']:.4f}" if r["latitude"] is not None else "", r["status"],
        )  # fmt: skip
    Console().print(table)


@cli.command("parameters")
@click.option("--domain", help="Only this domain (air, meteorology, water, source-air, …).")
@click.option("--json", "as_json", is_flag=True, help="Print as JSON.")
@pass_context
def parameters(context: Context, domain: str | None, as_json: bool) -> None:
    """List the parameters (codes, names, units)."""
    rows = context.stores().registry.parameters(domain=domain)
    if as_json:
        emit_json(rows)
        return
    table = Table("code", "name", "unit", "domain", "HJ 212", "HJ/T 212-2005", "published")
    for r in rows:
        table.add_row(
            r["code"], r["name_zh"] or r["name_en"], r["unit"], r["domain"], r["hj212_code"] or "",
            r["hj2005_code"] or "", "yes" if r["published"] else "",
        )  # fmt: skip
    Console().print(table)


@cli.group("archive")
def archive_group() -> None:
    """The Parquet archive of closed months (open bulk download, Spark input)."""


@archive_group.command("export")
@click.option("--before", help="Export months before this one (YYYY-MM); default: this month.")
@click.option("--to", "destination", type=click.Path(file_okay=False, path_type=Path),
              help="Archive folder (default: the archive_dir setting).")  # fmt: skip
@click.option("--json", "as_json", is_flag=True, help="Print the partitions as JSON.")
@pass_context
def archive_export(
    context: Context, before: str | None, destination: Path | None, as_json: bool
) -> None:
    """Write every closed month to the Hive-partitioned Parquet archive."""
    limit = None
    if before:
        try:
            year, month = (int(x) for x in before.split("-"))
            limit = (year, month)
        except ValueError:
            raise click.BadParameter("use YYYY-MM", param_hint="--before") from None
    stores = context.stores()
    with Progress(console=console, disable=not sys.stderr.isatty(), transient=True) as bar:
        task = bar.add_task("export months", total=None)
        parts = archive.export(
            stores,
            before=limit,
            destination=destination,
            progress=lambda done, total: bar.update(task, completed=done, total=total),
        )
    if as_json:
        emit_json(archive.partition_dicts(parts))
        return
    written = [p for p in parts if p.written]
    for p in written:
        click.echo(f"wrote {p.path} ({p.rows} rows)")
    click.echo(f"{len(written)} partitions written, {len(parts) - len(written)} unchanged")

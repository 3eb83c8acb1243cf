"""Commands that apply the national standards: ``aqi calc``, ``aqi compute``, ``verify aqi``,
``verify water``."""

from __future__ import annotations

import math
import sys
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import click
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from ecodata.cli.app import Context, cli, emit_json, pass_context
from ecodata.evaluation.periods import parse_bound
from ecodata.standards import hj633
from ecodata.standards.hj633_tables import EDITIONS, POLLUTANT_NAMES, RECORD_KEYS

console = Console(stderr=True)
CALC_NAMES = ("so2", "no2", "co", "o3", "o3_8h", "pm10", "pm2_5")


def _span(context: Context, start: str | None, end: str | None) -> tuple[Any, Any]:
    tz = context.settings.tz
    return (
        parse_bound(start, tz=tz) if start else None,
        parse_bound(end, end=True, tz=tz) if end else None,
    )


def _progress(description: str, quiet: bool) -> Progress:
    return Progress(
        TextColumn(f"[bold]{description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("months"),
        TimeElapsedColumn(),
        console=console,
        disable=quiet or not sys.stderr.isatty(),
        transient=True,
    )


def _advance(bar: Progress, task: Any) -> Callable[[int, int], None]:
    return lambda done, total: bar.update(task, completed=done, total=total)


_FROM = click.option("--from", "start", metavar="DATE", help="First local day (YYYY-MM-DD) or "
                     "ISO time; default: the first stored hour.")  # fmt: skip
_TO = click.option("--to", "end", metavar="DATE", help="Last local day, included (YYYY-MM-DD), "
                   "or an ISO time, excluded; default: the last stored hour.")  # fmt: skip


# -- ecodata aqi ----------------------------------------------------------------------------------


@cli.group("aqi")
def aqi_group() -> None:
    """Air quality index (HJ 633-2012 / HJ 633-2026): one record, or every station, city and
    province from the stored hourly data."""


def _parse_values(values: tuple[str, ...]) -> dict[str, float]:
    parsed: dict[str, float] = {}
    for item in values:
        name, sep, text = item.partition("=")
        name = name.strip().lower().replace(".", "_")
        if not sep or not name:
            raise click.BadParameter(f"{item!r}: write NAME=VALUE, e.g. pm2_5=53")
        if name not in RECORD_KEYS:
            raise click.BadParameter(
                f"{item!r}: unknown pollutant {name!r}; use {', '.join(CALC_NAMES)} "
                "(µg/m³, CO mg/m³)"
            )
        try:
            number = float(text)
        except ValueError:
            raise click.BadParameter(f"{item!r}: {text!r} is not a number") from None
        if not math.isfinite(number) or number < 0:
            raise click.BadParameter(f"{item!r}: a concentration must be a number ≥ 0")
        if name in parsed:
            raise click.BadParameter(f"{item!r}: {name} is given twice")
        parsed[name] = number
    return parsed


@aqi_group.command("calc")
@click.argument("values", nargs=-1, required=True, metavar="NAME=VALUE…")
@click.option("--version", "edition", type=click.Choice([e.version for e in EDITIONS]),
              help="HJ 633 edition; default: the one in force today.")  # fmt: skip
@click.option("--period", type=click.Choice(["hour", "day"]), default="hour", show_default=True,
              help="hour: real-time report (1-h values); day: daily report (daily values; "
              "o3 = daily maximum 1-h, o3_8h = daily maximum 8-h mean).")  # fmt: skip
@click.option("--json", "as_json", is_flag=True, help="Print iaqi, aqi, level, category, primary "
              "(and more) as JSON.")  # fmt: skip
def aqi_calc(values: tuple[str, ...], edition: str | None, period: str, as_json: bool) -> None:
    """Compute the AQI of one record from the command line.

    NAME is so2, no2, co, o3, o3_8h, pm10 or pm2_5; VALUE in µg/m³ (CO in mg/m³). Example:

        ecodata aqi calc --version 2012 so2=15 no2=75 co=1.2 o3=20 pm10=76 pm2_5=53
    """
    concentrations = _parse_values(values)
    version = edition or hj633.version_for(datetime.now(UTC))
    result = hj633.calc_record(concentrations, version=version, period=period)
    data = result.to_json()
    category = result.category
    out = {
        "standard": data["standard"],
        "version": result.version,
        "period": result.period,
        "concentrations": data["concentrations"],
        "iaqi": data["iaqi"],
        "aqi": result.aqi,
        "aqi_status": result.aqi_status,
        "level": result.level,
        "category": category.name_zh if category else None,
        "category_en": category.name_en if category else None,
        "colour": category.hex if category else None,
        "primary": list(result.primary),
        "primary_indicators": list(result.primary_indicators),
        "notes": list(result.notes),
    }
    if as_json:
        emit_json(out)
        return
    table = Table("indicator", "concentration", "IAQI", title=f"{out['standard']}, {period}ly")
    for sub in result.sub_indices:
        unit = "mg/m³" if sub.pollutant == "co" else "µg/m³"
        shown = "" if sub.concentration is None else f"{sub.concentration:g} {unit}"
        table.add_row(sub.key, shown, "" if sub.value is None else str(sub.value))
    Console().print(table)
    if result.aqi is None:
        click.echo(f"AQI: none ({result.aqi_status})")
    else:
        click.echo(f"AQI: {result.aqi}")
    if category:
        click.echo(f"level {result.level}: {category.name_zh} ({category.name_en}, "
                   f"{category.colour_en})")  # fmt: skip
    names = [POLLUTANT_NAMES[p][1] for p in result.primary]
    click.echo(f"primary pollutant: {', '.join(names) if names else 'none (AQI ≤ 50)'}")
    for note in result.notes:
        click.echo(f"note: {note}")


@aqi_group.command("compute")
@_FROM
@_TO
@click.option("--json", "as_json", is_flag=True, help="Print the summary as JSON.")
@click.option("--quiet", is_flag=True, help="No progress bar.")
@pass_context
def aqi_compute(
    context: Context, start: str | None, end: str | None, as_json: bool, quiet: bool
) -> None:
    """(Re)compute hourly and daily AQI of every station, city and province and store it.

    City values are the means of the city's stations (control stations left out), province values
    the means of their cities. A recomputation replaces the results of its period; the API serves
    them under /api/v1/aqi and /api/v1/rankings.
    """
    from ecodata.evaluation.aqi_compute import compute_aqi

    lo, hi = _span(context, start, end)
    stores = context.stores()
    with _progress("compute AQI", quiet) as bar:
        task = bar.add_task("compute", total=None)
        summary = compute_aqi(stores, start=lo, end=hi, progress=_advance(bar, task))
    data = summary.to_json()
    if as_json:
        emit_json(data)
        return
    if not summary.months:
        click.echo("no hourly air data in that period; nothing computed")
        return
    click.echo(f"computed {data['start']} – {data['end']} ({summary.months} months) in "
               f"{summary.seconds:.1f} s")  # fmt: skip
    table = Table("scope", "hourly rows", "daily rows")
    for scope in summary.hour_rows:
        table.add_row(scope, str(summary.hour_rows[scope]), str(summary.day_rows.get(scope, 0)))
    Console().print(table)


# -- ecodata verify -------------------------------------------------------------------------------


@cli.group("verify")
def verify_group() -> None:
    """Check our computations against officially published figures (for auditors)."""


def _fail_under(rate: float | None, threshold: float | None) -> None:
    if threshold is not None and (rate is None or rate < threshold):
        shown = "none" if rate is None else f"{rate:.4%}"
        click.secho(f"match rate {shown} is below {threshold:.4%}", fg="red", err=True)
        sys.exit(1)


_FAIL_UNDER = click.option(
    "--fail-under",
    type=click.FloatRange(0, 1),
    metavar="RATE",
    help="Exit with 1 if the match rate is below RATE (e.g. 0.995).",
)


def _print_mismatches(report: dict[str, Any], describe: Callable[[dict[str, Any]], str]) -> None:
    if not report["mismatches"]:
        click.echo("no mismatches")
        return
    table = Table("cause", "count", "meaning", "example")
    for cause, n in report["mismatches"].items():
        examples = report["examples"].get(cause) or []
        table.add_row(cause, str(n), report["causes"][cause],
                      describe(examples[0]) if examples else "")  # fmt: skip
    Console(width=max(Console().width, 120)).print(table)


@verify_group.command("aqi")
@_FROM
@_TO
@_FAIL_UNDER
@click.option("--json", "as_json", is_flag=True, help="Print the full report as JSON.")
@click.option("--quiet", is_flag=True, help="No progress bar.")
@pass_context
def verify_aqi_command(
    context: Context,
    start: str | None,
    end: str | None,
    fail_under: float | None,
    as_json: bool,
    quiet: bool,
) -> None:
    """Recompute hourly AQI from the stored concentrations and compare it with the stored
    published AQI: compared, matched, match rate, mismatches by cause.

    The headline counts station-hours with all six concentrations; those with a missing one are
    reported apart (incomplete_inputs). Every mismatch kind is explained in docs/standards.md.
    """
    from ecodata.evaluation.air_verification import verify_aqi

    lo, hi = _span(context, start, end)
    with _progress("verify AQI", quiet) as bar:
        task = bar.add_task("verify", total=None)
        report = verify_aqi(
            context.stores(), start=lo, end=hi, progress=_advance(bar, task)
        ).to_json()
    if as_json:
        emit_json(report)
    else:
        click.echo(f"period: {report['start']} – {report['end']}")
        click.echo(f"rule: {report['rule']}")
        _print_rate("station-hours with complete inputs", report)
        _print_mismatches(report, _describe_aqi)
        _print_rate("station-hours with a missing input", report["incomplete_inputs"])
    _fail_under(report["match_rate"], fail_under)


def _print_rate(label: str, report: dict[str, Any]) -> None:
    rate = report["match_rate"]
    shown = "n/a" if rate is None else f"{rate:.3%}"
    click.echo(f"{label}: compared {report['compared']}, matched {report['matched']} ({shown})")


def _shown(value: float | None) -> str:
    return "none" if value is None else f"{value:g}"


def _describe_aqi(example: dict[str, Any]) -> str:
    return (f"{example['site']} {example['time']}: computed {_shown(example['computed'])}, "
            f"published {_shown(example['published'])}")  # fmt: skip


def _describe_water(example: dict[str, Any]) -> str:
    computed = ", ".join(f"{k} {v}" for k, v in example["computed"].items())
    return f"{example['site']} {example['time'][:10]}: published {example['published']}, {computed}"


@verify_group.command("water")
@_FROM
@_TO
@_FAIL_UNDER
@click.option("--json", "as_json", is_flag=True, help="Print the full report as JSON.")
@pass_context
def verify_water_command(
    context: Context, start: str | None, end: str | None, fail_under: float | None, as_json: bool
) -> None:
    """Recompute the GB 3838-2002 class of every stored reading with a published class and
    compare: readings with pH, DO, CODMn, NH3-N and TP count.

    Sections of unknown type (river or lake/reservoir) are classified under both rules and
    reported apart; they match when either rule gives the published class.
    """
    from ecodata.evaluation.water_quality import verify_water

    lo, hi = _span(context, start, end)
    report = verify_water(context.stores(), start=lo, end=hi)
    if as_json:
        emit_json(report)
    else:
        _print_rate("readings with all five items", report)
        for kind, counts in report["by_section_type"].items():
            details = ", ".join(f"{k} {v}" for k, v in counts.items())
            click.echo(f"  section type {kind}: {details}")
        _print_mismatches(report, _describe_water)
        _print_rate("valid data only (no flagged value)", report["valid_data_only"])
    _fail_under(report["match_rate"], fail_under)

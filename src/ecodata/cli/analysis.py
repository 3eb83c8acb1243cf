"""``ecodata analyze …``: trends, profiles, roses, interpolated fields, forecasts, warnings and
the haze case base over the stored data (methods in :mod:`ecodata.analysis`)."""

from __future__ import annotations

import math
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

import click
import numpy as np
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from ecodata.cli.app import Context, cli, emit_json, pass_context
from ecodata.evaluation.periods import parse_bound

if TYPE_CHECKING:
    from ecodata.analysis.figures import ImageFormat
    from ecodata.analysis.forecast import ModelKind

console = Console(stderr=True)
IMAGE_SUFFIXES: dict[str, ImageFormat] = {".png": "png", ".svg": "svg"}


@contextmanager
def _progress(description: str, unit: str, quiet: bool) -> Iterator[Callable[[int, int], None]]:
    """A rich progress bar on stderr (only on a terminal); yields ``advance(done, total)``."""
    bar = Progress(
        TextColumn(f"[bold]{description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn(unit),
        TimeElapsedColumn(),
        console=console,
        disable=quiet or not sys.stderr.isatty(),
        transient=True,
    )
    with bar:
        task = bar.add_task(description, total=None)
        yield lambda done, total: bar.update(task, completed=done, total=total)


def _span(context: Context, start: str | None, end: str | None) -> tuple[Any, Any]:
    tz = context.settings.tz
    return (
        parse_bound(start, tz=tz) if start else None,
        parse_bound(end, end=True, tz=tz) if end else None,
    )


def _image_format(path: Path | None) -> ImageFormat | None:
    if path is None:
        return None
    fmt = IMAGE_SUFFIXES.get(path.suffix.lower())
    if fmt is None:
        raise click.BadParameter(
            f"{path}: the file name must end in .png or .svg", param_hint="--plot"
        )
    return fmt


def _write(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    console.print(f"written {path}")


_SITE = click.option("--site", required=True, metavar="CODE", help="Station code, e.g. 1003A.")
_FROM = click.option(
    "--from",
    "start",
    metavar="DATE",
    help="First local day (YYYY-MM-DD) or ISO time; default: all data.",
)
_TO = click.option(
    "--to",
    "end",
    metavar="DATE",
    help="Last local day, included (YYYY-MM-DD), or an ISO time, excluded.",
)
_JSON = click.option("--json", "as_json", is_flag=True, help="Print the result as JSON.")
_PLOT = click.option(
    "--plot",
    type=click.Path(dir_okay=False, path_type=Path),
    metavar="FILE",
    help="Also draw the figure to FILE (.png or .svg).",
)
_QUIET = click.option("--quiet", is_flag=True, help="No progress bar.")


@cli.group("analyze")
def analyze_group() -> None:
    """Analyses of the stored data: trends, profiles, roses, maps, forecasts, warnings, haze.

    Methods, references and validation: docs/analysis.md.
    """


# -- trend ----------------------------------------------------------------------------------------


@analyze_group.command("trend")
@_SITE
@click.option("--parameter", required=True, metavar="NAME", help="Parameter code, e.g. pm2_5.")
@click.option("--deseason", is_flag=True, help="Remove the seasonal cycle first (STL).")
@click.option(
    "--avg",
    "avg_time",
    type=click.Choice(["month", "year"]),
    default="month",
    show_default=True,
    help="Averaging period of the values the slope is fitted to.",
)
@click.option(
    "--autocorrelation",
    is_flag=True,
    help="Block bootstrap for serially correlated values (wider interval).",
)
@click.option("--smooth", is_flag=True, help="Add the smooth trend (spline with a 95 % band).")
@click.option("--change-points", is_flag=True, help="Add change points in the mean (PELT).")
@click.option(
    "--data-capture",
    type=click.FloatRange(0, 1),
    default=0.75,
    show_default=True,
    help="Share of a month's hours that must be valid for it to count (0: any).",
)
@_FROM
@_TO
@_JSON
@_PLOT
@_QUIET
@pass_context
def trend_command(
    context: Context,
    site: str,
    parameter: str,
    deseason: bool,
    avg_time: str,
    autocorrelation: bool,
    smooth: bool,
    change_points: bool,
    data_capture: float,
    start: str | None,
    end: str | None,
    as_json: bool,
    plot: Path | None,
    quiet: bool,
) -> None:
    """Theil–Sen trend per year with its 95 % bootstrap interval and the Mann–Kendall p value
    (openair's TheilSen), from the station's hourly values averaged by month (or year).

        ecodata analyze trend --site 1003A --parameter pm2_5 --deseason --json
    """
    from ecodata.analysis import figures
    from ecodata.analysis.store_analyses import trend_of

    fmt = _image_format(plot)
    lo, hi = _span(context, start, end)
    with _progress("trend", "resamples", quiet) as advance:
        report = trend_of(
            context.stores(),
            site,
            parameter,
            deseason=deseason,
            avg_time="year" if avg_time == "year" else "month",
            smooth=smooth,
            change_points=change_points,
            data_capture=data_capture,
            autocorrelation=autocorrelation,
            start=lo,
            end=hi,
            progress=advance,
        )
    if plot is not None and fmt is not None:
        _write(plot, figures.trend_figure(report.trend, fmt=fmt))
    data = report.to_json()
    if as_json:
        emit_json(data)
        return
    t = report.trend
    click.echo(
        f"{site} {parameter}: {t.slope:.3g} [{t.lower:.3g}, {t.upper:.3g}] {t.units} "
        f"{t.stars}  (p = {t.p:.2g}, {t.n} {t.avg_time}s {t.start:%Y-%m} – {t.end:%Y-%m}"
        f"{', deseasonalised' if t.deseasonalised else ''})"
    )
    click.echo(f"relative: {t.slope_percent:.2f} %/year")
    if report.changes is not None:
        shown = ", ".join(f"{c:%Y-%m}" for c in report.changes.times) or "none"
        click.echo(f"change points: {shown}")


# -- profile --------------------------------------------------------------------------------------


def _names(text: str) -> list[str]:
    names = [n.strip() for n in text.split(",") if n.strip()]
    if not names:
        raise click.BadParameter("name at least one parameter, e.g. pm2_5,no2")
    return names


@analyze_group.command("profile")
@_SITE
@click.option(
    "--parameter",
    required=True,
    metavar="NAMES",
    help="Parameter code(s), comma-separated: pm2_5,no2.",
)
@click.option(
    "--statistic",
    type=click.Choice(["mean", "median"]),
    default="mean",
    show_default=True,
    help="Mean with a 95 % interval, or median with quartiles.",
)
@click.option("--normalise", is_flag=True, help="Divide by the overall mean (compare shapes).")
@_FROM
@_TO
@_JSON
@_PLOT
@pass_context
def profile_command(
    context: Context,
    site: str,
    parameter: str,
    statistic: str,
    normalise: bool,
    start: str | None,
    end: str | None,
    as_json: bool,
    plot: Path | None,
) -> None:
    """Profiles by hour of day, day of week, month and hour × weekday (openair's
    timeVariation), in local time."""
    from ecodata.analysis import figures
    from ecodata.analysis.store_analyses import profile_of

    fmt = _image_format(plot)
    lo, hi = _span(context, start, end)
    result = profile_of(
        context.stores(),
        site,
        _names(parameter),
        statistic="median" if statistic == "median" else "mean",
        normalise=normalise,
        start=lo,
        end=hi,
    )
    if plot is not None and fmt is not None:
        _write(plot, figures.time_variation_figure(result, fmt=fmt))
    if as_json:
        emit_json({"site": site, **result.to_json()})
        return
    table = Table("parameter", "hour", statistic, "lower", "upper", "n", title=f"{site} by hour")
    for row in result.hour.itertuples(index=False):
        table.add_row(
            str(row.parameter),
            str(row.hour),
            f"{row.value:.1f}",
            f"{row.lower:.1f}",
            f"{row.upper:.1f}",
            str(row.n),
        )
    Console().print(table)


# -- rose -----------------------------------------------------------------------------------------


@analyze_group.command("rose")
@_SITE
@click.option(
    "--parameter",
    default="pm2_5",
    show_default=True,
    metavar="NAME",
    help="Pollutant whose value intervals are counted by wind direction.",
)
@click.option(
    "--angle",
    type=click.Choice(["10", "15", "22.5", "30", "45", "90"]),
    default="30",
    show_default=True,
    help="Width of a direction sector in degrees.",
)
@_FROM
@_TO
@_JSON
@_PLOT
@pass_context
def rose_command(
    context: Context,
    site: str,
    parameter: str,
    angle: str,
    start: str | None,
    end: str | None,
    as_json: bool,
    plot: Path | None,
) -> None:
    """Pollution rose: percent of hours by wind sector and value interval (openair's
    pollutionRose, quartile intervals), calms apart."""
    from ecodata.analysis import figures
    from ecodata.analysis.store_analyses import rose_of

    fmt = _image_format(plot)
    lo, hi = _span(context, start, end)
    result = rose_of(context.stores(), site, parameter, angle=float(angle), start=lo, end=hi)
    if plot is not None and fmt is not None:
        _write(plot, figures.pollution_rose_figure(result, fmt=fmt))
    if as_json:
        emit_json({"site": site, **result.to_json()})
        return
    table = Table("sector", *result.table.columns, "mean", title=f"{site} {parameter} (% of hours)")
    for sector, row in result.table.iterrows():
        mean = result.mean.get(sector)
        table.add_row(
            f"{sector:g}°",
            *(f"{v:.1f}" for v in row),
            "" if mean is None or math.isnan(mean) else f"{mean:.0f}",
        )
    Console().print(table)
    click.echo(f"calm: {result.calm:.1f} % of {result.n} hours")


# -- grid -----------------------------------------------------------------------------------------


@analyze_group.command("grid")
@click.option(
    "--region",
    required=True,
    metavar="ADCODE|NAME",
    help="Province, city or district: 110000, 北京市, 130100 …",
)
@click.option("--parameter", default="pm2_5", show_default=True, metavar="NAME")
@click.option(
    "--date",
    "when",
    required=True,
    metavar="DATE|TIME",
    help="A local day (daily means) or an ISO hour, e.g. 2016-12-20 or 2016-12-20T08:00.",
)
@click.option(
    "--method", type=click.Choice(["kriging", "idw"]), default="kriging", show_default=True
)
@click.option(
    "--step",
    type=click.FloatRange(0.005, 1.0),
    default=0.05,
    show_default=True,
    help="Grid cell size in degrees.",
)
@click.option(
    "--geojson",
    type=click.Path(dir_okay=False, path_type=Path),
    metavar="FILE",
    help="Write the field as GeoJSON (grid cells and stations).",
)
@_JSON
@_PLOT
@pass_context
def grid_command(
    context: Context,
    region: str,
    parameter: str,
    when: str,
    method: str,
    step: float,
    geojson: Path | None,
    as_json: bool,
    plot: Path | None,
) -> None:
    """Interpolate station values over a region (ordinary kriging or IDW) with leave-one-out
    scores; regions come from the GeoJSON under ECODATA_WEB__REGIONS_DIR."""
    import json

    from ecodata.analysis import figures
    from ecodata.analysis.store_analyses import grid_of

    fmt = _image_format(plot)
    field = grid_of(
        context.stores(),
        context.settings.web.regions_dir,
        region,
        parameter,
        when,
        method="idw" if method == "idw" else "kriging",
        step=step,
    )
    collection = field.to_geojson()
    if geojson is not None:
        _write(geojson, json.dumps(collection, ensure_ascii=False).encode())
    if plot is not None and fmt is not None:
        _write(plot, figures.field_figure(field, fmt=fmt))
    if as_json:
        emit_json(collection)
        return
    values = field.values[~np.isnan(field.values)]
    click.echo(
        f"{field.region.name} ({field.region.code}) {parameter} {when}, {method}: "
        f"{len(field.stations)} stations, {values.size} cells, "
        f"{values.min():.1f} … {values.max():.1f} {field.units}"
    )
    if field.cv is not None:
        cv = field.cv
        click.echo(f"leave-one-out: RMSE {cv.rmse:.1f}, MAE {cv.mae:.1f}, r {cv.r:.2f}")


# -- forecasts ------------------------------------------------------------------------------------


def _targets(text: str) -> list[str]:
    from ecodata.analysis.station_forecast import TARGETS

    names = _names(text)
    bad = [n for n in names if n not in TARGETS]
    if bad:
        raise click.BadParameter(f"{bad[0]!r}: targets are {', '.join(TARGETS)}")
    return names


def _horizons(text: str | None) -> tuple[int, ...] | None:
    if not text:
        return None
    try:
        values = tuple(int(v) for v in text.split(","))
    except ValueError:
        raise click.BadParameter(f"{text!r}: give hours as 1,24,48") from None
    if min(values) < 1 or max(values) > 240:
        raise click.BadParameter(f"{text!r}: hours must be within 1..240")
    return values


def _rules(context: Context) -> Any:
    from ecodata.analysis.warning import WarningRules

    w = context.settings.warning
    return WarningRules(heavy=w.heavy, severe=w.severe, extreme=w.extreme)


_MODEL = click.option(
    "--model",
    "kind",
    type=click.Choice(["blend", "gbm", "ridge"]),
    default="blend",
    show_default=True,
    help="blend: boosted trees and ridge regression averaged per horizon.",
)


def _train(
    context: Context,
    site: str,
    target: str,
    kind: str,
    horizons: tuple[int, ...] | None,
    quiet: bool,
) -> Any:
    from ecodata.analysis.forecast import PATH_HORIZONS
    from ecodata.analysis.station_forecast import train_city_model

    with _progress(f"train {target}", "horizons", quiet) as advance:
        return train_city_model(
            context.stores(),
            site,
            data_dir=context.settings.data_dir,
            target=target,
            kind=cast("ModelKind", kind),
            horizons=horizons or PATH_HORIZONS,
            progress=advance,
        )


@analyze_group.command("forecast-train")
@_SITE
@click.option(
    "--target",
    default="pm2_5,aqi",
    show_default=True,
    metavar="NAMES",
    help="pm2_5, aqi or both (comma-separated).",
)
@_MODEL
@click.option(
    "--horizons",
    metavar="HOURS",
    help="Anchor horizons, e.g. 1,24,48,72,96; default: 19 anchors from 1 to 96 h.",
)
@_JSON
@_QUIET
@pass_context
def forecast_train_command(
    context: Context,
    site: str,
    target: str,
    kind: str,
    horizons: str | None,
    as_json: bool,
    quiet: bool,
) -> None:
    """Train the forecast model of the station's city on all stored data and save it in the
    data directory (models/); the API and the web pages serve forecasts from it. Run it again
    (e.g. daily) to learn from new data."""
    out = []
    for name in _targets(target):
        model = _train(context, site, name, kind, _horizons(horizons), quiet)
        out.append(model.to_json())
        if not as_json:
            click.echo(
                f"{name}: {model.forecaster.kind} model of {model.city} "
                f"({len(model.sites)} stations, {model.rows} rows, "
                f"{model.data_start:%Y-%m-%d} – {model.data_end:%Y-%m-%d}) trained in "
                f"{model.forecaster.seconds:.0f} s"
            )
    if as_json:
        emit_json(out)


@analyze_group.command("forecast")
@_SITE
@click.option(
    "--target",
    default="pm2_5,aqi",
    show_default=True,
    metavar="NAMES",
    help="pm2_5, aqi or both; the AQI forecast carries the warning level.",
)
@click.option(
    "--at",
    metavar="TIME",
    help="Issue time (ISO, local if no offset); default: the station's newest hour of PM2.5.",
)
@click.option("--hours", type=click.IntRange(1, 96), default=96, show_default=True)
@_MODEL
@_JSON
@_PLOT
@_QUIET
@pass_context
def forecast_command(
    context: Context,
    site: str,
    target: str,
    at: str | None,
    hours: int,
    kind: str,
    as_json: bool,
    plot: Path | None,
    quiet: bool,
) -> None:
    """Forecast path 1–96 h of a station and the heavy-pollution warning of its AQI forecast
    (2017 national grading, thresholds ECODATA_WARNING__*). A missing city model is trained
    first (--model), which takes minutes."""
    from ecodata.analysis import figures
    from ecodata.analysis.station_forecast import forecast_site
    from ecodata.errors import ConflictError

    fmt = _image_format(plot)
    issue = _parse_time(context, at)
    results = {}
    for name in _targets(target):
        try:
            result = forecast_site(
                context.stores(),
                site,
                data_dir=context.settings.data_dir,
                target=name,
                at=issue,
                hours=hours,
                rules=_rules(context),
            )
        except ConflictError:
            console.print(f"no {name} model for the city of {site} yet: training it ({kind})")
            _train(context, site, name, kind, None, quiet)
            result = forecast_site(
                context.stores(),
                site,
                data_dir=context.settings.data_dir,
                target=name,
                at=issue,
                hours=hours,
                rules=_rules(context),
            )
        results[name] = result
    if plot is not None and fmt is not None:
        first = next(iter(results.values()))
        predicted = _series(first.times, first.values)
        observed = first.observed[
            first.observed.index > first.issue_time - (predicted.index[-1] - first.issue_time)
        ]
        title = f"{site} {first.target} forecast issued {first.issue_time:%Y-%m-%d %H:%M}"
        _write(plot, figures.forecast_figure(observed, predicted, title=title, fmt=fmt))
    data: dict[str, Any] = {"site": site, "forecasts": {k: r.to_json() for k, r in results.items()}}
    warning = results["aqi"].warning if "aqi" in results else None
    if warning is not None:
        data["warning"] = warning.to_json()
    if as_json:
        emit_json(data)
        return
    for name, r in results.items():
        table = Table(
            "hours ahead",
            "time",
            f"{name} ({r.units or 'index'})",
            title=f"{site} {name}, issued {r.issue_time:%Y-%m-%d %H:%M}",
        )
        for h in [1, 3, 6, 12, 24, 36, 48, 72, 96]:
            if h <= len(r.values):
                table.add_row(str(h), f"{r.times[h - 1]:%m-%d %H:%M}", f"{r.values[h - 1]:.0f}")
        Console().print(table)
    if warning is not None:
        daily = ", ".join(f"{v:.0f}" for v in warning.daily_aqi)
        click.echo(
            f"warning: {warning.level.label_zh} ({warning.level.label}) — {warning.rule}; "
            f"daily AQI {daily}"
        )


def _series(times: list[Any], values: list[float]) -> Any:
    import pandas as pd

    return pd.Series(values, index=pd.DatetimeIndex(times))


def _parse_time(context: Context, text: str | None) -> datetime | None:
    if not text:
        return None
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise click.BadParameter(f"{text!r} is not an ISO time", param_hint="--at") from None
    return moment if moment.tzinfo else moment.replace(tzinfo=context.settings.tz)


@analyze_group.command("forecast-eval")
@click.option(
    "--site",
    default="1001A",
    show_default=True,
    metavar="CODE",
    help="Evaluate the stations of this station's city.",
)
@click.option("--sites", metavar="CODES", help="Or exactly these stations (comma-separated).")
@click.option("--target", type=click.Choice(["pm2_5", "aqi"]), default="pm2_5", show_default=True)
@click.option(
    "--train-end",
    default="2016-03-01",
    show_default=True,
    metavar="DATE",
    help="Train on data before this local day.",
)
@click.option(
    "--test-end",
    default="2017-03-01",
    show_default=True,
    metavar="DATE",
    help="Score forecasts whose target lies before this local day.",
)
@click.option("--horizons", default="1,6,24,48,72,96", show_default=True, metavar="HOURS")
@click.option("--models", default="blend,gbm,ridge,persistence", show_default=True, metavar="NAMES")
@_JSON
@_QUIET
@pass_context
def forecast_eval_command(
    context: Context,
    site: str,
    sites: str | None,
    target: str,
    train_end: str,
    test_end: str,
    horizons: str,
    models: str,
    as_json: bool,
    quiet: bool,
) -> None:
    """Evaluate the forecasts by time (defaults: the Beijing evaluation — train before
    2016-03-01, test 2016-03-01 … 2017-02-28): RMSE and MAE per model and horizon, the means
    of the per-station scores. Training takes long (minutes per model and horizon)."""
    import pandas as pd

    from ecodata.analysis.forecast import MODEL_KINDS
    from ecodata.analysis.station_forecast import evaluate_city

    kinds = _names(models)
    bad = [k for k in kinds if k not in MODEL_KINDS]
    if bad:
        raise click.BadParameter(f"{bad[0]!r}: models are {', '.join(MODEL_KINDS)}")
    tz = context.settings.tz
    bounds = [pd.Timestamp(parse_bound(d, tz=tz)) for d in (train_end, test_end)]
    with _progress("forecast evaluation", "fits", quiet) as advance:
        result = evaluate_city(
            context.stores(),
            site,
            target=target,
            train_end=bounds[0],
            test_end=bounds[1],
            horizons=_horizons(horizons) or (),
            models=cast("list[ModelKind]", kinds),
            sites=_names(sites) if sites else None,
            progress=advance,
        )
    data = result.to_json()
    if as_json:
        emit_json(data)
        return
    table = Table(
        "model",
        "horizon (h)",
        "RMSE",
        "MAE",
        "n",
        title=f"{target}: train < {train_end}, test {train_end} … {test_end}",
    )
    for row in data["rows"]:
        table.add_row(
            row["model"],
            str(row["horizon_h"]),
            f"{row['rmse']:.1f}",
            f"{row['mae']:.1f}",
            str(row["n"]),
        )
    Console().print(table)


# -- warnings and haze ----------------------------------------------------------------------------


@analyze_group.command("warnings")
@_JSON
@pass_context
def warnings_command(context: Context, as_json: bool) -> None:
    """Current heavy-pollution warnings: the newest AQI forecast of every station with a
    trained AQI model, graded by the 2017 national rules (thresholds ECODATA_WARNING__*)."""
    from ecodata.analysis.station_forecast import current_warnings

    rows = current_warnings(
        context.stores(), data_dir=context.settings.data_dir, rules=_rules(context)
    )
    if as_json:
        emit_json(rows)
        return
    if not rows:
        click.echo("no AQI forecast model trained (ecodata analyze forecast-train --target aqi)")
        return
    table = Table("station", "issued", "level", "daily AQI", "rule")
    for r in rows:
        daily = ", ".join("—" if v is None else f"{v:.0f}" for v in r["daily_aqi"])
        table.add_row(r["site"], r["issue_time"][:16], r["label_zh"], daily, r["rule"])
    Console().print(table)


@analyze_group.command("haze")
@_SITE
@click.option(
    "--threshold",
    type=click.FloatRange(0, 500),
    default=200.0,
    show_default=True,
    help="24-h mean AQI above which an hour is heavy (200: 重度污染).",
)
@_FROM
@_TO
@_JSON
@pass_context
def haze_command(
    context: Context,
    site: str,
    threshold: float,
    start: str | None,
    end: str | None,
    as_json: bool,
) -> None:
    """The haze case base of a station: heavy-pollution episodes detected from its hourly AQI
    (HJ 633) with dates, peak, duration, mean meteorology and primary pollutant."""
    from ecodata.analysis.store_analyses import haze_of

    lo, hi = _span(context, start, end)
    episodes = haze_of(context.stores(), site, threshold=threshold, start=lo, end=hi)
    if as_json:
        emit_json([e.to_json() for e in episodes])
        return
    table = Table(
        "start",
        "end",
        "hours",
        "peak AQI",
        "peak 24-h",
        "primary",
        "RH %",
        "wind m/s",
        title=f"{site}: {len(episodes)} episodes (24-h AQI > {threshold:g})",
    )
    for e in episodes:
        m = e.meteorology
        table.add_row(
            f"{e.start:%Y-%m-%d %H:%M}",
            f"{e.end:%Y-%m-%d %H:%M}",
            str(e.duration_h),
            f"{e.peak_aqi:.0f}",
            f"{e.peak_daily_aqi:.0f}",
            e.primary_pollutant or "",
            _num(m.get("rh")),
            _num(m.get("ws")),
        )
    Console().print(table)


def _num(value: float | None) -> str:
    return "" if value is None or math.isnan(value) else f"{value:.1f}"

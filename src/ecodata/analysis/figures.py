"""PNG and SVG renderings of the analysis results (matplotlib, Agg backend).

Each function takes a result object and returns the image bytes; nothing is written to disk.
The backend is selected inside the functions so that importing this module changes nothing.
"""

from __future__ import annotations

import io
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
import pandas as pd

from ecodata.errors import InputError

if TYPE_CHECKING:
    from ecodata.analysis.correlation import CorrelationMatrix
    from ecodata.analysis.polar import PolarSurface, PollutionRose
    from ecodata.analysis.profiles import TimeVariation
    from ecodata.analysis.smooth_trend import SmoothTrend
    from ecodata.analysis.spatial import SpatialField
    from ecodata.analysis.trend import TrendResult

ImageFormat = Literal["png", "svg"]

#: HJ 633-2012 Appendix A category colours (优 … 严重污染) and the AQI bounds of the categories.
AQI_COLOURS = ("#00E400", "#FFFF00", "#FF7E00", "#FF0000", "#99004C", "#7E0023")
AQI_BOUNDS = (0, 50, 100, 150, 200, 300, 500)
WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")


#: Fonts with Chinese glyphs, tried in order; labels in Chinese fall back to codes without one.
CJK_FONTS = (
    "Noto Sans CJK SC",
    "Source Han Sans SC",
    "WenQuanYi Zen Hei",
    "SimHei",
    "Microsoft YaHei",
    "PingFang SC",
)


def _pyplot() -> Any:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def _cjk_font() -> str | None:
    from matplotlib import font_manager

    installed = {f.name for f in font_manager.fontManager.ttflist}
    return next((name for name in CJK_FONTS if name in installed), None)


def _label(text: str, fallback: str) -> str:
    """``text`` when it can be drawn (ASCII, or a CJK font is installed), else ``fallback``."""
    if text.isascii():
        return text
    font = _cjk_font()
    if font is None:
        return fallback
    import matplotlib

    if font not in matplotlib.rcParams["font.sans-serif"]:
        matplotlib.rcParams["font.sans-serif"] = [font, *matplotlib.rcParams["font.sans-serif"]]
    return text


def _save(fig: Any, fmt: ImageFormat) -> bytes:
    if fmt not in ("png", "svg"):
        raise InputError(f"image format must be 'png' or 'svg', got {fmt!r}")
    buffer = io.BytesIO()
    metadata = {"Date": None} if fmt == "svg" else {}
    fig.savefig(buffer, format=fmt, dpi=110, bbox_inches="tight", metadata=metadata)
    _pyplot().close(fig)
    return buffer.getvalue()


def _naive(index: Any) -> pd.DatetimeIndex:
    ix = pd.DatetimeIndex(index)
    return ix.tz_localize(None) if ix.tz is not None else ix


def trend_figure(result: TrendResult, fmt: ImageFormat = "png") -> bytes:
    """Monthly (deseasonalised) values with the Theil–Sen line and its interval."""
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(8, 4))
    times = pd.DatetimeIndex(result.values.index)
    x = _naive(times)
    ax.plot(x, result.values.to_numpy(), "o-", color="cornflowerblue", ms=3, lw=1)
    ax.plot(x, result.line(times), color="red", lw=2)
    for which in ("lower", "upper"):
        ax.plot(x, result.line(times, which), color="red", lw=1, ls="--")
    label = (
        f"{result.slope:.2f} [{result.lower:.2f}, {result.upper:.2f}] {result.units} {result.stars}"
    )
    ax.set_title(label, color="darkgreen", fontsize=10)
    ax.set_ylabel(result.parameter + (" (deseasonalised)" if result.deseasonalised else ""))
    ax.grid(alpha=0.3)
    return _save(fig, fmt)


def smooth_trend_figure(result: SmoothTrend, fmt: ImageFormat = "png") -> bytes:
    plt = _pyplot()
    frame = result.frame
    x = _naive(frame["time"])
    fig, ax = plt.subplots(figsize=(8, 4))
    ax.fill_between(x, frame["lower"], frame["upper"], color="grey", alpha=0.3, lw=0)
    ax.plot(x, frame["value"], "o", color="cornflowerblue", ms=3)
    ax.plot(x, frame["fit"], color="red", lw=2)
    ax.set_ylabel(result.parameter + (f" ({result.units})" if result.units else ""))
    ax.grid(alpha=0.3)
    return _save(fig, fmt)


def time_variation_figure(result: TimeVariation, fmt: ImageFormat = "png") -> bytes:
    """openair's four panels: hour × weekday, hour, month, weekday."""
    plt = _pyplot()
    fig = plt.figure(figsize=(10, 6))
    grid = fig.add_gridspec(2, 3)
    top = fig.add_subplot(grid[0, :])
    panels = [
        (fig.add_subplot(grid[1, 0]), result.hour, "hour", list(range(24))),
        (fig.add_subplot(grid[1, 1]), result.month, "month", list(range(1, 13))),
        (fig.add_subplot(grid[1, 2]), result.weekday, "weekday", list(range(7))),
    ]
    colours = plt.rcParams["axes.prop_cycle"].by_key()["color"]
    for k, (name, part) in enumerate(result.hour_weekday.groupby("parameter", sort=False)):
        c = colours[k % len(colours)]
        x = part["weekday"] * 24 + part["hour"]
        top.plot(x, part["value"], color=c, label=str(name))
        top.fill_between(x, part["lower"], part["upper"], color=c, alpha=0.25, lw=0)
    top.set_xticks([d * 24 + 12 for d in range(7)], WEEKDAYS)
    top.legend(fontsize=8)
    for ax, frame, key, ticks in panels:
        for k, (_, part) in enumerate(frame.groupby("parameter", sort=False)):
            c = colours[k % len(colours)]
            ax.plot(part[key], part["value"], color=c)
            ax.fill_between(part[key], part["lower"], part["upper"], color=c, alpha=0.25, lw=0)
        ax.set_xlabel(key)
        if key == "weekday":
            ax.set_xticks(ticks, [w[0] for w in WEEKDAYS])
        elif key == "month":
            ax.set_xticks(ticks, list("JFMAMJJASOND"))
        else:
            ax.set_xticks([0, 6, 12, 18, 23])
    for ax in fig.axes:
        ax.grid(alpha=0.3)
    return _save(fig, fmt)


def correlation_figure(result: CorrelationMatrix, fmt: ImageFormat = "png") -> bytes:
    plt = _pyplot()
    n = len(result.order)
    fig, ax = plt.subplots(figsize=(1.0 + 0.6 * n, 0.8 + 0.6 * n))
    image = ax.imshow(result.matrix.to_numpy(), cmap="RdBu_r", vmin=-1, vmax=1)
    ax.set_xticks(range(n), result.order, rotation=45, ha="right")
    ax.set_yticks(range(n), result.order)
    for i in range(n):
        for j in range(n):
            value = float(result.matrix.to_numpy()[i, j])
            if not np.isnan(value):
                ax.text(j, i, f"{100 * value:.0f}", ha="center", va="center", fontsize=8)
    fig.colorbar(image, ax=ax, shrink=0.8)
    return _save(fig, fmt)


def pollution_rose_figure(result: PollutionRose, fmt: ImageFormat = "png") -> bytes:
    plt = _pyplot()
    fig = plt.figure(figsize=(6, 6))
    ax = fig.add_subplot(projection="polar")
    ax.set_theta_zero_location("N")
    ax.set_theta_direction(-1)
    theta = np.deg2rad(result.table.index.to_numpy(dtype=float))
    width = np.deg2rad(result.angle) * 0.9
    bottom = np.zeros(len(theta))
    colours = plt.get_cmap("YlOrRd")(np.linspace(0.25, 1.0, len(result.table.columns)))
    for colour, column in zip(colours, result.table.columns, strict=True):
        heights = result.table[column].to_numpy()
        ax.bar(
            theta,
            heights,
            width=width,
            bottom=bottom,
            color=colour,
            label=str(column),
            edgecolor="white",
            lw=0.5,
        )
        bottom = bottom + heights
    ax.legend(title=result.parameter, fontsize=7, loc="lower left", bbox_to_anchor=(1.0, 0.0))
    ax.set_title(f"frequency of counts by wind direction (%), calm {result.calm:.1f} %", fontsize=9)
    return _save(fig, fmt)


def polar_figure(result: PolarSurface, fmt: ImageFormat = "png") -> bytes:
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(6, 5.4))
    mesh = ax.pcolormesh(
        result.x, result.y, np.ma.masked_invalid(result.z), cmap="jet", shading="auto"
    )
    for r in np.linspace(0, result.ws_max, 5)[1:]:
        ax.add_patch(plt.Circle((0, 0), r, fill=False, color="grey", lw=0.5, ls="--"))
        ax.text(r * 0.7071, r * 0.7071, f"{r:.0f}", fontsize=7, color="grey")
    ax.set_aspect("equal")
    ax.set_axis_off()
    for label, (x, y) in {"N": (0, 1.05), "E": (1.05, 0), "S": (0, -1.08), "W": (-1.08, 0)}.items():
        ax.text(x * result.ws_max, y * result.ws_max, label, ha="center", va="center")
    fig.colorbar(mesh, ax=ax, shrink=0.8, label=result.parameter)
    return _save(fig, fmt)


def calendar_figure(
    frame: pd.DataFrame, *, title: str = "", aqi: bool = False, fmt: ImageFormat = "png"
) -> bytes:
    """A year of daily values (:func:`.calendar_view.calendar_frame`), one panel a month;
    ``aqi`` colours the days by the HJ 633 categories."""
    plt = _pyplot()
    from matplotlib.colors import BoundaryNorm, ListedColormap

    fig, axes = plt.subplots(3, 4, figsize=(12, 8))
    values = frame["value"].to_numpy(dtype=float)
    if aqi:
        cmap: Any = ListedColormap(AQI_COLOURS)
        norm: Any = BoundaryNorm(AQI_BOUNDS, cmap.N)
    else:
        cmap = plt.get_cmap("YlOrRd")
        finite = values[~np.isnan(values)]
        top = float(finite.max()) if len(finite) else 1.0
        norm = plt.Normalize(float(finite.min()) if len(finite) else 0.0, top)
    for month, ax in enumerate(axes.ravel(), start=1):
        part = frame[frame["month"] == month]
        for day, weekday, week, value in part[["day", "weekday", "week", "value"]].itertuples(
            index=False, name=None
        ):
            colour = "whitesmoke" if np.isnan(value) else cmap(norm(value))
            ax.add_patch(plt.Rectangle((weekday, -week), 0.95, 0.95, color=colour))
            ax.text(
                weekday + 0.47,
                -week + 0.45,
                str(day),
                fontsize=6,
                ha="center",
                va="center",
            )
        ax.set_xlim(0, 7)
        ax.set_ylim(-5.2, 1)
        ax.set_title(pd.Timestamp(2000, month, 1).strftime("%B"), fontsize=9)
        ax.set_xticks([i + 0.47 for i in range(7)], [w[0] for w in WEEKDAYS], fontsize=7)
        ax.set_yticks([])
        for side in ax.spines.values():
            side.set_visible(False)
    fig.suptitle(_label(title, title.encode("ascii", "ignore").decode().strip()))
    mappable = plt.cm.ScalarMappable(norm=norm, cmap=cmap)
    fig.colorbar(mappable, ax=axes, shrink=0.6)
    return _save(fig, fmt)


def field_figure(result: SpatialField, fmt: ImageFormat = "png") -> bytes:
    """The interpolated field with the region outline and the stations."""
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(7, 6))
    mesh = ax.pcolormesh(
        result.grid.lon,
        result.grid.lat,
        np.ma.masked_invalid(result.values),
        cmap="YlOrRd",
        shading="auto",
    )
    for polygon in result.region.polygons:
        ring = np.asarray(polygon[0])
        ax.plot(ring[:, 0], ring[:, 1], color="black", lw=0.7)
    stations = result.stations
    ax.scatter(
        stations["longitude"],
        stations["latitude"],
        c=stations["value"],
        cmap="YlOrRd",
        norm=mesh.norm,
        edgecolors="black",
        s=18,
        lw=0.6,
    )
    x0, y0, x1, y1 = result.region.bounds
    ax.set_xlim(x0, x1)
    ax.set_ylim(y0, y1)
    ax.set_aspect(1 / np.cos(np.deg2rad((y0 + y1) / 2)))
    name = _label(result.region.name, result.region.code)
    title = f"{name} {result.parameter} ({result.method})"
    if result.cv is not None:
        title += f" — LOO RMSE {result.cv.rmse:.1f}, r {result.cv.r:.2f}"
    ax.set_title(title, fontsize=9)
    fig.colorbar(mesh, ax=ax, shrink=0.8, label=result.units)
    return _save(fig, fmt)


def forecast_figure(
    observed: pd.Series, predicted: pd.Series, *, title: str = "", fmt: ImageFormat = "png"
) -> bytes:
    """Observed and forecast values over time."""
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(10, 4))
    ax.plot(_naive(observed.index), observed.to_numpy(), color="black", lw=1, label="observed")
    ax.plot(_naive(predicted.index), predicted.to_numpy(), color="tab:red", lw=1, label="forecast")
    ax.legend()
    ax.set_title(title)
    ax.grid(alpha=0.3)
    return _save(fig, fmt)

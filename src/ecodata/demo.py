"""The demo: a fresh data directory with real data, ready to serve."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path

from ecodata.bootstrap import initialise
from ecodata.errors import ConfigError
from ecodata.evaluation.aqi_compute import compute_aqi
from ecodata.ingest.beijing_multisite import ATTRIBUTION
from ecodata.ingest.importing import run_import
from ecodata.ingest.kinds import KINDS
from ecodata.settings import Settings
from ecodata.store.stores import open_stores

#: A file marking a data directory as the demo's own (it may be replaced by the next demo).
MARKER = ".ecodata-demo"


def demo_files(source: Path) -> dict[str, list[Path]]:
    """The real files the demo loads, by importer kind, in load order."""
    air, regions = source / "air", source / "regions" / "divisions"
    return {
        "divisions": [regions / f for f in ("province.csv", "city.csv", "area.csv",
                                            "adcodes_with_centres.csv")],
        "stations": [air / "national_stations_2020.csv", air / "national_stations_2024.csv"],
        "national-hourly": sorted((air / "national_hourly").glob("china_sites_*.csv")),
        "beijing-multisite": sorted((air / "beijing_multisite").glob("PRSA_Data_*.csv")),
        "water-excel": [source / "water" / "surface_water_sample_2024.xlsx"],
    }  # fmt: skip


def load_demo(
    settings: Settings, source: Path, *, fresh: bool = True, echo: Callable[[str], None] = print
) -> str:
    """Load the demo data into ``settings.data_dir``; returns the attribution to show."""
    files = demo_files(source)
    missing = [str(p) for paths in files.values() for p in paths if not p.exists()]
    if missing or not files["beijing-multisite"]:
        raise ConfigError(
            f"demo data not found under {source} (missing {missing[:3] or 'Beijing files'}); "
            "point --source (or ECODATA_DEMO_SOURCE) at the shared data folder"
        )
    if fresh and settings.backend == "embedded" and settings.data_dir.exists():
        if any(settings.data_dir.iterdir()) and not (settings.data_dir / MARKER).exists():
            raise ConfigError(
                f"{settings.data_dir} holds data that the demo did not create; refusing to "
                "replace it — give the demo another --data-dir, or use --keep"
            )
        shutil.rmtree(settings.data_dir)
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    (settings.data_dir / MARKER).write_text("created by `ecodata demo`\n")
    with open_stores(settings) as stores:
        initialise(stores)
        stores.registry.ensure_provider(
            "uci-beijing-multisite",
            name_en="UCI Beijing Multi-Site Air-Quality Data",
            name_zh="北京多站点空气质量数据（UCI）",
            licence="CC BY 4.0",
            attribution=ATTRIBUTION,
            url="https://doi.org/10.24432/C5RK5G",
        )
        for kind, paths in files.items():
            summary = run_import(stores, kind, KINDS[kind].importer, paths, user="demo")
            c = summary.counts
            echo(f"{kind}: read {c.read}, stored {c.stored}, duplicate {c.duplicate}, "
                 f"quarantined {c.quarantined}")  # fmt: skip
        computed = compute_aqi(stores)
        echo(f"AQI (HJ 633) computed for {computed.months} months: "
             f"{sum(computed.hour_rows.values())} hourly and "
             f"{sum(computed.day_rows.values())} daily results")  # fmt: skip
    echo(f"Beijing data: {ATTRIBUTION}")
    return ATTRIBUTION

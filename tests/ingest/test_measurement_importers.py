"""Beijing multi-site, openair and the surface-water Excel sample on the real files."""

from __future__ import annotations

import csv
from datetime import datetime
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from ecodata.model import CHINA_TZ, QC, Period
from ecodata.store.observations import ObservationQuery
from ecodata.store.stores import Stores
from tests.ingest.conftest import Loader

DONGSI = "PRSA_Data_Dongsi_20130301-20170228.csv"


def _series_values(stores: Stores, site: str, parameter: str, period: Period) -> dict:
    found = [
        s for s in stores.registry.find_series(sites=[site], period=period)
        if s["parameter"] == parameter
    ]  # fmt: skip
    table = stores.observations.read(ObservationQuery(series_ids=[found[0]["id"]]))
    return {r["time"]: r for r in table.to_pylist()}


def test_beijing_file_counts_units_and_station_link(
    load: Loader, stores: Stores, shared_data: Path
) -> None:
    path = shared_data / "air" / "beijing_multisite" / DONGSI
    with path.open() as fh:
        rows = list(csv.DictReader(fh))
    measured = ["PM2.5", "PM10", "SO2", "NO2", "CO", "O3", "TEMP", "PRES", "DEWP", "RAIN",
                "wd", "WSPM"]  # fmt: skip
    expected = sum(1 for r in rows for c in measured if r[c] != "NA")
    summary = load("beijing-multisite", path)
    assert summary.counts.read == expected
    assert summary.counts.stored == expected and summary.counts.quarantined == 0

    site = stores.registry.site("1003A")
    assert (site["name_en"], site["name_zh"]) == ("Dongsi", "东四")
    first = datetime(2013, 3, 1, 0, tzinfo=CHINA_TZ)
    co = _series_values(stores, "1003A", "co", Period.HOUR)[first]
    assert co["value"] == pytest.approx(0.3)  # 300 µg/m³ in the file, mg/m³ in the store
    assert co["qc"] & QC.UNIT_CONVERTED
    assert _series_values(stores, "1003A", "wd", Period.HOUR)[first]["value"] == 337.5  # NNW
    assert _series_values(stores, "1003A", "pm2_5", Period.HOUR)[first]["value"] == 9.0

    again = load("beijing-multisite", path)
    assert again.counts.stored == 0 and again.counts.duplicate == expected


def test_beijing_bad_rows(load_embedded: Loader, shared_data: Path, tmp_path: Path) -> None:
    lines = (shared_data / "air" / "beijing_multisite" / DONGSI).read_text().splitlines()[:6]
    cells = lines[2].split(",")
    cells[15] = '"XYZ"'  # line 3: not a compass point
    lines[2] = ",".join(cells)
    lines[3] = lines[3].replace(",2013,3,1,2,", ",2013,2,30,2,")  # line 4: 30 February
    lines[4] = lines[4].replace('"Dongsi"', '"Atlantis"')  # line 5: unknown station
    cells = lines[5].split(",")
    cells[6] = "-3"  # line 6: negative PM10
    lines[5] = ",".join(cells)
    bad = tmp_path / "PRSA_bad.csv"
    bad.write_text("\n".join(lines) + "\n")
    summary = load_embedded("beijing-multisite", bad)
    reasons = load_embedded.reasons()
    assert ("line 4", "impossible date") in reasons
    assert any(p == "line 5" and "unknown station 'Atlantis'" in r for p, r in reasons)
    assert any(p == "line 3" and "'XYZ' is not a 16-point compass name" in r for p, r in reasons)
    assert any(p == "line 6" and r.startswith("negative value -3") for p, r in reasons)
    counts = summary.counts
    assert counts.read == counts.stored + counts.duplicate + counts.quarantined


def test_openair_needs_a_site_and_keeps_ppb(
    load: Loader, stores: Stores, shared_data: Path
) -> None:
    path = shared_data / "air" / "openair_mydata.csv"
    refused = load("openair", path)
    assert refused.files[0].status == "failed" and "--site" in refused.files[0].message
    summary = load("openair", path, site="MY1")
    with path.open() as fh:
        rows = list(csv.DictReader(fh))
    expected = sum(1 for r in rows for k, v in r.items() if k != "date" and v not in ("", "NA"))
    assert summary.counts.read == expected and summary.counts.stored == expected
    o3 = _series_values(stores, "MY1", "o3_ppb", Period.HOUR)
    assert len(o3) == sum(1 for r in rows if r["o3"] not in ("", "NA"))
    assert stores.registry.parameter("o3_ppb")["unit"] == "ppb"


def test_water_excel_keeps_the_published_class(
    load: Loader, stores: Stores, shared_data: Path
) -> None:
    summary = load("water-excel", shared_data / "water" / "surface_water_sample_2024.xlsx")
    # one row (Excel row 4) has readings but no date: it is quarantined as a whole
    assert summary.counts.quarantined == 1
    assert dict(load.reasons())["row 4"].startswith("missing or impossible 监测时间")
    classes = _series_values(stores, "WQ-00002", "water_class", Period.DAY)
    (reading,) = classes.values()
    assert reading["value"] == 3  # Ⅲ
    assert reading["time"] == datetime(2024, 4, 11, tzinfo=CHINA_TZ)  # Excel serial 45393
    nh3 = _series_values(stores, "WQ-00002", "nh3_n", Period.DAY)
    assert next(iter(nh3.values()))["value"] == 0.025
    # every dated row with a reading is its own anonymous sampling point
    frame = pd.read_excel(shared_data / "water" / "surface_water_sample_2024.xlsx")
    measured = frame.iloc[:, 2:11].replace("--", np.nan).notna().any(axis=1)
    classed = frame["水质类别"].isin(["Ⅰ", "Ⅱ", "Ⅲ", "Ⅳ", "Ⅴ", "劣Ⅴ"])
    dated = frame["监测时间"].notna()
    assert len(stores.registry.sites(kind="water")) == int(((measured | classed) & dated).sum())

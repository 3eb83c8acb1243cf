"""The national hourly importer on the real release files (both backends)."""

from __future__ import annotations

import csv
from datetime import datetime
from pathlib import Path

from ecodata.model import CHINA_TZ, Period
from ecodata.store.observations import ObservationQuery
from ecodata.store.stores import Stores
from tests.ingest.conftest import Loader


def _count_cells(path: Path) -> int:
    """Non-empty station cells, counted independently of the importer."""
    with path.open(encoding="utf-8") as fh:
        rows = list(csv.reader(fh))
    return sum(1 for row in rows[1:] for cell in row[3:] if cell.strip())


def _value(stores: Stores, site: str, parameter: str, local: datetime) -> float | None:
    series = stores.registry.find_series(sites=[site], parameters=[parameter], period=Period.HOUR)
    exact = [s for s in series if s["parameter"] == parameter]
    table = stores.observations.read(
        ObservationQuery(series_ids=[exact[0]["id"]], start=local, end=local.replace(minute=1))
    )
    values = table.column("value").to_pylist()
    return values[0] if values else None


def test_real_files_import_with_hand_checkable_counts(
    load: Loader, stores: Stores, shared_data: Path
) -> None:
    load("stations", shared_data / "air" / "national_stations_2020.csv")
    files = sorted((shared_data / "air" / "national_hourly").glob("china_sites_*.csv"))
    summary = load("national-hourly", *files)
    expected = sum(_count_cells(f) for f in files)
    counts = summary.counts
    assert counts.read == expected == 1_496_733
    assert (counts.stored, counts.duplicate, counts.quarantined) == (expected, 0, 0)
    # the first data row of the first file: 20190101, hour 0, AQI of 1001A is 73, PM2.5 53
    midnight = datetime(2019, 1, 1, tzinfo=CHINA_TZ)
    assert _value(stores, "1001A", "aqi", midnight) == 73
    assert _value(stores, "1001A", "pm2_5", midnight) == 53
    assert _value(stores, "1001A", "co", midnight) == 1.2
    published = stores.registry.parameter("aqi")
    assert published["published"] is True


def test_reimport_adds_nothing_and_says_so(load: Loader, shared_data: Path) -> None:
    load("stations", shared_data / "air" / "national_stations_2020.csv")
    path = shared_data / "air" / "national_hourly" / "china_sites_20190101.csv"
    first = load("national-hourly", path)
    again = load("national-hourly", path)
    assert again.counts.stored == 0
    assert again.counts.duplicate == first.counts.read
    assert again.files[0].message.startswith("nothing new")


def test_bad_rows_go_to_quarantine_with_line_and_reason(
    load_embedded: Loader, shared_data: Path, tmp_path: Path
) -> None:
    load = load_embedded
    load("stations", shared_data / "air" / "national_stations_2020.csv")
    source = shared_data / "air" / "national_hourly" / "china_sites_20190102.csv"
    lines = source.read_text(encoding="utf-8").splitlines()
    header = lines[0].split(",")
    header.append("9999X")  # a station nobody knows
    rows = [[*line.split(","), "5"] for line in lines[1:]]
    rows[0][3] = "abc"  # line 2: not a number (1001A, AQI)
    rows[3][4] = "-7"  # line 5: negative concentration (1002A, PM10)
    rows[10][0] = "20190231"  # line 12: impossible date
    rows[11][1] = "24"  # line 13: impossible hour
    bad = tmp_path / "china_sites_bad.csv"
    bad.write_text("\n".join(",".join(r) for r in [header, *rows]) + "\n", encoding="utf-8")

    summary = load("national-hourly", bad)
    reasons = dict(load.reasons(summary.files[0].run_id))
    assert reasons["line 2, column 1001A"] == "not a number: 'abc'"
    assert reasons["line 5, column 1002A"].startswith("negative value -7")
    assert reasons["line 12"] == "impossible date '20190231'; expected YYYYMMDD"
    assert reasons["line 13"] == "impossible hour '24'; expected 0–23"
    unknown = [p for p, r in reasons.items() if "unknown station '9999X'" in r]
    assert len(unknown) == len(rows) - 2  # every usable line carried a value for 9999X
    counts = summary.counts
    assert counts.read == counts.stored + counts.duplicate + counts.quarantined
    assert counts.quarantined == len(reasons)


def test_a_file_with_nothing_usable_stores_nothing(load_embedded: Loader, tmp_path: Path) -> None:
    bad = tmp_path / "china_sites_empty.csv"
    bad.write_text("date,hour,type,9998X\n20190101,0,AQI,50\n", encoding="utf-8")
    summary = load_embedded("national-hourly", bad)
    assert summary.counts.stored == 0 and summary.counts.quarantined == 1
    assert "nothing could be stored" in summary.files[0].message

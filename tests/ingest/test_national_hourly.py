"""The national hourly importer on the real release files (both backends)."""

from __future__ import annotations

import csv
import subprocess
import sys
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


def _series_stats_match_the_store(stores: Stores) -> bool:
    recount = {
        r["series_id"]: (r["first"], r["last"], r["count"])
        for r in stores.observations.stats().to_pylist()
    }
    registered = {
        r["series_id"]: (r["first_time"], r["last_time"], r["count"])
        for r in stores.registry.series_frame().to_pylist()
        if r["count"]
    }
    return bool(recount) and registered == recount


def test_series_statistics_follow_every_import(
    load: Loader, stores: Stores, shared_data: Path, tmp_path: Path
) -> None:
    load("stations", shared_data / "air" / "national_stations_2020.csv")
    days = sorted((shared_data / "air" / "national_hourly").glob("china_sites_*.csv"))
    load("national-hourly", days[0])
    assert _series_stats_match_the_store(stores)
    # A corrected release of the first day that also carries an hour of the next: part of it is
    # stored, part already was (the store recounts those series).
    lines = days[0].read_text(encoding="utf-8").splitlines()
    extra = lines[1].split(",")
    extra[0] = "20190104"
    corrected = tmp_path / "china_sites_corrected.csv"
    corrected.write_text("\n".join([*lines, ",".join(extra)]) + "\n", encoding="utf-8")
    summary = load("national-hourly", corrected)
    assert summary.counts.stored == sum(1 for cell in extra[3:] if cell.strip())
    assert _series_stats_match_the_store(stores)
    load("national-hourly", days[1])
    assert _series_stats_match_the_store(stores)


def test_a_station_named_twice_keeps_its_first_column(
    load_embedded: Loader, shared_data: Path, tmp_path: Path
) -> None:
    load_embedded("stations", shared_data / "air" / "national_stations_2020.csv")
    twice = tmp_path / "china_sites_twice.csv"
    twice.write_text(
        "date,hour,type,1001A,1002A,1001A\n20190101,0,PM2.5,53,40,99\n20190101,1,PM2.5,50,,\n",
        encoding="utf-8",
    )
    counts = load_embedded("national-hourly", twice).counts
    assert (counts.read, counts.stored, counts.duplicate) == (4, 3, 1)
    midnight = datetime(2019, 1, 1, tzinfo=CHINA_TZ)
    assert _value(load_embedded.stores, "1001A", "pm2_5", midnight) == 53


def test_the_import_path_does_not_load_pandas(shared_data: Path, tmp_path: Path) -> None:
    """Arrow loads pandas on some conversions (over half a second); imports avoid them."""
    script = f"""
import sys
from pathlib import Path
from ecodata.bootstrap import initialise
from ecodata.ingest.importing import run_import
from ecodata.ingest.kinds import KINDS
from ecodata.settings import load_settings
from ecodata.store.stores import open_stores
shared = Path({str(shared_data)!r})
settings = load_settings(data_dir=Path({str(tmp_path)!r}) / "data")
with open_stores(settings) as stores:
    initialise(stores)
    run_import(stores, "stations", KINDS["stations"].importer,
               [shared / "air" / "national_stations_2020.csv"])
    before = "pandas" in sys.modules
    day = shared / "air" / "national_hourly" / "china_sites_20190101.csv"
    summary = run_import(stores, "national-hourly", KINDS["national-hourly"].importer, [day])
    assert summary.counts.stored > 0
print(before, "pandas" in sys.modules)
"""
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["False", "False"]


def test_the_same_day_twice_in_one_import_is_stored_once(
    load: Loader, stores: Stores, shared_data: Path
) -> None:
    """On PostgreSQL the two files are written at the same time on two connections: the second
    waits for the first's keys and then finds them stored."""
    load("stations", shared_data / "air" / "national_stations_2020.csv")
    day = shared_data / "air" / "national_hourly" / "china_sites_20190102.csv"
    first, second = load("national-hourly", day, day).files
    assert first.counts.stored == first.counts.read > 0
    assert (second.counts.stored, second.counts.duplicate) == (0, first.counts.read)
    assert stores.observations.count() == first.counts.read
    assert _series_stats_match_the_store(stores)

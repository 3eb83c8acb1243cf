"""Resource downloads in every format, for a time range and in full, streamed in chunks."""

from __future__ import annotations

import io
import itertools
import json
from datetime import datetime, timedelta
from pathlib import Path

import pandas as pd
import pyarrow.parquet as pq
import pytest

from ecodata.catalog.downloads import CHUNK_ROWS, Format, open_download, time_windows
from ecodata.errors import AuthError, InputError
from ecodata.model import CHINA_TZ
from ecodata.security.principal import anonymous, operator
from ecodata.store.stores import Stores
from tests.api.conftest import load

DONGSI = "PRSA_Data_Dongsi_20130301-20170228.csv"


def _bytes(stores: Stores, name: str, fmt: Format, **window: datetime) -> tuple[bytes, int]:
    got = open_download(stores, operator(), name, fmt, tz=CHINA_TZ, **window)
    chunks = list(got.chunks)
    return b"".join(chunks), len(chunks)


def test_formats_agree_with_the_source_file(embedded_stores: Stores, shared_data: Path) -> None:
    stores = embedded_stores
    load(stores, "beijing-multisite", shared_data / "air" / "beijing_multisite" / DONGSI)
    window = {
        "start": datetime(2016, 1, 1, tzinfo=CHINA_TZ),
        "end": datetime(2016, 1, 2, tzinfo=CHINA_TZ),
    }
    text, _ = _bytes(stores, "beijing-multisite", Format.CSV, **window)
    frame = pd.read_csv(io.BytesIO(text))
    pm = frame[frame["parameter"] == "pm2_5"]
    source = pd.read_csv(shared_data / "air" / "beijing_multisite" / DONGSI)
    day = source[(source.year == 2016) & (source.month == 1) & (source.day == 1)]
    assert pm["value"].tolist() == day["PM2.5"].dropna().tolist()
    assert pm["time"].iloc[0] == "2016-01-01T00:00:00+08:00"
    document = json.loads(_bytes(stores, "beijing-multisite", Format.JSON, **window)[0])
    assert document["licence"] == "CC-BY-4.0" and "Zhang" in document["attribution"]
    assert len(document["rows"]) == len(frame)
    table = pq.read_table(
        io.BytesIO(_bytes(stores, "beijing-multisite", Format.PARQUET, **window)[0])
    )
    assert table.num_rows == len(frame)
    assert json.loads(table.schema.metadata[b"ecodata"])["dataset"] == "beijing-multisite"


def test_whole_dataset_streams_in_chunks(embedded_stores: Stores, shared_data: Path) -> None:
    stores = embedded_stores
    load(stores, "beijing-multisite", shared_data / "air" / "beijing_multisite" / DONGSI)
    payload, chunks = _bytes(stores, "beijing-multisite", Format.PARQUET)
    assert chunks > 2  # row groups are handed out as they are written
    assert pq.read_table(io.BytesIO(payload)).num_rows == stores.observations.count()
    assert stores.observations.count() > 2 * CHUNK_ROWS
    text, csv_chunks = _bytes(stores, "beijing-multisite", Format.CSV)
    assert csv_chunks > 2
    assert text.count(b"\n") == stores.observations.count() + 1


def test_time_windows_cover_the_range_in_chunks() -> None:
    first, last = datetime(2013, 3, 1, tzinfo=CHINA_TZ), datetime(2017, 2, 28, 23, tzinfo=CHINA_TZ)
    series = [{"first_time": first, "last_time": last, "count": 35_064}] * 100
    windows = list(time_windows(series, None, None, CHUNK_ROWS))
    assert windows[0][0] == first and windows[-1][1] == last + timedelta(microseconds=1)
    assert all(a[1] == b[0] for a, b in itertools.pairwise(windows))  # no gap, no overlap
    hours = (windows[0][1] - windows[0][0]).total_seconds() / 3600
    assert 100 * hours == pytest.approx(CHUNK_ROWS, rel=0.01)  # about CHUNK_ROWS values each
    start = datetime(2016, 1, 1, tzinfo=CHINA_TZ)
    assert list(time_windows(series, start, start + timedelta(hours=5), CHUNK_ROWS)) == [
        (start, start + timedelta(hours=5))
    ]
    assert (
        list(time_windows([{"first_time": None, "last_time": None, "count": 0}], None, None, 10))
        == []
    )


def test_site_register_and_refusals(embedded_stores: Stores, shared_data: Path) -> None:
    stores = embedded_stores
    load(stores, "stations", shared_data / "air" / "national_stations_2020.csv")
    text, _ = _bytes(stores, "monitoring-stations", Format.CSV)
    sites = pd.read_csv(io.BytesIO(text))
    source = pd.read_csv(shared_data / "air" / "national_stations_2020.csv")
    assert len(sites) == source["监测点编码"].nunique() and set(sites["kind"]) == {"air"}
    with pytest.raises(AuthError):
        open_download(stores, anonymous(), "meteorology", Format.CSV, tz=CHINA_TZ)
    with pytest.raises(InputError, match="not before end"):
        open_download(
            stores,
            operator(),
            "meteorology",
            Format.CSV,
            tz=CHINA_TZ,
            start=datetime(2020, 1, 2, tzinfo=CHINA_TZ),
            end=datetime(2020, 1, 1, tzinfo=CHINA_TZ),
        )
    empty, _ = _bytes(stores, "meteorology", Format.CSV)
    assert empty.decode().splitlines() == ["site,parameter,period,time,value,unit,flag,qc"]

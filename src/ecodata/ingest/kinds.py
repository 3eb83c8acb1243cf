"""The file importers by kind, as named on the command line (``ecodata import KIND``)."""

from __future__ import annotations

from dataclasses import dataclass

from ecodata.ingest.beijing_multisite import import_beijing
from ecodata.ingest.divisions import import_divisions
from ecodata.ingest.hj212_code_table import import_hj212_codes
from ecodata.ingest.importing import Importer
from ecodata.ingest.national_hourly import import_national_hourly
from ecodata.ingest.openair import import_openair
from ecodata.ingest.station_lists import import_station_list
from ecodata.ingest.water_excel import import_water_excel


@dataclass(frozen=True)
class Kind:
    name: str
    importer: Importer
    summary: str


KINDS: dict[str, Kind] = {
    k.name: k
    for k in (
        Kind("national-hourly", import_national_hourly,
             "official hourly release of all national air stations (china_sites_YYYYMMDD.csv)"),
        Kind("beijing-multisite", import_beijing,
             "UCI Beijing multi-site files (PRSA_Data_*.csv), with meteorology"),
        Kind("stations", import_station_list,
             "national air-station lists (2020 and 2024 layouts)"),
        Kind("divisions", import_divisions,
             "GB/T 2260 division tables (province/city/area CSV, adcodes with centres)"),
        Kind("hj212-codes", import_hj212_codes, "HJ 212-2017 Appendix B code table (CSV)"),
        Kind("openair", import_openair, "openair 'mydata' layout; needs --site CODE"),
        Kind("water-excel", import_water_excel,
             "surface-water automatic-station sample (Excel) with the published class"),
    )
}  # fmt: skip

"""Domain types shared by every layer. No I/O here.

Observations travel in bulk as Arrow tables with :data:`OBSERVATION_SCHEMA`; the dataclasses
below are for single records, the registry and the API.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone

import pyarrow as pa

#: China Standard Time. National monitoring data are published in local time (UTC+8, no DST).
CHINA_TZ = timezone(timedelta(hours=8), "CST")


class Period(enum.IntEnum):
    """Averaging period of an observation. ``time`` is always the *start* of the interval
    (HJ 212-2017 §6.3: DataTime of 2051/2061/2031 packets is the start of the period)."""

    REALTIME = 0
    MINUTE = 1
    HOUR = 2
    DAY = 3
    MONTH = 4
    YEAR = 5

    @property
    def label(self) -> str:
        return self.name.lower()

    @classmethod
    def parse(cls, text: str | int) -> Period:
        if isinstance(text, int) or (isinstance(text, str) and text.isdigit()):
            return cls(int(text))
        try:
            return cls[text.strip().upper()]
        except KeyError:
            names = ", ".join(p.label for p in cls)
            raise ValueError(f"unknown period {text!r}; use one of {names}") from None


class SiteKind(enum.StrEnum):
    """Kinds of monitoring sites held in the registry."""

    AIR = "air"  # ambient-air station (国控/省控空气站)
    WATER = "water"  # surface-water section (断面) or automatic station
    SOURCE_OUTLET = "source-outlet"  # pollution-source outlet (排放口), gas or water
    RADIATION = "radiation"
    SOIL = "soil"
    NOISE = "noise"
    GROUNDWATER = "groundwater"
    OTHER = "other"


class DataFlag(enum.StrEnum):
    """HJ 212-2017 Table 8 data flags. Only N (and no flag at all) is valid data."""

    NORMAL = "N"  # 在线监控（监测）仪器仪表工作正常
    STOPPED = "F"  # 停运
    MAINTENANCE = "M"  # 维护
    MANUAL = "S"  # 手工输入的设定值
    FAULT = "D"  # 故障
    CALIBRATION = "C"  # 校准
    OVER_RANGE = "T"  # 超测上限
    COMM_FAULT = "B"  # 通讯异常


class QC(enum.IntFlag):
    """Quality-control flags set by ecodata itself (bit mask stored in ``qc``)."""

    OK = 0
    OUT_OF_RANGE = 1  # outside the plausible range of the parameter
    DEVICE_FLAG = 2  # the device's own data flag says the value is not valid
    SUSPECT = 4  # statistical check (spike, flat line) raised a doubt
    UNIT_CONVERTED = 8  # converted from the unit the source gave
    UNKNOWN_CODE = 16  # parameter code not in the code table; stored and reported


#: Bulk observation layout shared by the importers, the gateway and both stores. A *series* is one
#: (site, parameter, period) combination held in the registry; an observation is unique on
#: (series_id, time), i.e. on (site, parameter, period, time).
OBSERVATION_SCHEMA = pa.schema(
    [
        pa.field("series_id", pa.int32(), nullable=False),
        pa.field("time", pa.timestamp("us", tz="UTC"), nullable=False),
        pa.field("value", pa.float64()),
        pa.field("flag", pa.string()),
        pa.field("qc", pa.int16(), nullable=False),
        pa.field("run_id", pa.int32(), nullable=False),
    ]
)


@dataclass(frozen=True, slots=True)
class Site:
    code: str
    kind: SiteKind
    name_zh: str = ""
    name_en: str = ""
    division_code: str | None = None
    city: str = ""
    longitude: float | None = None
    latitude: float | None = None
    status: str = "active"
    attributes: dict[str, str] = field(default_factory=dict)
    id: int | None = None


@dataclass(frozen=True, slots=True)
class Parameter:
    """A measured (or published) quantity. ``published`` marks series that are official
    publications (e.g. the national hourly AQI) kept apart from measured values."""

    code: str
    name_zh: str
    name_en: str
    unit: str
    domain: str
    hj212_code: str | None = None
    hj2005_code: str | None = None
    published: bool = False
    description: str = ""
    id: int | None = None


@dataclass(frozen=True, slots=True)
class Observation:
    site_code: str
    parameter_code: str
    period: Period
    time: datetime
    value: float | None
    flag: str | None = None
    qc: int = 0

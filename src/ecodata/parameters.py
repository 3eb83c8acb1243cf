"""Reference parameters of ambient air, meteorology and surface water, seeded by ``ecodata init``.

Codes are short, stable names (``pm2_5``, ``o3``, ``nh3_n``); ``hj212_code`` links each to the
HJ 212-2017 Appendix B code where one exists. Units follow the national publications: µg/m³ for
air pollutants except CO in mg/m³ (HJ 633-2012 Table 1). Variants of one quantity in other units
(openair's ppb) are separate parameters sharing a ``base``. ``published`` parameters are official
publications (e.g. the hourly AQI of the national network) kept apart from measured values.
``valid_min``/``valid_max`` bound plausible values; a value outside gets the QC flag OUT_OF_RANGE.
"""

from __future__ import annotations

from typing import Any

UG = "µg/m³"
MG = "mg/m³"

_AIR: list[tuple[str, str, str, str, str | None, float]] = [
    # code, name_zh, name_en, unit, HJ 212-2017 code, plausible maximum
    ("pm2_5", "细颗粒物（PM2.5）", "PM2.5", UG, "a34004", 3000),
    ("pm10", "可吸入颗粒物（PM10）", "PM10", UG, "a34002", 10000),
    ("so2", "二氧化硫", "Sulphur dioxide", UG, "a21026", 10000),
    ("no2", "二氧化氮", "Nitrogen dioxide", UG, "a21004", 3000),
    ("o3", "臭氧（1小时平均）", "Ozone (1-hour mean)", UG, "a05024", 2000),
    ("co", "一氧化碳", "Carbon monoxide", MG, "a21005", 150),
]

# Published rows of the national hourly release (quotsoft layout `type` names in brackets).
_PUBLISHED: list[tuple[str, str, str, str]] = [
    ("aqi", "空气质量指数（发布值）", "Air quality index (published)", ""),  # [AQI]
    ("pm2_5_24h", "PM2.5 24小时滑动平均（发布值）", "PM2.5 24-h moving mean (published)", UG),
    ("pm10_24h", "PM10 24小时滑动平均（发布值）", "PM10 24-h moving mean (published)", UG),
    ("so2_24h", "SO2 24小时滑动平均（发布值）", "SO2 24-h moving mean (published)", UG),
    ("no2_24h", "NO2 24小时滑动平均（发布值）", "NO2 24-h moving mean (published)", UG),
    ("co_24h", "CO 24小时滑动平均（发布值）", "CO 24-h moving mean (published)", MG),
    ("o3_24h", "O3 24小时内最大1小时值（发布值）", "O3 highest 1-h value in 24 h (published)", UG),
    ("o3_8h", "O3 8小时滑动平均（发布值）", "O3 8-h moving mean (published)", UG),
    (
        "o3_8h_24h",
        "O3 24小时内最大8小时滑动平均（发布值）",
        "O3 highest 8-h moving mean in 24 h (published)",
        UG,
    ),
]

_METEOROLOGY: list[tuple[str, str, str, str, str | None, float, float]] = [
    ("temp", "气温", "Air temperature", "°C", "a01001", -60, 60),
    ("pres", "气压", "Air pressure", "hPa", None, 400, 1100),
    ("dewp", "露点温度", "Dew point", "°C", None, -70, 40),
    ("rh", "相对湿度", "Relative humidity", "%", "a01002", 0, 100),
    ("rain", "降水量", "Precipitation", "mm", None, 0, 500),
    ("ws", "风速", "Wind speed", "m/s", "a01007", 0, 75),
    ("wd", "风向", "Wind direction", "°", "a01008", 0, 360),
]

# openair's example data: gases in ppb (CO in ppm), as published by openair.
_OPENAIR: list[tuple[str, str, str, str, str]] = [
    ("nox_ppb", "氮氧化物（ppb）", "Nitrogen oxides (ppb)", "ppb", "nox"),
    ("no2_ppb", "二氧化氮（ppb）", "Nitrogen dioxide (ppb)", "ppb", "no2"),
    ("o3_ppb", "臭氧（ppb）", "Ozone (ppb)", "ppb", "o3"),
    ("so2_ppb", "二氧化硫（ppb）", "Sulphur dioxide (ppb)", "ppb", "so2"),
    ("co_ppm", "一氧化碳（ppm）", "Carbon monoxide (ppm)", "ppm", "co"),
]

# Surface water (GB 3838-2002 basic items measured by automatic stations).
_WATER: list[tuple[str, str, str, str, str | None, float, float]] = [
    ("water_temp", "水温", "Water temperature", "°C", "w01010", -5, 45),
    ("ph", "pH值", "pH", "", "w01001", 0, 14),
    ("do", "溶解氧", "Dissolved oxygen", "mg/L", "w01009", 0, 30),
    ("conductivity", "电导率", "Conductivity", "µS/cm", "w01014", 0, 100000),
    ("turbidity", "浊度", "Turbidity", "NTU", "w01003", 0, 10000),
    ("codmn", "高锰酸盐指数", "Permanganate index (CODMn)", "mg/L", "w01019", 0, 1000),
    ("nh3_n", "氨氮", "Ammonia nitrogen", "mg/L", "w21003", 0, 1000),
    ("tp", "总磷", "Total phosphorus", "mg/L", "w21011", 0, 100),
    ("tn", "总氮", "Total nitrogen", "mg/L", "w21001", 0, 500),
]


def reference_parameters() -> list[dict[str, Any]]:
    """Rows for the ``parameters`` table."""
    rows: list[dict[str, Any]] = []
    for code, zh, en, unit, hj, top in _AIR:
        rows.append(_row(code, zh, en, unit, "air", hj212_code=hj, valid_min=0, valid_max=top))
    for code, zh, en, unit in _PUBLISHED:
        rows.append(_row(code, zh, en, unit, "air", published=True, valid_min=0))
    for code, zh, en, unit, hj, low, high in _METEOROLOGY:
        rows.append(
            _row(code, zh, en, unit, "meteorology", hj212_code=hj, valid_min=low, valid_max=high)
        )
    for code, zh, en, unit, base in _OPENAIR:
        rows.append(_row(code, zh, en, unit, "air", base=base, valid_min=0))
    for code, zh, en, unit, hj, low, high in _WATER:
        rows.append(_row(code, zh, en, unit, "water", hj212_code=hj, valid_min=low, valid_max=high))
    rows.append(
        _row(
            "water_class",
            "水质类别（发布值）",
            "Water-quality class (published)",
            "",
            "water",
            published=True,
            valid_min=1,
            valid_max=6,
            description="GB 3838-2002 class as published: 1–5 for classes I–V, 6 for worse than V "
            "(劣V).",
        )
    )
    return rows


def _row(code: str, zh: str, en: str, unit: str, domain: str, **extra: Any) -> dict[str, Any]:
    return {
        "code": code,
        "name_zh": zh,
        "name_en": en,
        "unit": unit,
        "domain": domain,
        "base": extra.pop("base", code),
        **extra,
    }

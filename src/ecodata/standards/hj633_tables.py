"""HJ 633 data: IAQI breakpoints, report indicators, AQI levels and health information.

Values are read from the official texts: HJ 633-2012 Table 1, Table 2, Appendix A; HJ 633-2026 Table
1, Table 2, Table 3, Appendix A. Units are µg/m³, CO mg/m³. The calculation lives in :mod:`.hj633`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Final

from ecodata.standards.editions import Edition, local_midnight

V2012: Final = "2012"
V2026: Final = "2026"

EDITIONS: Final = (
    Edition(
        "HJ 633",
        V2012,
        "环境空气质量指数（AQI）技术规定（试行） HJ 633-2012",
        starts=None,
        in_force=date(2016, 1, 1),
        note="issued 2012-02-29 with GB 3095-2012; applied in the first monitoring cities from "
        "2012 and nationwide from 2016-01-01; used here for all data before 2026-03-01",
    ),
    Edition(
        "HJ 633",
        V2026,
        "环境空气质量指数（AQI）技术规定 HJ 633-2026",
        starts=local_midnight(date(2026, 3, 1)),
        in_force=date(2026, 3, 1),
        note="approved 2026-02-14, in force 2026-03-01, replaces HJ 633-2012",
    ),
)

#: The six pollutants, in the order of the bit mask used for primary pollutants.
POLLUTANTS: Final = ("so2", "no2", "co", "o3", "pm10", "pm2_5")

POLLUTANT_NAMES: Final = {
    "so2": ("二氧化硫", "SO₂"),
    "no2": ("二氧化氮", "NO₂"),
    "co": ("一氧化碳", "CO"),
    "o3": ("臭氧", "O₃"),
    "pm10": ("颗粒物（PM10）", "PM10"),
    "pm2_5": ("颗粒物（PM2.5）", "PM2.5"),
}

#: Decimals kept for concentrations: HJ 633-2026 §4.2.2 (GB/T 8170; µg/m³ to integers, CO mg/m³ to
#: 0.1).
DECIMALS: Final = {"so2": 0, "no2": 0, "co": 1, "o3": 0, "pm10": 0, "pm2_5": 0}

#: IAQI at the breakpoints (HJ 633-2012 Table 1, HJ 633-2026 Table 3, first column).
IAQI_STEPS: Final = (0, 50, 100, 150, 200, 300, 400, 500)

# Breakpoint columns keyed by (pollutant, averaging basis). A column shorter than IAQI_STEPS ends
# where the table has a note instead of a value (SO₂ 1-h above IAQI 200, O₃ 8-h above IAQI 300).
Table = dict[tuple[str, str], tuple[float, ...]]

#: HJ 633-2012 Table 1 (空气质量分指数及对应的污染物项目浓度限值).
TABLE1_2012: Final[Table] = {
    ("so2", "24h"): (0, 50, 150, 475, 800, 1600, 2100, 2620),
    ("so2", "1h"): (0, 150, 500, 650, 800),  # note (2): above 800 see SPECIAL
    ("no2", "24h"): (0, 40, 80, 180, 280, 565, 750, 940),
    ("no2", "1h"): (0, 100, 200, 700, 1200, 2340, 3090, 3840),
    ("pm10", "24h"): (0, 50, 150, 250, 350, 420, 500, 600),
    ("co", "24h"): (0, 2, 4, 14, 24, 36, 48, 60),
    ("co", "1h"): (0, 5, 10, 35, 60, 90, 120, 150),
    ("o3", "1h"): (0, 160, 200, 300, 400, 800, 1000, 1200),
    ("o3", "8h"): (0, 100, 160, 215, 265, 800),  # note (3): above 800 see SPECIAL
    ("pm2_5", "24h"): (0, 35, 75, 115, 150, 250, 350, 500),
}

#: HJ 633-2026 Table 3. Differs from 2012 only at IAQI 100 for PM10 (150 → 120) and PM2.5 (75 → 60).
TABLE3_2026: Final[Table] = {
    **TABLE1_2012,
    ("pm10", "24h"): (0, 50, 120, 250, 350, 420, 500, 600),
    ("pm2_5", "24h"): (0, 35, 60, 115, 150, 250, 350, 500),
}

TABLES: Final = {V2012: TABLE1_2012, V2026: TABLE3_2026}


@dataclass(frozen=True, slots=True)
class Indicator:
    """One report indicator: the record key, its pollutant, and the breakpoint column it uses."""

    key: str
    pollutant: str
    basis: str
    meaning: str


def _ind(key: str, pollutant: str, basis: str, meaning: str) -> Indicator:
    return Indicator(key, pollutant, basis, meaning)


_DAY_2012 = (
    _ind("so2", "so2", "24h", "SO₂ 24-h mean"),
    _ind("no2", "no2", "24h", "NO₂ 24-h mean"),
    _ind("co", "co", "24h", "CO 24-h mean"),
    _ind("o3", "o3", "1h", "O₃ daily maximum 1-h mean"),
    _ind("o3_8h", "o3", "8h", "O₃ daily maximum 8-h moving mean"),
    _ind("pm10", "pm10", "24h", "PM10 24-h mean"),
    _ind("pm2_5", "pm2_5", "24h", "PM2.5 24-h mean"),
)
_HOUR_PUBLISHED = (
    _ind("so2", "so2", "1h", "SO₂ 1-h mean"),
    _ind("no2", "no2", "1h", "NO₂ 1-h mean"),
    _ind("co", "co", "1h", "CO 1-h mean"),
    _ind("o3", "o3", "1h", "O₃ 1-h mean"),
    _ind("pm10", "pm10", "24h", "PM10 1-h mean on the daily breakpoints"),
    _ind("pm2_5", "pm2_5", "24h", "PM2.5 1-h mean on the daily breakpoints"),
)
_HOUR_2012_STRICT = (
    _ind("so2", "so2", "1h", "SO₂ 1-h mean"),
    _ind("no2", "no2", "1h", "NO₂ 1-h mean"),
    _ind("co", "co", "1h", "CO 1-h mean"),
    _ind("o3", "o3", "1h", "O₃ 1-h mean"),
    _ind("o3_8h", "o3", "8h", "O₃ 8-h moving mean"),
    _ind("pm10_24h", "pm10", "24h", "PM10 24-h moving mean"),
    _ind("pm2_5_24h", "pm2_5", "24h", "PM2.5 24-h moving mean"),
)
_DAY_2026 = (
    _ind("so2", "so2", "24h", "SO₂ daily mean"),
    _ind("no2", "no2", "24h", "NO₂ daily mean"),
    _ind("co", "co", "24h", "CO daily mean"),
    _ind("o3_8h", "o3", "8h", "O₃ daily maximum 8-h mean"),
    _ind("pm10", "pm10", "24h", "PM10 daily mean"),
    _ind("pm2_5", "pm2_5", "24h", "PM2.5 daily mean"),
)

RULE_PUBLISHED: Final = "published"
RULE_STRICT: Final = "strict"
RULES: Final = (RULE_PUBLISHED, RULE_STRICT)

#: Indicators that carry a sub-index, per (version, period, rule).
#: * 2012 day: §5.1.2, 7 indicators. 2026 day: §4.2.2, 6 indicators (O₃ 1-h maximum dropped).
#: * 2026 hour: §4.2.3 and the BP note of eq. (1): six 1-h means, PM on the daily breakpoints.
#: * 2012 hour, rule "strict": §5.1.3 and Table 4 read literally — 9 indicators, of which PM10 and
#:   PM2.5 1-h values are shown without a sub-index and the PM sub-index comes from 24-h moving
#: means. * 2012 hour, rule "published": what China's national real-time publication computed under
#:   HJ 633-2012 — the 2026 hourly rule (see docs/standards.md for the evidence in the published
#: data).
SCHEMES: Final[dict[tuple[str, str, str], tuple[Indicator, ...]]] = {
    (V2012, "day", RULE_PUBLISHED): _DAY_2012,
    (V2012, "day", RULE_STRICT): _DAY_2012,
    (V2012, "hour", RULE_PUBLISHED): _HOUR_PUBLISHED,
    (V2012, "hour", RULE_STRICT): _HOUR_2012_STRICT,
    (V2026, "day", RULE_PUBLISHED): _DAY_2026,
    (V2026, "day", RULE_STRICT): _DAY_2026,
    (V2026, "hour", RULE_PUBLISHED): _HOUR_PUBLISHED,
    (V2026, "hour", RULE_STRICT): _HOUR_PUBLISHED,
}

#: Record keys accepted without a sub-index in a scheme (shown, not indexed), with the reason.
SHOWN_ONLY: Final[dict[tuple[str, str, str], dict[str, str]]] = {
    (V2012, "hour", RULE_STRICT): {
        "pm10": "HJ 633-2012 Table 4: PM10 1-h value is shown without a sub-index",
        "pm2_5": "HJ 633-2012 Table 4: PM2.5 1-h value is shown without a sub-index",
        "so2_24h": "SO₂ 24-h mean, used only when the 1-h value exceeds 800 (Table 1 note 2)",
    },
    (V2012, "hour", RULE_PUBLISHED): {
        "o3_8h": "the national real-time AQI does not count the O₃ 8-h moving mean",
        "so2_24h": "SO₂ 24-h mean, used only when the 1-h value exceeds 800 (Table 1 note 2)",
        "pm10_24h": "PM 24-h moving means are not used by the published real-time AQI",
        "pm2_5_24h": "PM 24-h moving means are not used by the published real-time AQI",
    },
    (V2026, "hour", RULE_PUBLISHED): {
        "o3_8h": "HJ 633-2026 §4.2.3: the O₃ 8-h mean is not a real-time indicator",
        "so2_24h": "HJ 633-2026 §4.2.3: only 1-h means enter the real-time report",
        "pm10_24h": "HJ 633-2026 §4.2.3: only 1-h means enter the real-time report",
        "pm2_5_24h": "HJ 633-2026 §4.2.3: only 1-h means enter the real-time report",
    },
    (V2026, "day", RULE_PUBLISHED): {
        "o3": "HJ 633-2026 §4.2.2: the O₃ daily maximum 1-h mean is not a daily indicator",
    },
}
SHOWN_ONLY[(V2026, "hour", RULE_STRICT)] = SHOWN_ONLY[(V2026, "hour", RULE_PUBLISHED)]
SHOWN_ONLY[(V2026, "day", RULE_STRICT)] = SHOWN_ONLY[(V2026, "day", RULE_PUBLISHED)]
SHOWN_ONLY[(V2012, "day", RULE_PUBLISHED)] = {}
SHOWN_ONLY[(V2012, "day", RULE_STRICT)] = {}

#: Every record key the calculator understands, with its pollutant.
RECORD_KEYS: Final = {
    "so2": "so2",
    "no2": "no2",
    "co": "co",
    "o3": "o3",
    "o3_8h": "o3",
    "pm10": "pm10",
    "pm2_5": "pm2_5",
    "so2_24h": "so2",
    "pm10_24h": "pm10",
    "pm2_5_24h": "pm2_5",
}


@dataclass(frozen=True, slots=True)
class Category:
    """One AQI level with its category, colour (Appendix A) and health information (Table 2 / 1)."""

    level: int
    aqi_range: str
    level_zh: str
    name_zh: str
    name_en: str
    colour_zh: str
    colour_en: str
    rgb: tuple[int, int, int]
    cmyk: tuple[int, int, int, int]
    health_effects_zh: str
    advice_zh: str
    health_effects_en: str
    advice_en: str

    @property
    def hex(self) -> str:
        return "#{:02X}{:02X}{:02X}".format(*self.rgb)

    def to_json(self) -> dict[str, object]:
        return {
            "level": self.level,
            "aqi_range": self.aqi_range,
            "level_zh": self.level_zh,
            "name_zh": self.name_zh,
            "name_en": self.name_en,
            "colour_zh": self.colour_zh,
            "colour_en": self.colour_en,
            "rgb": list(self.rgb),
            "hex": self.hex,
            "cmyk": list(self.cmyk),
            "health_effects_zh": self.health_effects_zh,
            "advice_zh": self.advice_zh,
            "health_effects_en": self.health_effects_en,
            "advice_en": self.advice_en,
        }


# Appendix A Table A.1 (identical in 2012 and 2026): colour name → (RGB, CMYK).
_COLOURS: Final = {
    "绿色": ("green", (0, 228, 0), (40, 0, 100, 0)),
    "黄色": ("yellow", (255, 255, 0), (0, 0, 100, 0)),
    "橙色": ("orange", (255, 126, 0), (0, 52, 100, 0)),
    "红色": ("red", (255, 0, 0), (0, 100, 100, 0)),
    "紫色": ("purple", (153, 0, 76), (10, 100, 40, 30)),
    "褐红色": ("maroon", (126, 0, 35), (30, 100, 100, 30)),
}

_LEVEL_FRAME: Final = (
    (1, "一级", "优", "Excellent", "绿色"),
    (2, "二级", "良", "Good", "黄色"),
    (3, "三级", "轻度污染", "Lightly polluted", "橙色"),
    (4, "四级", "中度污染", "Moderately polluted", "红色"),
    (5, "五级", "重度污染", "Heavily polluted", "紫色"),
    (6, "六级", "严重污染", "Severely polluted", "褐红色"),
)

_EFFECTS_EN: Final = (
    "Air quality is satisfactory; there is basically no air pollution.",
    "Air quality is acceptable, but some pollutants may slightly affect a very small number "
    "of unusually sensitive people.",
    "Symptoms of sensitive people are slightly aggravated; healthy people show irritation "
    "symptoms.",
    "Symptoms of sensitive people are further aggravated; the heart and respiratory system "
    "of healthy people may be affected.",
    "Symptoms of people with heart and lung diseases are markedly aggravated and exercise "
    "tolerance falls; healthy people commonly show symptoms.",
    "Exercise tolerance of healthy people falls, with marked strong symptoms; some diseases "
    "appear earlier.",
)
_ADVICE_EN: Final = (
    "Everyone can continue normal activities.",
    "Very few unusually sensitive people should reduce outdoor activities.",
    "Children, the elderly and people with heart or respiratory diseases should reduce "
    "prolonged or heavy outdoor exercise.",
    "Children, the elderly and people with heart or respiratory diseases should avoid "
    "prolonged or heavy outdoor exercise; everyone else should moderately reduce outdoor "
    "exercise.",
    "Children, the elderly and people with heart or lung diseases should stay indoors and "
    "stop outdoor exercise; everyone else should reduce outdoor exercise.",
    "Children, the elderly and the sick should stay indoors and avoid physical exertion; "
    "everyone else should avoid outdoor activities.",
)

# HJ 633-2012 Table 2 (空气质量指数及相关信息), text as printed.
_TEXT_2012: Final = (
    ("空气质量令人满意，基本无空气污染", "各类人群可正常活动"),
    (
        "空气质量可接受，但某些污染物可能对极少数异常敏感人群健康有较弱影响",
        "极少数异常敏感人群应减少户外活动",
    ),
    (
        "易感人群症状有轻度加剧，健康人群出现刺激症状",
        "儿童、老年人及心脏病、呼吸系统疾病患者应减少长时间、高强度的户外锻炼",
    ),
    (
        "进一步加剧易感人群症状，可能对健康人群心脏、呼吸系统有影响",
        "儿童、老年人及心脏病、呼吸系统疾病患者避免长时间、高强度的户外锻练，一般人群适量减少户外运动",
    ),
    (
        "心脏病和肺病患者症状显著加剧，运动耐受力降低，健康人群普遍出现症状",
        "儿童、老年人和心脏病、肺病患者应停留在室内，停止户外运动，一般人群减少户外运动",
    ),
    (
        "健康人群运动耐受力降低，有明显强烈症状，提前出现某些疾病",
        "儿童、老年人和病人应当留在室内，避免体力消耗，一般人群应避免户外活动",
    ),
)

# HJ 633-2026 Table 1 (空气质量指数及相关信息), text as printed.
_TEXT_2026: Final = (
    _TEXT_2012[0],
    _TEXT_2012[1],
    (
        "敏感人群症状有轻度加剧，健康人群出现刺激症状",
        "青少年儿童、老年人及心血管系统疾病、呼吸系统疾病患者应减少长时间、高强度的户外锻炼",
    ),
    (
        "进一步加剧敏感人群症状，可能对健康人群心血管系统、呼吸系统有影响",
        "青少年儿童、老年人及心血管系统疾病、呼吸系统疾病患者避免长时间、高强度的户外锻炼，"
        "一般人群适量减少户外运动",
    ),
    (
        "心血管系统和呼吸系统患者症状显著加剧，运动耐受力降低，健康人群普遍出现症状",
        "青少年儿童、老年人和心血管系统疾病、呼吸系统疾病患者应停留在室内，停止户外运动，"
        "一般人群减少户外运动",
    ),
    (
        "健康人群运动耐受力降低，有明显强烈症状，提前出现某些疾病",
        "青少年儿童、老年人和病人应当留在室内，避免体力消耗，一般人群应避免户外活动",
    ),
)

_RANGES: Final = {
    V2012: ("0～50", "51～100", "101～150", "151～200", "201～300", ">300"),
    V2026: ("1～50", "51～100", "101～150", "151～200", "201～300", ">300"),
}


def _categories(version: str, texts: tuple[tuple[str, str], ...]) -> tuple[Category, ...]:
    out = []
    for (level, level_zh, name_zh, name_en, colour), (
        effects,
        advice,
    ), aqi_range, eff_en, adv_en in zip(
        _LEVEL_FRAME, texts, _RANGES[version], _EFFECTS_EN, _ADVICE_EN, strict=True
    ):
        colour_en, rgb, cmyk = _COLOURS[colour]
        out.append(
            Category(
                level,
                aqi_range,
                level_zh,
                name_zh,
                name_en,
                colour,
                colour_en,
                rgb,
                cmyk,
                effects,
                advice,
                eff_en,
                adv_en,
            )
        )
    return tuple(out)


#: Levels 1–6 per version (HJ 633-2012 Table 2; HJ 633-2026 Table 1).
CATEGORIES: Final = {V2012: _categories(V2012, _TEXT_2012), V2026: _categories(V2026, _TEXT_2026)}

#: Upper AQI bound of levels 1–5 (level 6 is everything above 300).
LEVEL_UPPER: Final = (50, 100, 150, 200, 300)

_PM_GROUPS: Final = (
    "患有心血管系统疾病或呼吸系统疾病（如哮喘）的人、青少年儿童、户外活动频繁的人以及老年人"
)

#: HJ 633-2026 Table 2: sensitive groups to act when a pollutant's IAQI exceeds 100.
SENSITIVE_GROUPS_2026: Final = {
    "so2": "患有哮喘的人、青少年儿童以及老年人",
    "no2": "患有呼吸系统疾病（如哮喘）的人、青少年儿童以及老年人",
    "co": "患有心血管系统疾病的人",
    "o3": "患有呼吸系统疾病（如哮喘）的人、青少年儿童、户外活动频繁的人以及老年人",
    "pm10": _PM_GROUPS,
    "pm2_5": _PM_GROUPS,
}

"""HJ 212 code tables: system codes (ST), commands (CN), data flags, QnRtn, ExeRtn and the
Appendix B pollutant / noise / process / site-information codes with their HJ/T 212-2005 codes.

Sources: HJ 212-2017 Tables 5-9 (§6.6) and Appendix B; HJ 212-2025 and CNEMC surface-water commands
as documented by third-party readings (unverified against the official 2025 text).
The Appendix B table ships as ``hj212_codes.csv`` (379 codes).
"""

from __future__ import annotations

import csv
import functools
import re
from collections.abc import Mapping
from dataclasses import dataclass
from importlib import resources
from typing import Final

from ecodata.model import Period

__all__ = [
    "COMMANDS",
    "DATA_FLAGS",
    "EXE_RTN",
    "QN_RTN",
    "SYSTEM_CODES",
    "Command",
    "DataFlagInfo",
    "Pollutant",
    "flag_is_valid",
    "is_known_code",
    "old_code_of",
    "pollutant",
    "pollutants",
    "translate_2005_code",
    "unit_symbol",
]

# --- System codes ST (HJ 212-2017 §6.6.1 Table 5, citing GB/T 16706-1996) ------------------------

SYSTEM_CODES: Final[Mapping[str, str]] = {
    "21": "地表水质量监测 surface-water quality",
    "22": "空气质量监测 ambient air quality",
    "23": "声环境质量监测 ambient noise",
    "24": "地下水质量监测 groundwater quality",
    "25": "土壤质量监测 soil quality",
    "26": "海水质量监测 seawater quality",
    "27": "挥发性有机物监测 VOCs",
    "31": "大气环境污染源 air emission source (CEMS)",
    "32": "地表水体环境污染源 wastewater source",
    "33": "地下水体环境污染源 groundwater pollution source",
    "34": "海洋环境污染源 marine pollution source",
    "35": "土壤环境污染源 soil pollution source",
    "36": "声环境污染源 noise source",
    "37": "振动环境污染源 vibration source",
    "38": "放射性环境污染源 radioactive source",
    "39": "工地扬尘污染源 construction dust",
    "41": "电磁环境污染源 electromagnetic source",
    "51": "烟气排放过程监控 flue-gas process monitoring",
    "52": "污水排放过程监控 wastewater process monitoring",
    "91": "系统交互 system interaction",
    # HJ 212-2025 (unverified against the official text)
    "44": "用电监控 electricity use (HJ 212-2025)",
    "45": "关键生产工况 key production states (HJ 212-2025)",
}

#: ST values whose old (2005) codes are the air list, and those whose old codes are the water list.
AIR_SYSTEMS: Final = frozenset({"22", "27", "31", "39", "51"})
WATER_SYSTEMS: Final = frozenset({"21", "24", "26", "32", "33", "34", "52"})

# --- Commands CN (HJ 212-2017 §6.6.5 Table 9) ---------------------------------------------


@dataclass(frozen=True, slots=True)
class Command:
    """One command code. ``kind`` is the standard's 命令类型 as seen by the receiving centre:
    ``request`` (centre → field), ``upload`` (field → centre, answered with 9014 when A=1),
    ``notification`` (answered with 9013) or ``interaction`` (9011-9015 answers)."""

    cn: str
    name: str
    kind: str
    period: Period | None = None
    version: str = "2017"


def _commands() -> dict[str, Command]:
    rows = [
        ("1000", "设置超时时间及重发次数 set timeout and retries", "request", None, "2017"),
        ("1001", "上传数采仪硬件序列号 upload DAS hardware SN", "notification", None, "2025"),
        ("1002", "设置数采仪 MN set DAS MN", "request", None, "2025"),
        ("1011", "提取/上传现场机时间 get/upload DAS time", "upload", None, "2017"),
        ("1012", "设置现场机时间 set DAS time", "request", None, "2017"),
        ("1013", "现场机时间校准请求 time-calibration request", "notification", None, "2017"),
        ("1014", "密钥请求/下发 key request / new key", "notification", None, "2025"),
        ("1061", "提取/上传实时数据间隔 realtime interval", "upload", None, "2017"),
        ("1062", "设置实时数据间隔 set realtime interval", "request", None, "2017"),
        ("1063", "提取/上传分钟数据间隔 minute interval", "upload", None, "2017"),
        ("1064", "设置分钟数据间隔 set minute interval", "request", None, "2017"),
        ("1072", "设置现场机密码 set password", "request", None, "2017"),
        ("2011", "污染物实时数据 realtime data", "upload", Period.REALTIME, "2017"),
        ("2012", "停止察看实时数据 stop realtime data", "notification", None, "2017"),
        ("2013", "原始监测数据 raw monitoring data", "upload", Period.REALTIME, "2025"),
        ("2021", "设备运行状态数据 facility running state", "upload", Period.REALTIME, "2017"),
        ("2022", "停止察看设备运行状态 stop facility state", "notification", None, "2017"),
        ("2031", "污染物日历史数据 daily data", "upload", Period.DAY, "2017"),
        (
            "2041",
            "设备运行时间日历史数据 facility running time per day",
            "upload",
            Period.DAY,
            "2017",
        ),
        ("2051", "污染物分钟数据 minute data", "upload", Period.MINUTE, "2017"),
        ("2052", "噪声单次测量 noise single measurement", "upload", Period.REALTIME, "2025"),
        ("2061", "污染物小时数据 hourly data", "upload", Period.HOUR, "2017"),
        ("2062", "自动标样核查数据 standard-sample check data", "upload", None, "2025"),
        ("2081", "数采仪开机时间 DAS power-on time", "upload", None, "2017"),
        (
            "2111",
            "炉膛温度五分钟均值 furnace temperature 5-minute mean",
            "upload",
            Period.MINUTE,
            "2025",
        ),
        ("3011", "零点校准量程校准 zero/span calibration", "request", None, "2017"),
        ("3012", "即时采样 immediate sampling", "request", None, "2017"),
        ("3013", "启动清洗/反吹 cleaning / blowback", "request", None, "2017"),
        ("3014", "比对采样 comparison sampling", "request", None, "2017"),
        ("3015", "超标留样 over-limit sample retention", "upload", None, "2017"),
        ("3016", "设置采样时间周期 set sampling period", "request", None, "2017"),
        ("3017", "提取/上传采样时间周期 sampling period", "upload", None, "2017"),
        ("3018", "提取/上传出样时间 sample output time", "upload", None, "2017"),
        ("3019", "提取/上传设备唯一标识 instrument SN", "upload", None, "2017"),
        ("3020", "提取/上传现场机信息 site information", "upload", None, "2017"),
        ("3021", "设置现场机参数 set site parameter", "request", None, "2017"),
        ("3022", "即时留样任务 immediate sample-retention task", "request", None, "2025"),
        ("3024", "启动自动标样核查 start automatic standard check", "request", None, "2025"),
        ("9011", "请求应答 request answer (QnRtn)", "interaction", None, "2017"),
        ("9012", "执行结果 execution result (ExeRtn)", "interaction", None, "2017"),
        ("9013", "通知应答 notification answer", "interaction", None, "2017"),
        ("9014", "数据应答 data answer", "interaction", None, "2017"),
        ("9015", "心跳 heartbeat", "notification", None, "2025"),
    ]
    return {
        cn: Command(cn, name, kind, period, version) for cn, name, kind, period, version in rows
    }


COMMANDS: Final[Mapping[str, Command]] = _commands()

# --- Execution results and request answers (Tables 6 and 7, both extensible) --------------------

EXE_RTN: Final[Mapping[int, str]] = {
    1: "执行成功 success",
    2: "执行失败，但不知道原因 failed, reason unknown",
    3: "命令请求条件错误 request-condition error",
    4: "通讯超时 communication timeout",
    5: "系统繁忙不能执行 busy",
    6: "系统故障 system fault",
    100: "没有数据 no data",
}

QN_RTN: Final[Mapping[int, str]] = {
    1: "准备执行请求 ready to execute",
    2: "请求被拒绝 rejected",
    3: "PW 错误 password error",
    4: "MN 错误 MN error",
    5: "ST 错误 ST error",
    6: "Flag 错误 Flag error",
    7: "QN 错误 QN error",
    8: "CN 错误 CN error",
    9: "CRC 校验错误 CRC error (CNEMC surface-water variant: system busy)",
    99: "CRC 校验错误 CRC error (CNEMC surface-water variant)",
    100: "未知错误 unknown error",
}

# --- Data flags (2017 Table 8; the 2005 flags from third-party sources) ------------------------


@dataclass(frozen=True, slots=True)
class DataFlagInfo:
    flag: str
    meaning: str
    valid: bool


DATA_FLAGS: Final[Mapping[str, DataFlagInfo]] = {
    info.flag: info
    for info in (
        DataFlagInfo("N", "仪器仪表工作正常 instrument normal", True),
        DataFlagInfo("F", "仪器仪表停运 instrument (or source) stopped", False),
        DataFlagInfo("M", "维护期间产生的数据 maintenance", False),
        DataFlagInfo("S", "手工输入的设定值 manually set value", False),
        DataFlagInfo("D", "仪器仪表故障 instrument fault", False),
        DataFlagInfo("C", "校准状态 calibration", False),
        DataFlagInfo("T", "超过测量上限 above the measuring upper limit", False),
        DataFlagInfo("B", "与数采仪通讯异常 instrument-DAS communication abnormal", False),
        DataFlagInfo("P", "电源故障 power failure (HJ/T 212-2005)", False),
    )
}

#: HJ/T 212-2005 ambient-air station flags (third-party sources): 0 calibration, 1 meteorological
#: parameter, 2 abnormal, 3 normal.
AIR_STATION_FLAGS_2005: Final[Mapping[str, DataFlagInfo]] = {
    info.flag: info
    for info in (
        DataFlagInfo("0", "校准数据 calibration (2005 air station)", False),
        DataFlagInfo("1", "气象参数 meteorological parameter (2005 air station)", True),
        DataFlagInfo("2", "异常数据 abnormal (2005 air station)", False),
        DataFlagInfo("3", "正常数据 normal (2005 air station)", True),
    )
}


def flag_is_valid(flag: str | None, version: str = "2017") -> bool:
    """Whether a value with this data flag is valid data. No flag counts as valid; an unknown flag
    (provincial or vendor extensions such as ``St``/``Sd``) does not."""
    if flag is None:
        return True
    info = DATA_FLAGS.get(flag)
    if info is None and version == "2005":
        info = AIR_STATION_FLAGS_2005.get(flag)
    return info is not None and info.valid


# --- Appendix B codes --------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Pollutant:
    """One Appendix B code; units as the table prints them (Chinese), see :func:`unit_symbol`."""

    code: str
    name: str
    old_code: str | None
    unit: str
    amount_unit: str
    data_type: str
    note: str = ""


@functools.cache
def pollutants() -> Mapping[str, Pollutant]:
    """All Appendix B codes by code (the first entry where HJ 212-2017 prints a code twice)."""
    text = resources.files("ecodata.protocols").joinpath("hj212_codes.csv").read_text("utf-8")
    lines = [line for line in text.splitlines() if line and not line.startswith("#")]
    table: dict[str, Pollutant] = {}
    for row in list(csv.reader(lines))[1:]:
        code, name, old, unit, amount, dtype, note = (row + [""] * 7)[:7]
        if code in table:  # HJ 212-2017 prints e701xx and g119xx twice
            first = table[code]
            table[code] = Pollutant(
                first.code,
                first.name,
                first.old_code,
                first.unit,
                first.amount_unit,
                first.data_type,
                f"HJ 212-2017 also prints this code for {name}",
            )
            continue
        table[code] = Pollutant(code, name, old or None, unit, amount, dtype, note)
    return table


@functools.cache
def _old_codes() -> tuple[Mapping[str, str], Mapping[str, str], Mapping[str, str]]:
    air: dict[str, str] = {}
    water: dict[str, str] = {}
    for p in pollutants().values():
        if p.old_code:
            (air if p.code.startswith("a") else water)[p.old_code] = p.code
    reverse = {new: old for old, new in (air | water).items()}
    return air, water, reverse


def translate_2005_code(code: str, st: str | None = None) -> str | None:
    """The HJ 212-2017 code of an HJ/T 212-2005 code (Appendix B 原编码), or None.

    Old air codes (``01``, ``S01`` …) and old water codes (``011``, ``B01`` …) are looked up in the
    list that matches the packet's system code, so a vendor code such as ``023`` in a flue-gas
    packet is not taken for the water code of chromium.
    """
    air, water, _ = _old_codes()
    if st in AIR_SYSTEMS:
        return air.get(code)
    if st in WATER_SYSTEMS:
        return water.get(code)
    return air.get(code) or water.get(code)


def old_code_of(code: str) -> str | None:
    """The HJ/T 212-2005 code of an HJ 212-2017 code, if Appendix B gives one."""
    return _old_codes()[2].get(code)


_PROCESS = re.compile(r"[eg][0-9a-b][0-9]{2}[0-9]{2}")
_FACILITY = re.compile(r"SB[0-9]{1,3}")


def pollutant(code: str) -> Pollutant | None:
    """The Appendix B entry of a code, including process codes (``e20201`` → ``e202xx``) and the
    incinerator temperature codes ``i3331x`` … ``i3334x``."""
    table = pollutants()
    found = table.get(code)
    if found is None and len(code) == 6:
        if _PROCESS.fullmatch(code):
            found = table.get(code[:4] + "xx")
        elif code.startswith("i333"):
            found = table.get(code[:5] + "x")
    return found


def is_known_code(code: str) -> bool:
    """Whether ``code`` is an HJ 212-2017 code: Appendix B, a process code or a facility ``SBn``."""
    return pollutant(code) is not None or _FACILITY.fullmatch(code) is not None


_UNIT_SYMBOLS: Final[Mapping[str, str]] = {
    "毫克/立方米": "mg/m³",
    "微克/立方米": "µg/m³",
    "纳克/立方米": "ng/m³",
    "毫克/升": "mg/L",
    "微克/升": "µg/L",
    "纳克/升": "ng/L",
    "升/秒": "L/s",
    "立方米/秒": "m³/s",
    "立方米/小时": "m³/h",
    "米/秒": "m/s",
    "摄氏度": "°C",
    "千帕": "kPa",
    "帕": "Pa",
    "%": "%",
    "无量纲": "",
    "分贝": "dB",
    "千克": "kg",
    "克": "g",
    "毫克": "mg",
    "立方米": "m³",
    "平方米": "m²",
    "米": "m",
    "安[培]": "A",
    "伏[特]": "V",
    "毫伏[特]": "mV",
    "秒": "s",
    "分钟": "min",
    "微西[门子]/厘米": "µS/cm",
    "个/升": "count/L",
    "贝可[勒尔]/升": "Bq/L",
}


def unit_symbol(unit: str) -> str:
    """A symbol for a unit printed in Chinese in Appendix B (``毫克/立方米`` → ``mg/m³``);
    units without a symbol here are returned unchanged."""
    return _UNIT_SYMBOLS.get(unit, unit)

"""Packets of simulated devices: a coal-fired boiler's flue-gas CEMS and a wastewater outlet.
Pure (no sockets, no clock): the same arguments always give the same bytes.

Values are plausible for ultra-low-emission plants and consistent with each other:
折算 (converted) concentrations use HJ 212-2017 D.2 formula (28) with the 6 % reference O₂ of coal
boilers; flue-gas flow is velocity × duct area; interval amounts (``Cou``) follow D.2 (33) and
D.1 (1)/(8): flue-gas mass = mean concentration × standard dry flow × time, wastewater mass =
volume × concentration. Now and then an analyser reports calibration (C) or maintenance (M).
"""

from __future__ import annotations

import math
import random
import zlib
from datetime import datetime, timedelta

from ecodata.model import CHINA_TZ
from ecodata.protocols.hj212_build import build_packet
from ecodata.protocols.hj212_codes import old_code_of
from ecodata.protocols.hj212_packet import Version

__all__ = ["KINDS", "simulated_packet"]

KINDS = ("cems", "wastewater")

#: Reference O₂ for coal-fired boilers (GB 13223-2011), % — for 折算 values.
_REFERENCE_O2 = 6.0
_DUCT_AREA_M2 = 12.56  # 4 m diameter stack
_INTERVAL_MINUTES = {"2011": 0, "2051": 10, "2061": 60, "2031": 1440}

# code → (mean, spread, decimals, converted?)
_CEMS = {
    "a01011": (12.0, 1.5, 2, False),  # flue-gas velocity m/s
    "a01012": (48.0, 2.5, 1, False),  # flue-gas temperature °C
    "a01013": (0.20, 0.04, 3, False),  # flue-gas pressure kPa
    "a01014": (10.0, 1.2, 1, False),  # flue-gas humidity %
    "a19001": (6.5, 0.6, 1, False),  # O₂ %
    "a34013": (2.5, 0.7, 2, True),  # particulate mg/m³ (limit 10)
    "a21026": (18.0, 5.0, 2, True),  # SO₂ mg/m³ (limit 35)
    "a21002": (32.0, 7.0, 1, True),  # NOx mg/m³ (limit 50)
}
_WASTEWATER = {
    "w00000": (25.0, 5.0, 2),  # flow L/s
    "w01001": (7.2, 0.2, 2),  # pH
    "w01018": (28.0, 5.0, 1),  # COD mg/L
    "w21003": (1.2, 0.35, 2),  # NH₃-N mg/L
    "w21011": (0.25, 0.07, 2),  # TP mg/L
    "w21001": (9.0, 1.8, 2),  # TN mg/L
}
_POLLUTANTS = frozenset({"a34013", "a21026", "a21002", "w01018", "w21003", "w21011", "w21001"})


def _flag(rng: random.Random, code: str) -> str:
    roll = rng.random()
    if code in _POLLUTANTS and roll < 0.01:
        return "C"  # calibration
    if roll > 0.997:
        return "M"  # maintenance
    return "N"


def _value(rng: random.Random, mean: float, spread: float, phase: float) -> float:
    daily = math.sin(phase) * spread * 0.6
    return max(mean + daily + rng.gauss(0.0, spread * 0.4), 0.0)


def _round(value: float, decimals: int) -> str:
    return f"{value:.{decimals}f}"


def _data_time(at: datetime, cn: str) -> datetime:
    minutes = _INTERVAL_MINUTES[cn]
    at = at.replace(microsecond=0)
    if minutes == 0:
        return at
    if minutes == 1440:
        return at.replace(hour=0, minute=0, second=0)
    return at.replace(minute=at.minute - at.minute % minutes, second=0)


def simulated_packet(
    mn: str,
    password: str,
    kind: str,
    at: datetime,
    seq: int,
    version: str = "2017",
    *,
    cn: str = "2011",
    ack: bool = True,
    sm4_key: bytes | None = None,
) -> bytes:
    """One upload of a simulated device.

    ``kind``: ``"cems"`` (ST 31: flow, temperature, pressure, humidity, O₂, particulate, SO₂, NOx
    with 折算 values) or ``"wastewater"`` (ST 32: flow, pH, COD, NH₃-N, TP, TN). ``at``: the
    time of the upload (an aware time is converted to China Standard Time; a naive one is taken
    as such) (DataTime of realtime data; minute/hour/day data use the start of the
    interval that contains it). ``seq``: the device's packet counter (varies the values and
    the QN milliseconds). ``cn``: 2011 realtime, 2051 minute (10-minute interval), 2061 hour or
    2031 day. ``version``: "2005" (old codes, Flag version 0), "2017" or "2025" (optionally with
    the device's SM4 key).
    """
    if kind not in KINDS:
        raise ValueError(f"unknown simulated device kind {kind!r}; use one of {', '.join(KINDS)}")
    if cn not in _INTERVAL_MINUTES:
        raise ValueError(f"simulated devices send CN 2011, 2051, 2061 or 2031, not {cn!r}")
    version = Version(version)
    if at.tzinfo is not None:
        at = at.astimezone(CHINA_TZ)  # HJ 212 times are China Standard Time
    rng = random.Random(zlib.crc32(f"{mn}|{kind}|{cn}|{seq}".encode()))
    data_time = _data_time(at, cn)
    phase = 2 * math.pi * (data_time.hour * 60 + data_time.minute) / 1440.0
    minutes = _INTERVAL_MINUTES[cn]
    items: list[tuple[str, str]] = [("DataTime", data_time.strftime("%Y%m%d%H%M%S"))]
    if kind == "cems":
        items += _cems_items(rng, phase, minutes)
        st = "31"
    else:
        items += _wastewater_items(rng, phase, minutes)
        st = "32"
    if version is Version.V2005:
        items = [(_old(key), value) for key, value in items]
    qn_time = at.replace(microsecond=0) + timedelta(milliseconds=seq % 1000)
    qn = qn_time.strftime("%Y%m%d%H%M%S") + f"{seq % 1000:03d}"
    return build_packet(
        cn, mn, pw=password, st=st, qn=qn, version=version, ack=ack, cp=items, sm4_key=sm4_key
    )


def _old(key: str) -> str:
    code, dash, field = key.partition("-")
    old = old_code_of(code) if dash else None
    return f"{old}-{field}" if old else key


def _interval_fields(
    rng: random.Random, mean: float, spread: float, decimals: int
) -> tuple[float, float, float]:
    avg = max(mean + rng.gauss(0.0, spread * 0.25), 0.0)
    low = max(avg - abs(rng.gauss(spread * 0.5, spread * 0.2)), 0.0)
    high = avg + abs(rng.gauss(spread * 0.5, spread * 0.2))
    return round(low, decimals), round(avg, decimals), round(high, decimals)


def _cems_items(rng: random.Random, phase: float, minutes: int) -> list[tuple[str, str]]:
    values = {code: _value(rng, m, s, phase) for code, (m, s, _, _) in _CEMS.items()}
    o2 = min(values["a19001"], 20.0)
    factor = (21.0 - _REFERENCE_O2) / (21.0 - o2)  # HJ 212-2017 D.2 (28)
    velocity, temperature = values["a01011"], values["a01012"]
    pressure, humidity = values["a01013"], values["a01014"]
    flow = velocity * _DUCT_AREA_M2  # a00000, m³/s (actual)
    # D.2 (31): standard-state dry flow, m³/s
    standard_flow = (
        flow * 273.0 / (273.0 + temperature) * (101.325 + pressure) / 101.325 * (1 - humidity / 100)
    )
    items: list[tuple[str, str]] = []
    seconds = minutes * 60
    if minutes == 0:
        items += [("a00000-Rtd", _round(flow, 2)), ("a00000-Flag", "N")]
    else:
        low, avg, high = _interval_fields(rng, flow, flow * 0.05, 2)
        items += [
            ("a00000-Cou", _round(standard_flow * seconds, 1)),
            ("a00000-Min", _round(low, 2)),
            ("a00000-Avg", _round(avg, 2)),
            ("a00000-Max", _round(high, 2)),
            ("a00000-Flag", "N"),
        ]
    for code, (mean, spread, decimals, converted) in _CEMS.items():
        flag = _flag(rng, code)
        if minutes == 0:
            items.append((f"{code}-Rtd", _round(values[code], decimals)))
            if converted:
                items.append((f"{code}-ZsRtd", _round(values[code] * factor, decimals)))
        else:
            low, avg, high = _interval_fields(rng, mean, spread, decimals)
            if converted:
                amount = avg * standard_flow * seconds * 1e-6  # D.2 (33): kg
                items.append((f"{code}-Cou", _round(amount, 3)))
            items += [
                (f"{code}-Min", _round(low, decimals)),
                (f"{code}-Avg", _round(avg, decimals)),
                (f"{code}-Max", _round(high, decimals)),
            ]
            if converted:
                items += [
                    (f"{code}-ZsMin", _round(low * factor, decimals)),
                    (f"{code}-ZsAvg", _round(avg * factor, decimals)),
                    (f"{code}-ZsMax", _round(high * factor, decimals)),
                ]
        items.append((f"{code}-Flag", flag))
    return items


def _wastewater_items(rng: random.Random, phase: float, minutes: int) -> list[tuple[str, str]]:
    items: list[tuple[str, str]] = []
    flow = _value(rng, *_WASTEWATER["w00000"][:2], phase)
    volume = flow * minutes * 60 * 1e-3  # D.1 (1): m³
    for code, (mean, spread, decimals) in _WASTEWATER.items():
        flag = "N" if code == "w00000" else _flag(rng, code)
        if minutes == 0:
            value = flow if code == "w00000" else _value(rng, mean, spread, phase)
            items.append((f"{code}-Rtd", _round(value, decimals)))
        else:
            low, avg, high = _interval_fields(
                rng, flow if code == "w00000" else mean, spread, decimals
            )
            if code == "w00000":
                items.append((f"{code}-Cou", _round(volume, 2)))
            elif code != "w01001":
                items.append((f"{code}-Cou", _round(volume * avg * 1e-3, 3)))  # D.1 (8): kg
            items += [
                (f"{code}-Min", _round(low, decimals)),
                (f"{code}-Avg", _round(avg, decimals)),
                (f"{code}-Max", _round(high, decimals)),
            ]
        items.append((f"{code}-Flag", flag))
    return items

"""What an HJ 212 data packet means: one :class:`Reading` per ``code-Field=value``.

* CN 2011/2021 (realtime), 2051 (minute), 2061 (hour), 2031/2041 (day) and the HJ 212-2025 data
  commands map to an observation :class:`~ecodata.model.Period` (:data:`hj212_codes.COMMANDS`);
* ``DataTime`` is the start of the interval for 2051/2061/2031/2041 and the sampling instant for
  2011/2021 (HJ 212-2017 Table 4), in China Standard Time (UTC+8);
* every numeric field is kept as its own series: ``Rtd``, ``Min``, ``Avg``, ``Max``, ``Cou``
  (emission amount), ``ZsRtd``/``ZsMin``/``ZsAvg``/``ZsMax`` (折算 converted values), noise
  ``Data``/``DayData``/``NightData``, facility ``RS``/``RT`` …; ``Flag``, ``EFlag`` and
  ``SampleTime`` qualify the readings of their code instead;
* the data flag (Table 8) sets validity; HJ/T 212-2005 codes are translated to 2017 codes (Appendix
  B 原编码) with the original code kept; codes found in no table are kept and marked unknown.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Final, NamedTuple

from ecodata.model import CHINA_TZ, Period
from ecodata.protocols.hj212_codes import (
    COMMANDS,
    flag_is_valid,
    is_known_code,
    translate_2005_code,
)
from ecodata.protocols.hj212_errors import FieldSyntaxError, MissingFieldError
from ecodata.protocols.hj212_packet import Packet

__all__ = [
    "CodedValue",
    "LayoutItem",
    "Reading",
    "coded_values",
    "data_layout",
    "parse_data_time",
    "reading_value",
    "records",
]

#: Fields that qualify the readings of their code rather than being readings themselves.
QUALIFIERS: Final = frozenset(
    {"Flag", "EFlag", "SampleTime", "CompleteTime", "SampleType", "ResultType"}
)


class Reading(NamedTuple):
    """One value of one field of one code in one data packet (immutable)."""

    mn: str
    cn: str
    period: Period
    time: datetime  # DataTime: start of the interval (realtime: sampling instant), UTC+8
    code: str  # HJ 212-2017 code (translated from 2005, or mapped per device)
    original_code: str  # the code as the packet carried it
    field: str  # Rtd, Avg, Min, Max, Cou, ZsRtd, ZsAvg, …
    value: float | None  # None when the text is not a finite number
    raw: str  # the value exactly as received
    flag: str | None  # data flag (Table 8) of this code in this packet
    valid: bool  # flag says valid (N or no flag) and the value is a number
    known_code: bool
    eflag: str | None = None
    sample_time: datetime | None = None


class CodedValue(NamedTuple):
    """A ``code-Field=value`` item with the qualifiers of its code, before interpretation."""

    code: str
    original_code: str
    field: str
    raw: str
    flag: str | None
    eflag: str | None
    sample_time: str | None
    known_code: bool


_known_cache: dict[str, bool] = {}


def _is_known(code: str) -> bool:
    known = _known_cache.get(code)
    if known is None:
        if len(_known_cache) > 4096:
            _known_cache.clear()
        known = _known_cache[code] = is_known_code(code)
    return known


def coded_values(packet: Packet, *, code_map: Mapping[str, str] | None = None) -> list[CodedValue]:
    """Every ``code-Field=value`` item of the data area except qualifiers, in order.

    ``code_map`` maps a device's own codes (vendor codes such as ``801``) to HJ 212-2017 codes;
    otherwise an unknown code that is an HJ/T 212-2005 code is translated (Appendix B).
    """
    return [tuple.__new__(CodedValue, item) for item in _coded_items(packet, code_map)]


def _coded_items(
    packet: Packet, code_map: Mapping[str, str] | None
) -> list[tuple[str, str, str, str, str | None, str | None, str | None, bool]]:
    """The fields of :class:`CodedValue` as plain tuples (what :func:`records` iterates)."""
    flat = packet.fields
    qualifiers: dict[str, str] = {}  # "a21026-Flag" → "N" (the first one given)
    items: list[tuple[str, str, str]] = []
    for name, raw in zip(flat[0::2], flat[1::2], strict=True):
        code, dash, field = name.partition("-")
        if dash:
            if field in QUALIFIERS:
                qualifiers.setdefault(name, raw)
            else:
                items.append((code, field, raw))
    st = packet.st
    out = []
    for original, field, raw in items:
        if code_map is not None and original in code_map:
            code = code_map[original]
            known = _is_known(code)
        else:
            code, known = _resolve(original, st)
        if qualifiers:
            flag = qualifiers.get(original + "-Flag")
            eflag = qualifiers.get(original + "-EFlag")
            sampled = qualifiers.get(original + "-SampleTime")
        else:
            flag = eflag = sampled = None
        out.append((code, original, field, raw, flag, eflag, sampled, known))
    return out


_resolved: dict[tuple[str, str | None], tuple[str, bool]] = {}


def _resolve(original: str, st: str | None) -> tuple[str, bool]:
    """(HJ 212-2017 code, known) of a code as sent in a packet of system ``st``."""
    found = _resolved.get((original, st))
    if found is None:
        code = original
        if not _is_known(original):
            code = translate_2005_code(original, st) or original
        if len(_resolved) > 8192:
            _resolved.clear()
        found = _resolved[original, st] = (code, _is_known(code))
    return found


@functools.lru_cache(maxsize=4096)  # many devices report the same minutes and hours
def parse_data_time(text: str, field: str = "DataTime") -> datetime:
    """``YYYYMMDDhhmmss`` (optionally followed by milliseconds ``zzz``, seen in the field) as an
    aware datetime in China Standard Time (HJ 212-2017 §6.3.3.2.2)."""
    if len(text) not in (14, 17) or not text.isdigit() or not text.isascii():
        raise FieldSyntaxError(
            f"{field} must be YYYYMMDDhhmmss (14 digits), got {text[:24]!r}", field=field
        )
    try:
        return datetime(
            int(text[0:4]),
            int(text[4:6]),
            int(text[6:8]),
            int(text[8:10]),
            int(text[10:12]),
            int(text[12:14]),
            int(text[14:17] or 0) * 1000,
            tzinfo=CHINA_TZ,
        )
    except ValueError as exc:
        raise FieldSyntaxError(
            f"{field} {text!r} is not a valid time: {exc}", field=field
        ) from None


def records(packet: Packet, *, code_map: Mapping[str, str] | None = None) -> list[Reading]:
    """The readings of a data packet (an empty list for commands that carry no data).

    Raises :class:`MissingFieldError` when a packet with values has no ``DataTime`` and
    :class:`FieldSyntaxError` when it is not a valid time.
    """
    command = COMMANDS.get(packet.cn)
    if command is None or command.period is None:
        return []
    items = _coded_items(packet, code_map)
    if not items:  # e.g. a centre's request for data (C.10, C.20): nothing to record
        return []
    data_time = packet.get("DataTime")
    if data_time is None:
        raise MissingFieldError(
            f"CN {packet.cn} data from MN {packet.mn} without DataTime",
            field="DataTime",
            raw=packet.raw,
        )
    try:
        time = parse_data_time(data_time)
    except FieldSyntaxError as exc:
        raise FieldSyntaxError(exc.reason, field="DataTime", raw=packet.raw) from None
    mn, cn, period, version = packet.mn, packet.cn, command.period, packet.version.value
    readings: list[Reading] = []
    sample_times: dict[str, datetime | None] = {}
    valid_flags: dict[str | None, bool] = {}
    new = tuple.__new__
    for code, original, field, raw, flag, eflag, sampled, known in items:
        try:
            number = float(raw)
        except ValueError:
            number = math.nan
        value = number if math.isfinite(number) and "_" not in raw else None
        sample_time = None
        if sampled is not None:
            if sampled not in sample_times:
                try:
                    sample_times[sampled] = parse_data_time(sampled, "SampleTime")
                except FieldSyntaxError:
                    sample_times[sampled] = None
            sample_time = sample_times[sampled]
        flag_valid = valid_flags.get(flag)
        if flag_valid is None:
            flag_valid = valid_flags[flag] = flag_is_valid(flag, version)
        readings.append(
            new(
                Reading,
                (
                    mn,
                    cn,
                    period,
                    time,
                    code,
                    original,
                    field,
                    value,
                    raw,
                    flag,
                    flag_valid and value is not None,
                    known,
                    eflag,
                    sample_time,
                ),
            )
        )
    return readings


class LayoutItem(NamedTuple):
    """Where one reading sits in :attr:`Packet.fields` (see :func:`data_layout`)."""

    value_index: int  # index of the value text in ``packet.fields``
    flag_index: int  # index of the code's ``Flag`` text, or -1
    code: str  # HJ 212-2017 code (translated as :func:`records` does)
    original_code: str
    field: str
    known_code: bool


def data_layout(
    packet: Packet, *, code_map: Mapping[str, str] | None = None
) -> tuple[LayoutItem, ...]:
    """The readings of a data packet as positions in its flat field tuple.

    Devices send the same data area layout packet after packet, so a receiver can compute this
    once per layout (key: system code, command and ``packet.fields[0::2]``) and then read values
    by index — the same readings as :func:`records`, without building a :class:`Reading` each.
    """
    flat = packet.fields
    flags: dict[str, int] = {}
    items: list[tuple[int, str, str]] = []
    for index in range(0, len(flat), 2):
        code, dash, field = flat[index].partition("-")
        if not dash:
            continue
        if field in QUALIFIERS:
            if field == "Flag":
                flags.setdefault(code, index + 1)
        else:
            items.append((index + 1, code, field))
    out = []
    for value_index, original, field in items:
        if code_map is not None and original in code_map:
            code = code_map[original]
            known = _is_known(code)
        else:
            code, known = _resolve(original, packet.st)
        out.append(LayoutItem(value_index, flags.get(original, -1), code, original, field, known))
    return tuple(out)


def reading_value(raw: str) -> float | None:
    """The number in a value text as :func:`records` reads it (None if not a finite number)."""
    try:
        number = float(raw)
    except ValueError:
        return None
    return number if math.isfinite(number) and "_" not in raw else None


def reading_values(raws: Sequence[str]) -> list[float | None]:
    """:func:`reading_value` of each text (in C when the texts are plain decimal numbers)."""
    if _plain_numbers is not None and type(raws) is tuple:
        values = _plain_numbers(raws)
        if values is not None:
            return values
    return [reading_value(raw) for raw in raws]


try:  # the C extension reads plain decimal numbers without a Python call each
    from ecodata.protocols._hj212_speedups import plain_numbers as _plain_numbers
except ImportError:  # pragma: no cover - a build without the C extension
    _plain_numbers = None  # type: ignore[assignment]

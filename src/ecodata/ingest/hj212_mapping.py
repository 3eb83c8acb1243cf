"""What an HJ 212 reading becomes in the store (pure).

Every ``code-Field`` is its own series (HJ 212-2017 §6.3.3 and Appendix D):

* ``Rtd`` (real-time) and ``Avg`` (minute/hour/day mean) are the value of the pollutant itself and
  go to the series of the code (``a21026``);
* the other fields are series of their own, named ``<code>-<Field>``: ``Min``, ``Max``, ``Cou``
  (emission amount, in the code's emission unit), ``ZsRtd``/``ZsAvg`` (折算 converted
  concentration, both ``<code>-Zs``), ``ZsMin``, ``ZsMax``, noise ``Data``/``DayData``/``NightData``
  and any field a device invents — nothing is dropped;
* the data flag (Table 8) is kept as the observation's flag; a value whose flag is not N gets the
  QC bit DEVICE_FLAG, a code found in no table the bit UNKNOWN_CODE.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final

from ecodata.model import QC

#: Fields that carry the value of the pollutant itself.
BASE_FIELDS: Final = frozenset({"Rtd", "Avg"})
#: Fields stored under a shared suffix (the converted value is one series whatever the period).
SUFFIX: Final = {"ZsRtd": "Zs", "ZsAvg": "Zs"}
#: Chinese and English names of the variant series.
VARIANT_NAMES: Final = {
    "Min": ("最小值", "minimum"),
    "Max": ("最大值", "maximum"),
    "Cou": ("排放量", "emission amount"),
    "Zs": ("折算值", "converted value"),
    "ZsMin": ("折算最小值", "converted minimum"),
    "ZsMax": ("折算最大值", "converted maximum"),
}


def parameter_code(code: str, field: str) -> str:
    """The parameter a ``code-Field`` value is stored under."""
    if field in BASE_FIELDS:
        return code
    return f"{code}-{SUFFIX.get(field, field)}"


def qc_bits(flag_valid: bool, known_code: bool) -> int:
    """QC bits of a reading: DEVICE_FLAG when its data flag marks it invalid (HJ 212-2017
    Table 8), UNKNOWN_CODE when its code is in no code table."""
    bits = 0
    if not flag_valid:
        bits |= QC.DEVICE_FLAG
    if not known_code:
        bits |= QC.UNKNOWN_CODE
    return int(bits)


def storable_flag(flag: str | None) -> str | None:
    """The data flag as stored (one letter, HJ 212-2017 Table 8); longer ones are cut to their
    first letter and anything else is kept out of the flag column."""
    if not flag:
        return None
    return flag[0] if flag[0].isalpha() else None


def parameter_row(
    code: str, field: str, base: Mapping[str, Any] | None, *, known: bool
) -> dict[str, Any]:
    """A registry row for the parameter of ``code-Field`` (created when first received)."""
    target = parameter_code(code, field)
    suffix = SUFFIX.get(field, field)
    zh, en = VARIANT_NAMES.get(suffix, (suffix, suffix))
    if base is None:
        name_zh = f"未知编码 {code}" if not known else code
        return {
            "code": target,
            "name_zh": name_zh if field in BASE_FIELDS else f"{name_zh}（{zh}）",
            "name_en": f"{code} {en}" if field not in BASE_FIELDS else code,
            "unit": "",
            "domain": "unknown" if not known else "source-other",
            "base": code,
            "hj212_code": code,
            "description": "received over HJ 212 with a code found in no code table"
            if not known
            else "",
        }
    unit = base.get("emission_unit", "") if suffix == "Cou" else base.get("unit", "")
    return {
        "code": target,
        "name_zh": f"{base.get('name_zh') or code}（{zh}）",
        "name_en": f"{base.get('name_en') or code} ({en})",
        "unit": unit or "",
        "domain": base.get("domain", "source-other"),
        "base": code,
        "hj212_code": code,
        "description": f"HJ 212 field {field} of {code}",
    }

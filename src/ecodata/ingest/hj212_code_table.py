"""Importer for the HJ 212-2017 code table (Appendix B) into the parameter registry.

Layout: ``ID,NAME,原编码（HJ2005),单位,排放量,数据类型,备注``; ``#`` starts a comment line.
Each code becomes a parameter with the code itself as its code, the 2005 code it replaces, its
unit (as a symbol where a common one exists) and the unit of its emission amount.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from ecodata.errors import FormatError
from ecodata.ingest.importing import Chunk, ImportContext
from ecodata.store.provenance import Rejected

HEADER = ["ID", "NAME", "原编码（HJ2005)", "单位", "排放量", "数据类型", "备注"]
_CODE = re.compile(r"^[a-zA-Z][a-zA-Z0-9]{2,9}$")
#: Chinese unit names of the table → symbols.
UNITS = {
    "毫克/立方米": "mg/m³",
    "微克/立方米": "µg/m³",
    "纳克/立方米": "ng/m³",
    "毫克/升": "mg/L",
    "微克/升": "µg/L",
    "纳克/升": "ng/L",
    "升/秒": "L/s",
    "立方米/秒": "m³/s",
    "立方米/小时": "m³/h",
    "立方米": "m³",
    "摄氏度": "°C",
    "千帕": "kPa",
    "米/秒": "m/s",
    "无量纲": "",
    "%": "%",
    "分贝": "dB",
    "千克": "kg",
    "克": "g",
    "毫克": "mg",
    "吨": "t",
}


def domain_of(code: str) -> str:
    """HJ 212-2017 Appendix B: w… water pollutants, a… gas pollutants, others process/site."""
    return {"w": "source-water", "a": "source-air"}.get(code[:1], "source-other")


def import_hj212_codes(path: Path, ctx: ImportContext) -> Iterator[Chunk]:
    data = path.read_bytes()
    text = "\n".join(
        line for line in data.decode("utf-8-sig").splitlines() if not line.startswith("#")
    )
    rows = list(csv.reader(io.StringIO(text)))
    if not rows or [h.strip() for h in rows[0][:4]] != HEADER[:4]:
        raise FormatError(
            f"{path}: not an HJ 212 code table: the header must start with {','.join(HEADER[:4])}"
        )
    params: list[dict[str, Any]] = []
    rejected: list[Rejected] = []
    seen: set[str] = set()
    for number, row in enumerate(rows[1:], start=2):
        cells = [c.strip() for c in row] + [""] * (7 - len(row))
        code, name, old, unit, amount, dtype, note = cells[:7]
        if not _CODE.match(code):
            rejected.append(Rejected(str(path), f"line {number}", ",".join(row),
                                     f"code {code!r} is not an HJ 212 code"))  # fmt: skip
            continue
        if code in seen:
            rejected.append(Rejected(str(path), f"line {number}", ",".join(row),
                                     f"code {code} is listed twice"))  # fmt: skip
            continue
        seen.add(code)
        params.append(
            {"code": code, "name_zh": name, "unit": UNITS.get(unit, unit),
             "domain": domain_of(code), "base": code, "hj212_code": code,
             "hj2005_code": old or None, "data_type": dtype,
             "emission_unit": UNITS.get(amount, amount),
             "description": note if note else (f"unit: {unit}" if unit not in UNITS else "")}
        )  # fmt: skip
    merge = ctx.stores.registry.upsert_parameters(params)
    yield Chunk(
        read=len(rows) - 1,
        stored=merge.inserted + merge.changed,
        duplicate=merge.unchanged,
        rejected=rejected,
        bytes_done=len(data),
    )

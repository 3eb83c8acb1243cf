"""Importer for administrative division tables (GB/T 2260 six-digit codes).

Layouts (detected from the header):

- ``code,name,province`` — provinces (level 1)
- ``code,name,province,city`` — prefectures (level 2)
- ``code,name,province,city,area`` — counties (level 3)
- ``adcode,name,longitude,latitude`` — 12-digit codes with centres; adds coordinates to the
  six-digit division (and the division itself when it is not yet known)

GB/T 2260 §3: digits 1–2 province, 3–4 prefecture, 5–6 county; ``xx0000`` is a province and
``xxxx00`` a prefecture.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

from ecodata.errors import FormatError
from ecodata.ingest.importing import Chunk, ImportContext
from ecodata.store.provenance import Rejected

_LAYOUTS = {
    ("code", "name", "province"): 1,
    ("code", "name", "province", "city"): 2,
    ("code", "name", "province", "city", "area"): 3,
}
_CENTRES = ("adcode", "name", "longitude", "latitude")


def import_divisions(path: Path, ctx: ImportContext) -> Iterator[Chunk]:
    data = path.read_bytes()
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))
    header = tuple(h.strip() for h in rows[0]) if rows else ()
    valid_from = ctx.options.get("valid_from")
    source = ctx.options.get("source") or path.name
    registry = ctx.stores.registry
    known = {d["code"]: d for d in registry.divisions()}
    parsed: list[dict[str, Any]] = []
    rejected: list[Rejected] = []
    for number, row in enumerate(rows[1:], start=2):
        try:
            if header == _CENTRES:
                item = _centre_row(row, known)
            elif header in _LAYOUTS:
                item = _division_row(row, _LAYOUTS[header])
            else:
                raise FormatError(
                    f"{path}: unknown division layout {','.join(header)!r}; expected one of "
                    "code,name,province[,city[,area]] or adcode,name,longitude,latitude"
                )
        except ValueError as exc:
            rejected.append(Rejected(str(path), f"line {number}", ",".join(row), str(exc)))
            continue
        if item is None:
            continue
        item.setdefault("valid_from", _date(valid_from))
        item.setdefault("source", source)
        parsed.append(item)
    _link_parents(parsed, known)
    merge = registry.upsert_divisions(parsed)
    yield Chunk(
        read=len(rows) - 1,
        stored=merge.inserted + merge.changed,
        duplicate=merge.unchanged + merge.repeated + (len(rows) - 1 - len(parsed) - len(rejected)),
        rejected=rejected,
        bytes_done=len(data),
    )


def check_code(code: str) -> str:
    """A six-digit division code (GB/T 2260 §3), or ValueError saying what is wrong."""
    if len(code) != 6 or not code.isdigit():
        raise ValueError(f"division code {code!r} is not six digits")
    if not 11 <= int(code[:2]) <= 82:
        raise ValueError(f"division code {code!r}: {code[:2]} is not a province code (11–82)")
    return code


def level_of(code: str) -> int:
    if code.endswith("0000"):
        return 1
    if code.endswith("00"):
        return 2
    return 3


def _division_row(row: list[str], level: int) -> dict[str, Any]:
    if len(row) < 2:
        raise ValueError("expected code and name")
    code, name = check_code(row[0].strip()), row[1].strip()
    if not name:
        raise ValueError(f"division {code} has no name")
    if level_of(code) != level and not (level == 2 and code[2:4] == "90"):
        raise ValueError(f"code {code} is not a level-{level} code for this table")
    return {"code": code, "name": name, "level": level}


def _centre_row(row: list[str], known: dict[str, dict[str, Any]]) -> dict[str, Any] | None:
    if len(row) < 4:
        raise ValueError("expected adcode,name,longitude,latitude")
    adcode, name = row[0].strip(), row[1].strip()
    if len(adcode) != 12 or not adcode.isdigit():
        raise ValueError(f"adcode {adcode!r} is not twelve digits")
    if adcode[6:] != "000000":
        return None  # a township or street: below GB/T 2260
    code = check_code(adcode[:6])
    base = dict(known.get(code) or {"code": code, "name": name, "level": level_of(code)})
    if not row[2].strip() and not row[3].strip():
        return base  # the table gives no centre for some divisions
    try:
        lon, lat = float(row[2]), float(row[3])
    except ValueError:
        raise ValueError(f"centre {row[2]!r},{row[3]!r} is not a pair of numbers") from None
    base.update(longitude=lon, latitude=lat)
    return base


def _link_parents(rows: list[dict[str, Any]], known: dict[str, dict[str, Any]]) -> None:
    codes = set(known) | {r["code"] for r in rows}
    for r in rows:
        if r.get("parent_code"):
            continue
        code = r["code"]
        province = code[:2] + "0000"
        prefecture = code[:4] + "00"
        if r["level"] == 3 and prefecture in codes:
            r["parent_code"] = prefecture
        elif r["level"] >= 2:
            r["parent_code"] = province
        else:
            r["parent_code"] = None


def _date(value: Any) -> date | None:
    if value is None or isinstance(value, date):
        return value
    return date.fromisoformat(str(value))

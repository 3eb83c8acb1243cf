"""Importer for the national air-station lists, in both published layouts.

- 2020 layout: ``监测点编码,监测点名称,城市,经度,纬度``
- 2024 layout: the same plus ``对照点,省级行政区,地级行政区``; closed stations carry
  ``(停运YYMMDD)`` in their name and control (background) stations ``(对照点)``.

Each station becomes an ``air`` site linked to its GB/T 2260 division (resolved by name from the
division table, so import ``divisions`` first for the link; stations import without it too).
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

from ecodata.errors import FormatError
from ecodata.ingest.importing import Chunk, ImportContext
from ecodata.model import SiteKind
from ecodata.store.provenance import Rejected

_BASE = ["监测点编码", "监测点名称", "城市", "经度", "纬度"]
_EXTRA = ["对照点", "省级行政区", "地级行政区"]
_CODE = re.compile(r"^\d{4}[A-Z]$")
_CLOSED = re.compile(r"\(停运(\d{6})\)")
_CONTROL = "(对照点)"
_NO_VALUE = {"", "-", "—"}  # the lists leave some coordinates blank
# Suffixes of short city names in the lists and of official division names.
_SHORT_SUFFIXES = ("地区", "州", "盟")


def import_station_list(path: Path, ctx: ImportContext) -> Iterator[Chunk]:
    data = path.read_bytes()
    text = data.decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text)))
    if not rows or [h.strip() for h in rows[0][:5]] != _BASE:
        raise FormatError(
            f"{path}: not a national station list: the header must start with {','.join(_BASE)}"
        )
    header = [h.strip() for h in rows[0]]
    extended = header[5:8] == _EXTRA
    divisions = ctx.stores.registry.divisions()
    resolver = DivisionResolver(divisions)
    sites: list[dict[str, Any]] = []
    rejected: list[Rejected] = []
    seen: dict[str, int] = {}
    for number, row in enumerate(rows[1:], start=2):
        site, reason = parse_station(row, extended, resolver)
        if site is None:
            rejected.append(Rejected(str(path), f"line {number}", ",".join(row), reason))
            continue
        if site["code"] in seen:
            rejected.append(
                Rejected(
                    str(path),
                    f"line {number}",
                    ",".join(row),
                    f"station {site['code']} repeats line {seen[site['code']]}",
                    site_code=site["code"],
                )
            )
            continue
        seen[site["code"]] = number
        sites.append(site)
    merge = ctx.stores.registry.upsert_sites(sites)
    yield Chunk(
        read=len(rows) - 1,
        stored=merge.inserted + merge.changed,
        duplicate=merge.unchanged,
        rejected=rejected,
        bytes_done=len(data),
    )


def parse_station(
    row: Sequence[str], extended: bool, resolver: DivisionResolver
) -> tuple[dict[str, Any] | None, str]:
    """One list row → a site row, or (None, reason)."""
    if len(row) < (8 if extended else 5):
        return None, f"expected {8 if extended else 5} fields, found {len(row)}"
    code, name, city, lon_text, lat_text = (x.strip() for x in row[:5])
    if not _CODE.match(code):
        return None, f"station code {code!r} is not 4 digits and a capital letter"
    lon: float | None = None
    lat: float | None = None
    if lon_text not in _NO_VALUE or lat_text not in _NO_VALUE:
        try:
            lon, lat = float(lon_text), float(lat_text)
        except ValueError:
            return None, f"coordinates {lon_text!r},{lat_text!r} are not numbers"
        if not (73 <= lon <= 136 and 3 <= lat <= 54):
            return None, f"coordinates {lon},{lat} lie outside China"
    attributes: dict[str, Any] = {}
    status = "active"
    closed = _CLOSED.search(name)
    if closed:
        yymmdd = closed.group(1)
        status = "closed"
        attributes["closed_on"] = f"20{yymmdd[:2]}-{yymmdd[2:4]}-{yymmdd[4:]}"
        name = _CLOSED.sub("", name)
    province, prefecture = "", ""
    if extended:
        control, province, prefecture = (x.strip() for x in row[5:8])
        attributes["control_site"] = control.upper() == "Y"
    if _CONTROL in name:
        attributes["control_site"] = True
        name = name.replace(_CONTROL, "")
    # The most specific division: the city itself (a county-level city such as 义乌), checked
    # against the prefecture where the list gives one.
    division = resolver.resolve(city, province)
    if prefecture:
        parent = resolver.resolve(prefecture, province)
        if parent is not None:
            prefix = parent[:2] if parent.endswith("0000") else parent[:4]
            if division is None or not division.startswith(prefix):
                division = parent
    if division is not None and not province:
        province = resolver.province_name(division)
    return {
        "code": code,
        "kind": SiteKind.AIR.value,
        "name_zh": name.strip(),
        "city": city,
        "province": province,
        "division_code": division,
        "longitude": lon,
        "latitude": lat,
        "status": status,
        "attributes": attributes,
    }, ""


class DivisionResolver:
    """Finds the GB/T 2260 code of a city given by a short or full name (北京, 临夏州, 义乌)."""

    def __init__(self, divisions: Sequence[dict[str, Any]]) -> None:
        self.by_code = {d["code"]: d for d in divisions}
        self._cache: dict[tuple[str, str], str | None] = {}

    def province_name(self, code: str) -> str:
        province = self.by_code.get(code[:2] + "0000")
        return str(province["name"]) if province else ""

    def resolve(self, name: str, province: str = "") -> str | None:
        key = (name, province)
        if key not in self._cache:
            self._cache[key] = self._resolve(name, province)
        return self._cache[key]

    def _resolve(self, name: str, province: str) -> str | None:
        if not name or not self.by_code:
            return None
        stem = name
        for suffix in _SHORT_SUFFIXES:
            if stem.endswith(suffix) and len(stem) > len(suffix) + 1:
                stem = stem[: -len(suffix)]
                break
        province_prefix = ""
        if province:
            for d in self.by_code.values():
                if d["level"] == 1 and d["name"] == province:
                    province_prefix = d["code"][:2]
        candidates = [
            d
            for d in self.by_code.values()
            if (d["name"] == name or d["name"].startswith(stem))
            and (not province_prefix or d["code"].startswith(province_prefix))
        ]
        if not candidates:
            return None
        # Exact names first, then prefectures, then counties, then provinces (municipalities).
        rank = {2: 0, 3: 1, 1: 2}
        candidates.sort(key=lambda d: (d["name"] != name, rank.get(d["level"], 3), d["code"]))
        return str(candidates[0]["code"])

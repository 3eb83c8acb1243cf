"""GB/T 2260 中华人民共和国行政区划代码 — administrative division codes.

Six digits in three pairs: province (省级), prefecture (地级) and county (县级). Prefecture pairs
01–20 and 51–70 are cities (in the municipalities 01 is 市辖区 and 02 县), 21–50 地区/自治州/盟, 90
the summary of province-administered county-level units. County pairs 01–20 are city districts,
21–80 counties and banners, 81–99 county-level cities. Codes are abolished, not reused, so a
registry keeps validity dates; names come from the annual lists of the Ministry of Civil Affairs
(load them with :class:`DivisionIndex`). The 12-digit statistical codes of NBS add township and
village parts.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Final

from ecodata.errors import InputError

#: Province-level codes (positions 1–2) and names.
PROVINCES: Final = {
    "11": "北京市",
    "12": "天津市",
    "13": "河北省",
    "14": "山西省",
    "15": "内蒙古自治区",
    "21": "辽宁省",
    "22": "吉林省",
    "23": "黑龙江省",
    "31": "上海市",
    "32": "江苏省",
    "33": "浙江省",
    "34": "安徽省",
    "35": "福建省",
    "36": "江西省",
    "37": "山东省",
    "41": "河南省",
    "42": "湖北省",
    "43": "湖南省",
    "44": "广东省",
    "45": "广西壮族自治区",
    "46": "海南省",
    "50": "重庆市",
    "51": "四川省",
    "52": "贵州省",
    "53": "云南省",
    "54": "西藏自治区",
    "61": "陕西省",
    "62": "甘肃省",
    "63": "青海省",
    "64": "宁夏回族自治区",
    "65": "新疆维吾尔自治区",
    "71": "台湾省",
    "81": "香港特别行政区",
    "82": "澳门特别行政区",
}
MUNICIPALITIES: Final = frozenset({"11", "12", "31", "50"})


class DivisionCodeError(InputError):
    """A division code that is not well formed."""


@dataclass(frozen=True, slots=True)
class Division:
    code: str
    province: str
    prefecture: str
    county: str
    township: str = ""
    village: str = ""

    @property
    def level(self) -> str:
        """province, prefecture, county, township or village."""
        if self.village and self.village != "000":
            return "village"
        if self.township and self.township != "000":
            return "township"
        if self.county != "00":
            return "county"
        if self.prefecture != "00":
            return "prefecture"
        return "province"

    @property
    def province_name(self) -> str:
        return PROVINCES[self.province]

    @property
    def prefecture_kind(self) -> str:
        """city (市), region (地区/自治州/盟), county_summary (直辖市 02), province_admin (90)."""
        p = int(self.prefecture)
        if p == 0:
            return ""
        if self.province in MUNICIPALITIES and p == 2:
            return "county_summary"
        if p == 90:
            return "province_admin"
        if 21 <= p <= 50:
            return "region"
        return "city"

    @property
    def county_kind(self) -> str:
        """district (市辖区), county (县/旗), county_city (县级市)."""
        c = int(self.county)
        if c == 0:
            return ""
        if self.prefecture == "90":  # 省直辖县级行政单位: county-level cities (and 林区)
            return "county_city"
        if c <= 20:
            return "district"
        if c <= 80:
            return "county"
        return "county_city"

    @property
    def province_code(self) -> str:
        return f"{self.province}0000"

    @property
    def prefecture_code(self) -> str | None:
        return f"{self.province}{self.prefecture}00" if self.prefecture != "00" else None

    @property
    def parent(self) -> str | None:
        """Code of the enclosing division (6 digits), ``None`` for a province."""
        if self.level in ("township", "village"):
            return self.code[:6]
        if self.level == "county":
            return self.prefecture_code or self.province_code
        if self.level == "prefecture":
            return self.province_code
        return None


def parse_division(code: str) -> Division:
    """Parse a 6-digit GB/T 2260 code (or a 9/12-digit statistical code)."""
    text = str(code).strip()
    if not text.isdigit() or len(text) not in (6, 9, 12):
        raise DivisionCodeError(
            f"division code {code!r}: expected 6 digits (or 12 for statistical codes)", raw=text
        )
    province, prefecture, county = text[0:2], text[2:4], text[4:6]
    if province not in PROVINCES:
        raise DivisionCodeError(f"division code {text}: unknown province code {province}", raw=text)
    if prefecture == "00" and county != "00":
        raise DivisionCodeError(
            f"division code {text}: a county part ({county}) without a prefecture part", raw=text
        )
    return Division(text[:6], province, prefecture, county, text[6:9], text[9:12])


class DivisionIndex:
    """Names of divisions from a code list (rows of code and name), e.g. the civil-affairs lists."""

    def __init__(self, rows: Iterable[tuple[str, str]]) -> None:
        self._names: dict[str, str] = {}
        for code, name in rows:
            division = parse_division(str(code)[:6] if len(str(code)) == 12 else str(code))
            self._names[division.code] = str(name)

    def __len__(self) -> int:
        return len(self._names)

    def __contains__(self, code: object) -> bool:
        return isinstance(code, str) and code in self._names

    def name(self, code: str) -> str:
        try:
            return self._names[parse_division(code).code]
        except KeyError:
            raise DivisionCodeError(f"division code {code}: not in the code list") from None

    def path(self, code: str) -> tuple[str, ...]:
        """Names from the province down: ``110108`` → (北京市, 市辖区, 海淀区)."""
        division = parse_division(code)
        names = [self._names.get(division.province_code, division.province_name)]
        if division.prefecture != "00":
            pref = division.prefecture_code or ""
            fallback = "市辖区" if division.province in MUNICIPALITIES and pref[2:4] == "01" else ""
            if division.province in MUNICIPALITIES and pref[2:4] == "02":
                fallback = "县"
            names.append(self._names.get(pref, fallback))
        if division.county != "00":
            names.append(self.name(division.code))
        return tuple(names)

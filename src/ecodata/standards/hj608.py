"""HJ 608-2017 排污单位编码规则 — fixed-source (permit) numbers, outlet and facility codes.

* Fixed-source code = permit number, 22 characters (Annex A): the discharging entity's USCC
  (positions 1–18), a 3-digit sequence of its fixed sources (19–21) and one upper-case letter (22).
  Annex A prints ``…001P``; real numbers also end in other letters (e.g. ``W``) whose meaning is not
  documented, so the letter is kept as an attribute, not checked.
* Legacy numbers of the 2016 trial rule start ``H9`` (entities without a USCC) and are accepted with
  a warning.
* Outlets ``D`` + ``A`` (air) / ``W`` (water) + 3 digits; treatment facilities ``T`` +
  ``A``/``W``/``N`` (noise)/``S`` (solid waste) + 3 digits; production facilities 2 letters +
  4 digits (``MF0001``).
* National outlet id: 22-character source code + 4-digit industry code (副码) + outlet code.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Final

from ecodata.errors import InputError
from ecodata.standards import gb32100

_USCC_CHARS: Final = "0-9A-HJ-NPQRTUWXY"
PERMIT_RE: Final = re.compile(
    rf"^(?P<uscc>[{_USCC_CHARS}]{{2}}\d{{6}}[{_USCC_CHARS}]{{10}})(?P<seq>\d{{3}})(?P<letter>[A-Z])$"
)
SUFFIX_RE: Final = re.compile(r"^(?P<seq>\d{3})(?P<letter>[A-Z])$")
LEGACY_PERMIT_RE: Final = re.compile(
    r"^(?P<uscc>H9\d{6}(?:0000\d{5}[a-z]|[0-9A-Z]{9}[A-Za-z]))(?P<seq>\d{3})(?P<letter>[0-9A-Za-z])$"
)
OUTLET_RE: Final = re.compile(r"^D(?P<medium>[AW])(?P<seq>\d{3})$")
TREATMENT_RE: Final = re.compile(r"^T(?P<element>[AWNS])(?P<seq>\d{3})$")
PRODUCTION_RE: Final = re.compile(r"^(?P<kind>[A-Z]{2})(?P<seq>\d{4})$")
OUTLET_ID_RE: Final = re.compile(
    r"^(?P<permit>.{22})(?P<industry>\d{4})(?P<facility>[A-Z]{2}\d{3,4})$"
)

MEDIA: Final = {"A": "air", "W": "water"}
ELEMENTS: Final = {"A": "air", "W": "water", "N": "noise", "S": "solid waste"}


class PermitCodeError(InputError):
    """A permit number, outlet or facility code that cannot be accepted."""


def _clean(text: str) -> str:
    return "".join(ch for ch in str(text).strip() if ch not in " -\t\u3000")


@dataclass(frozen=True, slots=True)
class PermitNumber:
    number: str
    uscc: gb32100.UnifiedSocialCreditCode | None
    entity_code: str
    sequence: int
    letter: str
    legacy: bool
    warnings: tuple[str, ...] = ()

    def to_json(self) -> dict[str, object]:
        return {
            "number": self.number,
            "entity_code": self.entity_code,
            "sequence": self.sequence,
            "letter": self.letter,
            "legacy": self.legacy,
            "warnings": list(self.warnings),
            "uscc": self.uscc.to_json() if self.uscc else None,
        }


def parse_permit_number(text: str, *, authoritative: bool = False) -> PermitNumber:
    """Parse a 22-character fixed-source code / permit number. The USCC part is validated by
    GB 32100 (a wrong check character is an error unless ``authoritative``)."""
    raw = _clean(text)
    legacy = LEGACY_PERMIT_RE.match(raw)
    if legacy:
        return PermitNumber(
            raw,
            None,
            legacy["uscc"],
            int(legacy["seq"]),
            legacy["letter"],
            True,
            ("legacy number of the 2016 trial coding rule (H9…); not checked",),
        )
    number = raw.upper()
    if len(number) != 22:
        raise PermitCodeError(
            f"permit number {text!r}: expected 18-character USCC + 3-digit sequence + 1 letter "
            f"(22 characters, HJ 608-2017 Annex A), got {len(number)} characters",
            raw=str(text),
        )
    tail = SUFFIX_RE.match(number[18:])
    if not tail:
        raise PermitCodeError(
            f"permit number {number}: positions 19–21 must be the 3-digit sequence of the fixed "
            f"source and 22 an upper-case letter, got {number[18:]!r}",
            raw=str(text),
        )
    try:
        uscc = gb32100.validate(number[:18], authoritative=authoritative)
    except gb32100.UsccError as exc:
        raise PermitCodeError(f"permit number {number}: {exc.reason}", raw=str(text)) from None
    sequence = int(tail["seq"])
    warnings = list(uscc.warnings)
    if sequence == 0:
        warnings.append("sequence 000: HJ 608 numbers fixed sources from 001")
    return PermitNumber(number, uscc, number[:18], sequence, tail["letter"], False, tuple(warnings))


@dataclass(frozen=True, slots=True)
class FacilityCode:
    """An outlet (kind "outlet"), treatment facility ("treatment") or production facility
    ("production") code; ``medium`` is air/water/noise/solid waste where the code says it."""

    code: str
    kind: str
    medium: str
    sequence: int


def parse_facility_code(text: str) -> FacilityCode:
    """Parse ``DA001``/``DW001`` (outlets), ``TA001``… (treatment) or ``MF0001`` (production)."""
    code = _clean(text).upper()
    if m := OUTLET_RE.match(code):
        return FacilityCode(code, "outlet", MEDIA[m["medium"]], int(m["seq"]))
    if m := TREATMENT_RE.match(code):
        return FacilityCode(code, "treatment", ELEMENTS[m["element"]], int(m["seq"]))
    if m := PRODUCTION_RE.match(code):
        return FacilityCode(code, "production", "", int(m["seq"]))
    raise PermitCodeError(
        f"facility code {text!r}: expected an outlet (DA001, DW001), a treatment facility "
        f"(TA001, TW001, TN001, TS001) or a production facility (MF0001)",
        raw=str(text),
    )


def parse_outlet_code(text: str) -> FacilityCode:
    parsed = parse_facility_code(text)
    if parsed.kind != "outlet":
        raise PermitCodeError(f"{text!r} is a {parsed.kind} facility code, not an outlet code")
    return parsed


@dataclass(frozen=True, slots=True)
class OutletId:
    code: str
    permit: PermitNumber
    industry: str
    facility: FacilityCode


def parse_outlet_id(text: str, *, authoritative: bool = False) -> OutletId:
    """National unique outlet id: permit number + 4-digit industry code + outlet/facility code."""
    code = _clean(text).upper()
    m = OUTLET_ID_RE.match(code)
    if not m:
        raise PermitCodeError(
            f"outlet id {text!r}: expected 22-character permit number + 4-digit industry code + "
            "facility code (e.g. 911302307808371268001P3110DW001)",
            raw=str(text),
        )
    return OutletId(
        code,
        parse_permit_number(m["permit"], authoritative=authoritative),
        m["industry"],
        parse_facility_code(m["facility"]),
    )

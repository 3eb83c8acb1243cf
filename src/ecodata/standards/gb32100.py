"""GB 32100-2015 法人和其他组织统一社会信用代码编码规则 — the unified social credit code (USCC).

18 characters from the 31-symbol set ``0-9 A-H J-N P-R T U W-Y`` (no I, O, Z, S, V):
position 1 registration authority, 2 entity type, 3–8 division code of the registering authority
(GB/T 2260), 9–17 the organisation's identifier (GB 11714 organisation code, its own check character
at position 17), 18 the check character: ``C18 = 31 − (Σ Cᵢ·Wᵢ mod 31)`` with ``Wᵢ = 3^(i−1) mod
31`` and 31 written as 0 (clause 5).

Legally issued pilot-era codes exist whose check character fails, and the standard's own printed
example fails too. So a wrong check character is an error for codes typed in by users, but only a
warning for codes that come from an authoritative register (``authoritative=True``): warn, don't
reject.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from typing import Final

from ecodata.errors import InputError

ALPHABET: Final = "0123456789ABCDEFGHJKLMNPQRTUWXY"
VALUES: Final = {c: i for i, c in enumerate(ALPHABET)}
#: Clause 5: Wᵢ = 3^(i−1) mod 31 for i = 1 … 17.
WEIGHTS: Final = tuple(pow(3, i, 31) for i in range(17))
#: GB 11714-1997: weights of the organisation code's first eight characters.
ORG_WEIGHTS: Final = (3, 7, 9, 10, 5, 8, 4, 2)

#: Position 1 (登记管理部门) → authority; position 2 examples per authority.
AUTHORITIES: Final = {
    "1": ("机构编制", {"1": "机关", "2": "事业单位", "9": "其他"}),
    "2": ("外交", {}),
    "3": ("司法行政", {}),
    "4": ("文化", {}),
    "5": ("民政", {"1": "社会团体", "2": "民办非企业单位", "3": "基金会", "9": "其他"}),
    "6": ("旅游", {}),
    "7": ("宗教", {}),
    "8": ("工会", {}),
    "9": ("工商（市场监管）", {"1": "企业", "2": "个体工商户", "3": "农民专业合作社"}),
    "A": ("中央军委改革和编制办公室", {}),
    "N": ("农业", {"1": "组级集体经济组织", "2": "村级集体经济组织", "3": "乡镇级集体经济组织"}),
    "Y": ("其他", {}),
}

_CONFUSABLE: Final = str.maketrans({"O": "0", "I": "1"})


class UsccError(InputError):
    """A unified social credit code that cannot be accepted; ``reason`` says why."""


def normalize(code: str) -> str:
    """Upper-case, full-width to half-width, spaces and hyphens removed."""
    text = unicodedata.normalize("NFKC", str(code)).upper()
    return "".join(ch for ch in text if ch not in " -\t\u3000")


def check_character(first17: str) -> str:
    """The check character (position 18) for the first 17 characters (clause 5)."""
    if len(first17) != 17:
        raise UsccError(f"need 17 characters to compute the check character, got {len(first17)}")
    bad = [c for c in first17 if c not in VALUES]
    if bad:
        raise UsccError(f"characters not allowed in a USCC: {''.join(bad)!r}")
    total = sum(VALUES[c] * w for c, w in zip(first17, WEIGHTS, strict=True))
    return ALPHABET[(31 - total % 31) % 31]


def org_check_character(first8: str) -> str:
    """GB 11714-1997 check character of an organisation code: ``11 − (Σ mod 11)``,
    10 → X, 11 → 0."""
    total = 0
    for ch, w in zip(first8, ORG_WEIGHTS, strict=True):
        if ch.isdigit():
            value = int(ch)
        elif "A" <= ch <= "Z":
            value = ord(ch) - ord("A") + 10
        else:
            raise UsccError(f"character {ch!r} not allowed in an organisation code")
        total += value * w
    c9 = 11 - total % 11
    return "X" if c9 == 10 else "0" if c9 == 11 else str(c9)


def org_code_valid(org_code: str) -> bool:
    """Whether a 9-character organisation code (hyphen allowed) carries its GB 11714 check."""
    code = normalize(org_code)
    if len(code) != 9:
        return False
    try:
        return org_check_character(code[:8]) == code[8]
    except UsccError:
        return False


@dataclass(frozen=True, slots=True)
class UnifiedSocialCreditCode:
    """A parsed code. ``check_ok`` False means the check character fails; ``warnings`` explain
    anything unusual that did not make the code unusable."""

    raw: str
    code: str
    expected_check: str
    org_code_ok: bool
    warnings: tuple[str, ...] = ()

    @property
    def check_ok(self) -> bool:
        return self.code[17] == self.expected_check

    @property
    def authority(self) -> str:
        return self.code[0]

    @property
    def authority_name(self) -> str:
        entry = AUTHORITIES.get(self.code[0])
        return entry[0] if entry else ""

    @property
    def entity_type(self) -> str:
        return self.code[1]

    @property
    def entity_type_name(self) -> str:
        entry = AUTHORITIES.get(self.code[0])
        return entry[1].get(self.code[1], "") if entry else ""

    @property
    def division(self) -> str:
        return self.code[2:8]

    @property
    def org_code(self) -> str:
        return self.code[8:17]

    @property
    def status(self) -> str:
        """``valid``, or ``check_mismatch`` (accepted with a warning from an authoritative
        register)."""
        return "valid" if self.check_ok else "check_mismatch"

    def to_json(self) -> dict[str, object]:
        return {
            "raw": self.raw,
            "code": self.code,
            "status": self.status,
            "check_ok": self.check_ok,
            "expected_check": self.expected_check,
            "authority": self.authority,
            "authority_name": self.authority_name,
            "entity_type": self.entity_type,
            "entity_type_name": self.entity_type_name,
            "division": self.division,
            "org_code": self.org_code,
            "org_code_ok": self.org_code_ok,
            "warnings": list(self.warnings),
        }


def parse(code: str) -> UnifiedSocialCreditCode:
    """Parse a code, raising :class:`UsccError` on format errors; the check character is reported
    (``check_ok``), not enforced — use :func:`validate` for that."""
    raw = str(code)
    text = normalize(raw)
    if len(text) != 18:
        raise UsccError(f"USCC {raw!r}: must have 18 characters, has {len(text)}", raw=raw)
    bad = sorted({c for c in text[:17] if c not in VALUES})
    if not bad and text[17] not in VALUES:
        raise UsccError(
            f"USCC {raw!r}: check character {text[17]!r} is not a USCC character; "
            f"GB 32100-2015 clause 5 gives {check_character(text[:17])!r}",
            raw=raw,
        )
    if bad:
        hint = ""
        fixed = text.translate(_CONFUSABLE)
        if all(c in VALUES for c in fixed) and check_character(fixed[:17]) == fixed[17]:
            hint = f"; did you mean {fixed}?"
        raise UsccError(
            f"USCC {raw!r}: character(s) {', '.join(bad)} are not used in USCCs "
            f"(I, O, Z, S, V are excluded){hint}",
            raw=raw,
        )
    if not text[2:8].isdigit():
        raise UsccError(f"USCC {raw!r}: positions 3–8 must be a 6-digit division code", raw=raw)
    warnings: list[str] = []
    if text[0] not in AUTHORITIES:
        warnings.append(f"registration authority code {text[0]!r} is not in the published list")
    org_ok = org_code_valid(text[8:17])
    if not org_ok:
        warnings.append(f"organisation code {text[8:16]}-{text[16]} fails its GB 11714 check")
    expected = check_character(text[:17])
    if expected != text[17]:
        warnings.append(
            f"check character is {text[17]!r}, GB 32100 clause 5 gives {expected!r} "
            "(legacy or pilot-era code?)"
        )
    return UnifiedSocialCreditCode(raw, text, expected, org_ok, tuple(warnings))


def validate(code: str, *, authoritative: bool = False) -> UnifiedSocialCreditCode:
    """Parse and enforce the check character — unless the code comes from an authoritative register,
    in which case a failing check is kept as a warning (pilot-era codes, GB 32100's own example)."""
    parsed = parse(code)
    if not parsed.check_ok and not authoritative:
        raise UsccError(
            f"USCC {parsed.code}: check character {parsed.code[17]!r} is wrong, expected "
            f"{parsed.expected_check!r} (GB 32100-2015 clause 5)",
            raw=str(code),
        )
    return parsed


def is_valid(code: str) -> bool:
    """True for a well-formed code with a correct check character."""
    try:
        return parse(code).check_ok
    except UsccError:
        return False

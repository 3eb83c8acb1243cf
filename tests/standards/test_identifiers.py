"""GB 32100 unified social credit codes, HJ 608 permit and outlet codes, GB/T 2260 divisions."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from ecodata.standards import gb2260, gb32100, hj608

VALID_USCC = [
    "91110000600037341L",
    "91110108551385082Q",
    "91130200699229617X",
    "11152900767880445J",
]
PILOT_ERA = {"91350100M0001TGQXM": "1", "91350211M0000XUF46": "R", "91350203M0001FUE2P": "J"}


class TestUscc:
    def test_weights_of_clause_5(self) -> None:
        assert gb32100.WEIGHTS == (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)

    @pytest.mark.parametrize("code", VALID_USCC)
    def test_published_valid_codes(self, code: str) -> None:
        parsed = gb32100.validate(code)
        assert parsed.check_ok and parsed.org_code_ok and parsed.warnings == ()
        assert gb32100.check_character(code[:17]) == code[17]

    def test_fields(self) -> None:
        parsed = gb32100.parse("91130200699229617X")
        assert (parsed.authority_name, parsed.entity_type_name) == ("工商（市场监管）", "企业")
        assert parsed.division == "130200" and parsed.org_code == "699229617"
        assert gb32100.parse("11152900767880445J").entity_type_name == "机关"

    def test_example_printed_in_the_standard_is_invalid(self) -> None:
        with pytest.raises(gb32100.UsccError, match="gives '3'"):
            gb32100.parse("91350100M000100Y4Z")
        assert gb32100.is_valid("91350100M000100Y43")

    @pytest.mark.parametrize(("code", "expected"), PILOT_ERA.items())
    def test_pilot_era_codes_warn_not_reject(self, code: str, expected: str) -> None:
        with pytest.raises(gb32100.UsccError, match=f"expected {expected!r}"):
            gb32100.validate(code)
        kept = gb32100.validate(code, authoritative=True)
        assert kept.status == "check_mismatch" and kept.expected_check == expected
        assert kept.org_code_ok  # their inner GB 11714 check passes
        assert any("legacy or pilot-era" in w for w in kept.warnings)

    def test_letter_authority_codes_are_not_format_errors(self) -> None:
        parsed = gb32100.parse("A1110000600037341L")
        assert parsed.authority_name == "中央军委改革和编制办公室" and not parsed.check_ok

    def test_normalisation_and_confusable_letters(self) -> None:
        assert gb32100.validate(" 9111-0000 6000 3734 1l ").code == "91110000600037341L"
        assert gb32100.validate("９１１１００００６０００３７３４１Ｌ").check_ok  # full-width
        with pytest.raises(gb32100.UsccError, match="did you mean 91110000600037341L"):
            gb32100.parse("9111OOOO6OOO37341L")
        with pytest.raises(gb32100.UsccError, match="18 characters"):
            gb32100.parse("9111000060003734")
        with pytest.raises(gb32100.UsccError, match="6-digit division code"):
            gb32100.parse("91A10000600037341L")

    @pytest.mark.parametrize("org", ["60003734-1", "55138508-2", "69922961-7", "76788044-5"])
    def test_organisation_codes(self, org: str) -> None:
        assert gb32100.org_code_valid(org)

    def test_organisation_code_check_rejects_a_change(self) -> None:
        assert not gb32100.org_code_valid("60003734-2")


@pytest.fixture(scope="module")
def ningxia_permits(shared_data: Path) -> list[tuple[str, str]]:
    path = shared_data / "sources" / "DataAll_ningxia_220_enterprises.csv"
    with path.open(encoding="utf-8") as handle:
        return [(row["许可证"], row["代码"]) for row in csv.DictReader(handle)]


class TestHj608:
    def test_annex_a_examples(self) -> None:
        south = hj608.parse_permit_number("91130200699229617X001P")
        north = hj608.parse_permit_number("91130200699229617X002P")
        assert (south.entity_code, south.sequence, south.letter) == ("91130200699229617X", 1, "P")
        assert north.sequence == 2 and not north.legacy

    def test_real_permit_numbers_of_ningxia_enterprises(
        self, ningxia_permits: list[tuple[str, str]]
    ) -> None:
        """143 of the 220 enterprises list a permit number; all but two parse (as numbers from
        the national platform, i.e. authoritative); 'P' is only the most common last letter."""
        numbers = [p for p, _ in ningxia_permits if p]
        assert len(ningxia_permits) == 220 and len(numbers) == 143
        letters: dict[str, int] = {}
        failures: list[str] = []
        for permit in numbers:
            try:
                parsed = hj608.parse_permit_number(permit, authoritative=True)
            except hj608.PermitCodeError as exc:
                failures.append(exc.reason)
                continue
            letters[parsed.letter] = letters.get(parsed.letter, 0) + 1
        assert letters == {
            "P": 80,
            "V": 21,
            "U": 14,
            "Q": 10,
            "R": 5,
            "W": 4,
            "X": 4,
            "Y": 2,
            "Z": 1,
        }
        assert len(failures) == 2
        assert "'V' is not a USCC character" in failures[0]  # G1064012200412550V001P
        assert "did you mean 91640381MA75WDQ50M" in failures[1]  # a letter O for a zero
        assert hj608.parse_permit_number("91640000321673484F001W").letter == "W"
        assert hj608.parse_permit_number("91640000763202372w001P").entity_code.endswith("372W")

    def test_permit_errors(self) -> None:
        with pytest.raises(hj608.PermitCodeError, match="22 characters"):
            hj608.parse_permit_number("91130200699229617X01P")
        with pytest.raises(hj608.PermitCodeError, match="check character"):
            hj608.parse_permit_number("91130200699229617Y001P")
        with pytest.raises(hj608.PermitCodeError, match="3-digit sequence"):
            hj608.parse_permit_number("91130200699229617X0011")

    def test_legacy_trial_numbers_are_accepted_with_a_warning(self) -> None:
        legacy = hj608.parse_permit_number("H9110108000012345a001b")
        assert legacy.legacy and legacy.uscc is None and legacy.warnings

    @pytest.mark.parametrize(
        ("code", "kind", "medium", "sequence"),
        [
            ("DA001", "outlet", "air", 1),
            ("DW012", "outlet", "water", 12),
            ("TA001", "treatment", "air", 1),
            ("TW001", "treatment", "water", 1),
            ("TN003", "treatment", "noise", 3),
            ("TS001", "treatment", "solid waste", 1),
            ("MF0001", "production", "", 1),
        ],
    )
    def test_facility_codes(self, code: str, kind: str, medium: str, sequence: int) -> None:
        parsed = hj608.parse_facility_code(code)
        assert (parsed.kind, parsed.medium, parsed.sequence) == (kind, medium, sequence)

    def test_outlet_codes(self) -> None:
        with pytest.raises(hj608.PermitCodeError, match="not an outlet code"):
            hj608.parse_outlet_code("TA001")
        with pytest.raises(hj608.PermitCodeError):
            hj608.parse_outlet_code("DX001")

    def test_national_outlet_id(self) -> None:
        outlet = hj608.parse_outlet_id("91130200699229617X001P3110DW001")
        assert outlet.industry == "3110" and outlet.facility.medium == "water"
        assert outlet.permit.sequence == 1


class TestGb2260:
    def test_structure(self) -> None:
        haidian = gb2260.parse_division("110108")
        assert (haidian.level, haidian.province_name, haidian.parent) == (
            "county",
            "北京市",
            "110100",
        )
        assert haidian.county_kind == "district"
        dean = gb2260.parse_division("360426")
        assert (dean.prefecture_kind, dean.county_kind) == ("city", "county")
        assert gb2260.parse_division("440000").level == "province"
        assert gb2260.parse_division("522300").prefecture_kind == "region"  # 黔西南州
        assert gb2260.parse_division("429004").prefecture_kind == "province_admin"
        assert gb2260.parse_division("429004").county_kind == "county_city"
        village = gb2260.parse_division("110108001001")
        assert village.level == "village" and village.parent == "110108"

    @pytest.mark.parametrize("code", ["11010", "1101080", "990000", "110008", "ab0108"])
    def test_bad_codes(self, code: str) -> None:
        with pytest.raises(gb2260.DivisionCodeError):
            gb2260.parse_division(code)

    def test_civil_affairs_code_list(self, shared_data: Path) -> None:
        folder = shared_data / "regions" / "divisions"
        rows: list[tuple[str, str]] = []
        levels: dict[str, set[str]] = {}
        for name, level in (("province", "province"), ("city", "prefecture"), ("area", "county")):
            with (folder / f"{name}.csv").open(encoding="utf-8") as handle:
                for row in csv.DictReader(handle):
                    rows.append((row["code"], row["name"]))
                    levels.setdefault(level, set()).add(gb2260.parse_division(row["code"]).level)
        assert levels == {
            "province": {"province"},
            "prefecture": {"prefecture"},
            "county": {"county"},
        }
        index = gb2260.DivisionIndex(rows)
        assert len(index) == 34 + 337 + 2846
        assert index.path("110108") == ("北京市", "市辖区", "海淀区")
        assert index.path("360426") == ("江西省", "九江市", "德安县")
        assert {r[0][:2]: r[1] for r in rows if r[0].endswith("0000")} == gb2260.PROVINCES

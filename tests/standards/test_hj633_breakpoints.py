"""HJ 633 IAQI at every breakpoint edge of both editions, the special cases and the regression
figures of the reference (computed independently from eq. (1) with the ceiling rule)."""

from __future__ import annotations

import math

import pytest

from ecodata.standards import hj633
from ecodata.standards.hj633_tables import (
    IAQI_STEPS,
    TABLE1_2012,
    TABLE3_2026,
    TABLES,
    Indicator,
)


def _sub(version: str, pollutant: str, basis: str, c: float | None, **kw: object) -> hj633.SubIndex:
    return hj633.sub_index(Indicator(pollutant, pollutant, basis, ""), c, version=version, **kw)  # type: ignore[arg-type]


EDGES = [
    (version, pollutant, basis, i)
    for version, table in TABLES.items()
    for (pollutant, basis), column in table.items()
    for i in range(len(column))
]


@pytest.mark.parametrize(("version", "pollutant", "basis", "i"), EDGES)
def test_every_breakpoint_edge(version: str, pollutant: str, basis: str, i: int) -> None:
    """At a breakpoint the IAQI is exactly the table's IAQI; one reporting step (1 µg/m³, CO
    0.1 mg/m³) above it the IAQI is higher, one step below it is at most that IAQI."""
    column = TABLES[version][(pollutant, basis)]
    step = 0.1 if pollutant == "co" else 1.0
    bp = column[i]
    at = _sub(version, pollutant, basis, bp)
    assert at.status == hj633.OK
    assert at.value == IAQI_STEPS[i]
    if i > 0:
        below = _sub(version, pollutant, basis, round(bp - step, 1))
        assert below.value is not None and below.value <= IAQI_STEPS[i]
        assert below.value > IAQI_STEPS[i - 1] or column[i] - column[i - 1] <= step
    if i < len(column) - 1:
        above = _sub(version, pollutant, basis, round(bp + step, 1))
        assert above.value is not None and above.value > IAQI_STEPS[i]
        expected = math.ceil(
            IAQI_STEPS[i] + (IAQI_STEPS[i + 1] - IAQI_STEPS[i]) * step / (column[i + 1] - bp) - 1e-9
        )
        assert above.value == expected


def test_tables_are_the_published_ones() -> None:
    """HJ 633-2026 Table 3 differs from HJ 633-2012 Table 1 only in the PM IAQI-100 breakpoints."""
    changed = {k for k in TABLE1_2012 if TABLE1_2012[k] != TABLE3_2026[k]}
    assert changed == {("pm10", "24h"), ("pm2_5", "24h")}
    assert TABLE1_2012[("pm2_5", "24h")][2] == 75 and TABLE3_2026[("pm2_5", "24h")][2] == 60
    assert TABLE1_2012[("pm10", "24h")][2] == 150 and TABLE3_2026[("pm10", "24h")][2] == 120
    assert TABLE1_2012[("so2", "24h")] == (0, 50, 150, 475, 800, 1600, 2100, 2620)
    assert TABLE1_2012[("so2", "1h")] == (0, 150, 500, 650, 800)
    assert TABLE1_2012[("o3", "8h")] == (0, 100, 160, 215, 265, 800)


# Reference §8: (indicator key, basis, concentration, HJ 633-2012, HJ 633-2026), computed from
# eq. (1) and the ceiling on the concentration as given (no input rounding).
REFERENCE = [
    ("so2", "24h", 40, 40, 40),
    ("so2", "24h", 100, 75, 75),
    ("so2", "24h", 150, 100, 100),
    ("so2", "24h", 300, 124, 124),
    ("so2", "24h", 476, 151, 151),
    ("so2", "24h", 801, 201, 201),
    ("so2", "24h", 2000, 380, 380),
    ("so2", "1h", 149, 50, 50),
    ("so2", "1h", 151, 51, 51),
    ("so2", "1h", 500.5, 101, 101),
    ("no2", "24h", 40.5, 51, 51),
    ("no2", "24h", 100, 110, 110),
    ("no2", "24h", 600, 319, 319),
    ("no2", "1h", 150, 75, 75),
    ("no2", "1h", 1000, 180, 180),
    ("pm10", "24h", 50.5, 51, 51),
    ("pm10", "24h", 120, 85, 100),
    ("pm10", "24h", 150, 100, 112),
    ("pm10", "24h", 200, 125, 131),
    ("co", "24h", 1.5, 38, 38),
    ("co", "24h", 2.5, 63, 63),
    ("co", "24h", 3.9, 98, 98),
    ("co", "24h", 4.0, 100, 100),
    ("co", "24h", 10.2, 131, 131),
    ("co", "1h", 4.5, 45, 45),
    ("co", "1h", 5.9, 59, 59),
    ("co", "1h", 12.3, 105, 105),
    ("o3", "1h", 170, 63, 63),
    ("o3", "1h", 250, 125, 125),
    ("o3", "8h", 100.4, 51, 51),
    ("o3", "8h", 150, 92, 92),
    ("pm2_5", "24h", 35.5, 51, 51),
    ("pm2_5", "24h", 40, 57, 60),
    ("pm2_5", "24h", 60, 82, 100),
    ("pm2_5", "24h", 74, 99, 113),
    ("pm2_5", "24h", 75, 100, 114),
    ("pm2_5", "24h", 100, 132, 137),
]


@pytest.mark.parametrize(("pollutant", "basis", "c", "v2012", "v2026"), REFERENCE)
def test_reference_figures(pollutant: str, basis: str, c: float, v2012: int, v2026: int) -> None:
    assert _sub("2012", pollutant, basis, c, round_input=False).value == v2012
    assert _sub("2026", pollutant, basis, c, round_input=False).value == v2026


@pytest.mark.parametrize(
    ("pollutant", "basis", "c", "rounded", "iaqi"),
    [
        ("pm2_5", "24h", 35.5, 36, 52),  # GB/T 8170: 35.5 → 36 (even)
        ("pm2_5", "24h", 34.5, 34, 49),  # 34.5 → 34 (even)
        ("so2", "1h", 500.5, 500, 100),
        ("no2", "24h", 40.5, 40, 50),
        ("o3", "8h", 100.4, 100, 50),
        ("co", "24h", 2.45, 2.4, 60),  # CO to one decimal, 2.45 → 2.4 (even)
        ("co", "24h", 2.55, 2.6, 65),
    ],
)
def test_inputs_rounded_by_gbt8170(
    pollutant: str, basis: str, c: float, rounded: float, iaqi: int
) -> None:
    """HJ 633-2026 §4.2.2: concentrations are rounded (integers; CO 0.1) before eq. (1)."""
    result = _sub("2026", pollutant, basis, c)
    assert result.concentration == rounded
    assert result.value == iaqi


class TestSpecialCases:
    def test_so2_1h_above_800_2026_is_200(self) -> None:
        result = _sub("2026", "so2", "1h", 801)
        assert (result.value, result.status) == (200, hj633.FIXED)
        assert _sub("2026", "so2", "1h", 5000).value == 200

    def test_so2_1h_above_800_2012_uses_the_24h_mean(self) -> None:
        result = _sub("2012", "so2", "1h", 801, fallback=300)
        assert (result.value, result.status) == (124, hj633.FROM_FALLBACK)
        missing = _sub("2012", "so2", "1h", 801)
        assert (missing.value, missing.status) == (None, hj633.NEEDS_FALLBACK)

    def test_so2_1h_at_800_is_still_on_the_table(self) -> None:
        assert _sub("2012", "so2", "1h", 800).value == 200
        assert _sub("2026", "so2", "1h", 800).value == 200

    def test_o3_8h_above_800_2026_is_300(self) -> None:
        assert _sub("2026", "o3", "8h", 801).value == 300

    def test_o3_8h_above_800_2012_uses_the_1h_value(self) -> None:
        result = _sub("2012", "o3", "8h", 900, fallback=900)
        assert (result.value, result.status) == (350, hj633.FROM_FALLBACK)  # 300 + 100·100/200
        assert _sub("2012", "o3", "8h", 801).status == hj633.NEEDS_FALLBACK

    @pytest.mark.parametrize(
        ("pollutant", "basis", "c"),
        [
            ("pm2_5", "24h", 501),
            ("pm10", "24h", 601),
            ("no2", "1h", 3841),
            ("co", "24h", 60.1),
            ("o3", "1h", 1201),
            ("so2", "24h", 2621),
        ],
    )
    def test_above_the_table_is_undefined_or_capped(
        self, pollutant: str, basis: str, c: float
    ) -> None:
        for version in ("2012", "2026"):
            undefined = _sub(version, pollutant, basis, c)
            assert (undefined.value, undefined.status) == (None, hj633.ABOVE_SCALE)
            capped = _sub(version, pollutant, basis, c, above_scale="cap")
            assert (capped.value, capped.status) == (500, hj633.CAPPED)

    def test_2012_fallback_above_its_own_table(self) -> None:
        result = _sub("2012", "so2", "1h", 900, fallback=3000)
        assert result.status == hj633.ABOVE_SCALE and result.value is None

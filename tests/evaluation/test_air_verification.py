"""`verify aqi`: our hourly AQI against the officially published AQI, from the stores (both
backends), on the real national release of 2019-01-01..03 (HJ 633-2012)."""

from __future__ import annotations

from datetime import date

from ecodata.evaluation.air_verification import verify_aqi
from ecodata.evaluation.periods import local_midnight
from ecodata.store.stores import Stores
from tests.evaluation.conftest import BACKENDS

pytestmark = BACKENDS


def test_hourly_aqi_matches_the_publication(national: Stores) -> None:
    report = verify_aqi(national)
    complete = report.complete
    assert complete.compared == 83_924  # station-hours with all six 1-h values and an AQI
    assert complete.match_rate >= 0.995  # the gate of the issue
    assert complete.matched == 83_832  # 99.890 %
    # every difference: a PM value above the IAQI-500 breakpoint, published as 500
    assert complete.mismatches == {"above_scale_capped": 92}
    for example in complete.examples["above_scale_capped"]:
        c = example["concentrations"]
        assert example["published"] == 500 and example["computed"] is None
        assert (c["pm10"] or 0) > 600 or (c["pm2_5"] or 0) > 500
    assert report.incomplete.compared == 16_074  # a pollutant missing: AQI from the others
    assert report.incomplete.mismatches == {"above_scale_capped": 3}
    assert report.editions == {"HJ 633-2012": 83_924}
    data = report.to_json()
    assert data["start"] == "2019-01-01T00:00:00+08:00"
    assert data["end"] == "2019-01-04T00:00:00+08:00"
    assert data["causes"]["above_scale_capped"].startswith("a concentration is above")


def test_a_period_verifies_its_own_hours(national: Stores) -> None:
    days = [
        verify_aqi(national, start=local_midnight(date(2019, 1, d)),
                   end=local_midnight(date(2019, 1, d + 1))).complete
        for d in (1, 2, 3)
    ]  # fmt: skip
    assert sum(d.compared for d in days) == 83_924
    assert sum(d.matched for d in days) == 83_832
    assert days[1].mismatches == {"above_scale_capped": 32}

"""Evaluations of stores that hold nothing to evaluate say what to import or compute first."""

from __future__ import annotations

import pytest

from ecodata.errors import NotFoundError
from ecodata.evaluation.air_verification import verify_aqi
from ecodata.evaluation.aqi_compute import compute_aqi
from ecodata.evaluation.aqi_results import AqiFilter, aqi_page
from ecodata.evaluation.water_quality import verify_water, water_quality_page
from ecodata.store.stores import Stores


def test_nothing_to_evaluate(embedded_stores: Stores) -> None:
    with pytest.raises(NotFoundError, match="no hourly air-pollutant data"):
        compute_aqi(embedded_stores)
    with pytest.raises(NotFoundError, match="no published AQI"):
        verify_aqi(embedded_stores)
    with pytest.raises(NotFoundError, match="ecodata aqi compute"):
        aqi_page(embedded_stores, AqiFilter(), limit=10)
    with pytest.raises(NotFoundError, match="no published water-quality classes"):
        verify_water(embedded_stores)
    assert water_quality_page(embedded_stores).rows == []

"""Real data for the analysis tests, read once per session from the ``shared_data`` fixture."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from ecodata.analysis import datasets, frames


@pytest.fixture(scope="session")
def mydata(shared_data: Path) -> pd.DataFrame:
    """openair's ``mydata`` (London Marylebone Road 1998–2005) as a wide frame."""
    return frames.to_wide(datasets.read_openair_mydata(shared_data / "air" / "openair_mydata.csv"))


@pytest.fixture(scope="session")
def beijing(shared_data: Path) -> pd.DataFrame:
    """The 12 Beijing stations 2013-03..2017-02 as a long frame."""
    paths = sorted((shared_data / "air" / "beijing_multisite").glob("PRSA_Data_*.csv"))
    return datasets.read_beijing_multisite(paths)

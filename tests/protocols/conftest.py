"""Fixtures of the HJ 212 tests: the packets of ``../shared/data/hj212``."""

from __future__ import annotations

from pathlib import Path

import pytest
from hj212_sample_files import Sample, read_samples


@pytest.fixture(scope="session")
def public_samples(shared_data: Path) -> list[Sample]:
    """Real packets from public implementations and logs (some bad on purpose)."""
    return read_samples(shared_data / "hj212" / "samples_public.txt")


@pytest.fixture(scope="session")
def standard_vectors(shared_data: Path) -> list[Sample]:
    """Frames built from the data segments of HJ 212-2017 Appendix C."""
    return read_samples(shared_data / "hj212" / "samples_from_standard.txt")

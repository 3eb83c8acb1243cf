"""Arrow arrays over numpy buffers."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pytest

from ecodata.store.arrays import from_numpy, to_numpy


def test_numbers_times_and_flags_round_trip() -> None:
    values = np.array([1.5, np.nan, -2.0])
    assert from_numpy(values).to_pylist()[::2] == [1.5, -2.0]
    assert from_numpy(values).null_count == 0  # NaN stays a value, as with pa.array
    times = np.array(["2019-01-01T00", "2019-01-01T01"], dtype="datetime64[us]")
    instants = from_numpy(times, pa.timestamp("us", tz="UTC"))
    assert instants.type == pa.timestamp("us", tz="UTC")
    assert to_numpy(instants, np.int64).tolist() == times.astype(np.int64).tolist()
    mask = np.array([True, False, True, True, False, False, False, False, True])
    assert from_numpy(mask).to_pylist() == mask.tolist()
    assert from_numpy(np.arange(10, dtype=np.int32)[::3]).to_pylist() == [0, 3, 6, 9]


def test_to_numpy_reads_slices_and_chunks() -> None:
    chunked = pa.chunked_array([pa.array([1, 2, 3], pa.int32()), pa.array([4, 5], pa.int32())])
    assert to_numpy(chunked, np.int32).tolist() == [1, 2, 3, 4, 5]
    assert to_numpy(chunked.chunk(0).slice(1), np.int32).tolist() == [2, 3]
    assert to_numpy(pa.chunked_array([], pa.int32()), np.int32).tolist() == []


def test_misuse_is_refused() -> None:
    with pytest.raises(ValueError, match="one-dimensional"):
        from_numpy(np.zeros((2, 2)))
    with pytest.raises(ValueError, match="cannot be viewed"):
        from_numpy(np.zeros(3, dtype=np.int32), pa.timestamp("us"))
    with pytest.raises(ValueError, match="without nulls"):
        to_numpy(pa.array([1, None], pa.int64()), np.int64)


def test_nulls_can_become_nan() -> None:
    values = pa.chunked_array([pa.array([1.0, None, 3.0]), pa.array([None] * 9 + [4.0]).slice(2)])
    out = to_numpy(values, np.float64, nulls_as_nan=True)
    assert np.isnan(out).tolist() == [False, True, False, *[True] * 7, False]
    assert out[~np.isnan(out)].tolist() == [1.0, 3.0, 4.0]

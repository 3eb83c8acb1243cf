"""Arrow arrays from numpy arrays without a copy.

``pa.array`` converts a numpy array too, but it copies, and its first call imports pandas to
check for pandas types (over half a second): the import path does not need either.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa


def from_numpy(values: np.ndarray, type: pa.DataType | None = None) -> pa.Array:
    """A null-free Arrow array over the buffer of a one-dimensional numpy array (NaN stays a
    value). ``type`` must have the item size of ``values`` (e.g. ``pa.timestamp("us")`` for
    int64 or datetime64[us] values); by default the type that matches the numpy dtype."""
    values = np.ascontiguousarray(values)
    if values.ndim != 1:
        raise ValueError(f"expected a one-dimensional array, got shape {values.shape}")
    if values.dtype == np.bool_:
        bits = np.packbits(values, bitorder="little")
        return pa.Array.from_buffers(pa.bool_(), len(values), [None, pa.py_buffer(bits)])
    arrow_type = type if type is not None else pa.from_numpy_dtype(values.dtype)
    if arrow_type.bit_width != values.dtype.itemsize * 8:
        raise ValueError(f"{values.dtype} values cannot be viewed as {arrow_type}")
    return pa.Array.from_buffers(arrow_type, len(values), [None, pa.py_buffer(values)])


def to_numpy(
    values: pa.Array | pa.ChunkedArray, dtype: np.dtype | type, *, nulls_as_nan: bool = False
) -> np.ndarray:
    """The values of a fixed-width Arrow array as numpy ``dtype`` (of the same item size:
    ``np.int64`` for timestamps), without a copy when there is one chunk and no null. Nulls are
    refused, or become NaN with ``nulls_as_nan`` (for a floating-point ``dtype``)."""
    chunks = values.chunks if isinstance(values, pa.ChunkedArray) else [values]
    if values.null_count and not nulls_as_nan:
        raise ValueError("to_numpy needs an array without nulls")
    parts = []
    for chunk in chunks:
        if not len(chunk):
            continue
        validity, data = chunk.buffers()[:2]
        start, stop = chunk.offset, chunk.offset + len(chunk)
        part = np.frombuffer(data, dtype=dtype)[start:stop]
        if chunk.null_count:
            bits = np.unpackbits(np.frombuffer(validity, dtype=np.uint8), bitorder="little")
            part = np.where(bits[start:stop].astype(bool), part, np.nan)
        parts.append(part)
    if not parts:
        return np.empty(0, dtype=dtype)
    return parts[0] if len(parts) == 1 else np.concatenate(parts)

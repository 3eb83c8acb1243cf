"""Accept-Encoding negotiation (RFC 9110 §12.5.3)."""

from __future__ import annotations

import gzip

import pytest

from ecodata.api.encoding import accepts_gzip, gzipped


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("gzip", True),
        ("gzip, deflate, br", True),
        ("GZIP;q=0.5", True),
        ("br;q=1.0, gzip;q=0.8, *;q=0.1", True),
        ("x-gzip", True),
        ("*", True),
        ("", False),
        ("identity", False),
        ("br, deflate", False),
        ("gzip;q=0", False),
        ("gzip;q=0.000, *", False),  # an explicit refusal wins over the wildcard
        ("*;q=0", False),
        ("gzip;q=oops", False),
    ],
)
def test_accepts_gzip(header: str, expected: bool) -> None:
    assert accepts_gzip(header) is expected


def test_gzipped_round_trips_and_is_deterministic() -> None:
    body = b'{"results": []}' * 100
    assert gzip.decompress(gzipped(body)) == body
    assert gzipped(body) == gzipped(body)

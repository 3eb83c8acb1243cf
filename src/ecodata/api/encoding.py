"""Content coding of responses (RFC 9110 §12.5.3 Accept-Encoding, §8.4 Content-Encoding).

Large answers that are rendered once and served many times (the latest values of a whole
network) keep a gzip copy beside the plain bytes; a client that accepts gzip gets it.
"""

from __future__ import annotations

import gzip
from typing import Any

import orjson
from starlette.responses import JSONResponse


def accepts_gzip(accept_encoding: str) -> bool:
    """Whether an ``Accept-Encoding`` value admits gzip (``gzip`` or ``*`` with q > 0)."""
    verdict: dict[str, bool] = {}
    for item in accept_encoding.split(","):
        coding, _, params = item.strip().partition(";")
        q = 1.0
        for param in params.split(";"):
            name, _, value = param.strip().partition("=")
            if name.strip().lower() == "q":
                try:
                    q = float(value)
                except ValueError:
                    q = 0.0
        verdict[coding.strip().lower()] = q > 0
    if "gzip" in verdict:
        return verdict["gzip"]
    return verdict.get("x-gzip", verdict.get("*", False))


def gzipped(body: bytes) -> bytes:
    """The gzip coding of ``body`` (level 6: most of the gain of 9 at a fraction of the time;
    mtime 0 so that equal bodies give equal bytes)."""
    return gzip.compress(body, compresslevel=6, mtime=0)


class FastJSONResponse(JSONResponse):
    """JSON serialised with orjson (compact UTF-8, as Starlette's own; about ten times faster on
    pages of a thousand entities). Integers beyond 64 bits, which orjson refuses, fall back to
    the standard encoder."""

    def render(self, content: Any) -> bytes:
        try:
            return orjson.dumps(content, option=orjson.OPT_NON_STR_KEYS)
        except TypeError:
            return super().render(content)

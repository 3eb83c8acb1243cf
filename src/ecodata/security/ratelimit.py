"""Rate limit of anonymous requests: a fixed one-minute window per client address.

Pure state in memory (one process); ``hit`` returns what the response headers need
(``X-RateLimit-Limit``, ``-Remaining``, ``-Reset`` and, when refused, ``Retry-After``).
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

WINDOW = 60.0


@dataclass(frozen=True, slots=True)
class Verdict:
    allowed: bool
    limit: int
    remaining: int
    reset: int  # seconds until the window ends

    def headers(self) -> dict[str, str]:
        out = {
            "X-RateLimit-Limit": str(self.limit),
            "X-RateLimit-Remaining": str(self.remaining),
            "X-RateLimit-Reset": str(self.reset),
        }
        if not self.allowed:
            out["Retry-After"] = str(self.reset)
        return out


class RateLimiter:
    def __init__(self, per_minute: int, clock: Callable[[], float] = time.monotonic) -> None:
        self.limit = per_minute
        self._clock = clock
        self._lock = threading.Lock()
        self._windows: dict[str, tuple[float, int]] = {}

    def hit(self, client: str) -> Verdict:
        now = self._clock()
        with self._lock:
            start, used = self._windows.get(client, (now, 0))
            if now - start >= WINDOW:
                start, used = now, 0
            allowed = used < self.limit
            if allowed:
                used += 1
            self._windows[client] = (start, used)
            if len(self._windows) > 100_000:
                self._forget(now)
        reset = max(1, math.ceil(start + WINDOW - now))
        return Verdict(allowed, self.limit, max(0, self.limit - used), reset)

    def _forget(self, now: float) -> None:
        for client, (start, _) in list(self._windows.items()):
            if now - start >= WINDOW:
                del self._windows[client]

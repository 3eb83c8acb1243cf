"""The event loop ecodata's long-running network code runs on."""

from __future__ import annotations

import asyncio
import gc
from collections.abc import Callable


def loop_factory() -> Callable[[], asyncio.AbstractEventLoop] | None:
    """uvloop's event loop where it is installed (Linux, macOS), else asyncio's own (``None``, as
    :class:`asyncio.Runner` takes it)."""
    try:
        import uvloop
    except ImportError:
        return None
    return uvloop.new_event_loop


def settle_garbage_collector() -> None:
    """Tune the collector for a long-running server, once its start-up objects exist.

    What start-up built lives as long as the server: keep it out of the collector's passes, which
    would otherwise walk those ~150,000 objects while devices wait; and collect the young
    generation every 50,000 allocations rather than 700 (a gateway allocates a few dozen objects
    per packet, almost none of them in reference cycles).
    """
    gc.freeze()
    gc.set_threshold(50_000, 50, 1000)

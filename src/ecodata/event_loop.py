"""The event loop ecodata's long-running network code runs on."""

from __future__ import annotations

import asyncio
from collections.abc import Callable


def loop_factory() -> Callable[[], asyncio.AbstractEventLoop] | None:
    """uvloop's event loop where it is installed (Linux, macOS), else asyncio's own (``None``, as
    :class:`asyncio.Runner` takes it)."""
    try:
        import uvloop
    except ImportError:
        return None
    return uvloop.new_event_loop

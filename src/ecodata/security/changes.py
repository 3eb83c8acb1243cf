"""The generation of access-relevant changes made by this process: sharing decisions, dataset
classification and sharing type. Whoever reuses a computed access decision keeps the generation
it was computed at and recomputes once it moved."""

from __future__ import annotations

import itertools

_counter = itertools.count(1)
_current = [0]


def generation() -> int:
    return _current[0]


def changed() -> None:
    """Call after committing a change that can alter what a principal may read."""
    _current[0] = next(_counter)  # itertools.count is atomic under the GIL

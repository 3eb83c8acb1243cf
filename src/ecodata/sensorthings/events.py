"""Change events of the SensorThings API, fanned out in-process (to the MQTT bridge).

Every create or update through the API — and any other writer that calls :meth:`Hub.publish`,
such as a gateway — produces :class:`Event` s carrying the entity's JSON and the 18-088 §14.2
topics it belongs to (``Observations``, ``Datastreams(5)/Observations``, ``Observations(…)``).
The hub of an installation is shared by everything running on the same :class:`Stores`.
"""

from __future__ import annotations

import logging
import threading
import weakref
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from ecodata.store.stores import Stores

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Event:
    """One entity as created or updated, with the topics (without the version prefix)."""

    topics: tuple[str, ...]
    payload: Mapping[str, Any]


def topics_for(set_name: str, entity_id: int, parents: Mapping[str, int]) -> tuple[str, ...]:
    """The topics of an entity: its set, itself, and its parents' collections
    (``parents`` maps a parent set name to the parent's id, e.g. ``{"Datastreams": 5}``)."""
    own = (set_name, f"{set_name}({entity_id})")
    return own + tuple(f"{parent}({pid})/{set_name}" for parent, pid in parents.items())


Listener = Callable[[Event], None]


class Hub:
    """Listeners of change events; a failing listener is logged and does not stop the others."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._listeners: list[Listener] = []

    @property
    def active(self) -> bool:
        """Whether anyone listens (events are only built then)."""
        return bool(self._listeners)

    def subscribe(self, listener: Listener) -> Callable[[], None]:
        with self._lock:
            self._listeners.append(listener)

        def unsubscribe() -> None:
            with self._lock:
                if listener in self._listeners:
                    self._listeners.remove(listener)

        return unsubscribe

    def publish(self, events: Iterable[Event]) -> None:
        with self._lock:
            listeners = list(self._listeners)
        if not listeners:
            return
        for event in events:
            for listener in listeners:
                try:
                    listener(event)
                except Exception:
                    log.exception("a SensorThings event listener failed")


_HUBS: dict[int, tuple[weakref.ref[Stores], Hub]] = {}
_HUBS_LOCK = threading.Lock()


def hub_for(stores: Stores) -> Hub:
    """The hub of the installation behind ``stores`` (one per stores object)."""
    with _HUBS_LOCK:
        found = _HUBS.get(id(stores))
        if found is not None and found[0]() is stores:
            return found[1]
        hub = Hub()
        key = id(stores)
        _HUBS[key] = (weakref.ref(stores, _forget(_HUBS, key)), hub)
        return hub


def _forget(table: dict[int, Any], key: int) -> Callable[[object], None]:
    """A weakref callback removing ``key`` (safe at interpreter exit: it holds the table)."""

    def forget(_ref: object) -> None:
        table.pop(key, None)

    return forget

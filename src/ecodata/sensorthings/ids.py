"""Observation ids: stable and derivable from the observation's key (series, time).

An observation is stored once per (series_id, time) and has no row id. Its ``@iot.id`` is::

    id = series_id × 2³² + seconds since 1970-01-01T00:00:00Z

so ids order like (Datastream, phenomenonTime), survive exports and re-imports, and stay below
2⁵³ (exact in JavaScript) for the first 2 097 151 series. Times are whole seconds from 1970 to
2106 (HJ 212-2017 §6.3 DataTime has second resolution); a sub-second phenomenonTime is refused.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from ecodata.errors import InputError

SHIFT = 2**32
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def observation_id(series_id: int, time: datetime) -> int:
    """The ``@iot.id`` of the observation of ``series_id`` at ``time`` (aware)."""
    return series_id * SHIFT + epoch_seconds(time)


def epoch_seconds(time: datetime) -> int:
    """Whole seconds since 1970 of an aware time; refuses what an id cannot hold."""
    if time.tzinfo is None:
        raise InputError(f"time {time.isoformat()} has no UTC offset")
    delta = time.astimezone(UTC) - _EPOCH
    if delta.microseconds:
        raise InputError(
            f"phenomenonTime {time.isoformat()} has fractional seconds; ecodata keeps "
            "observation times to the second"
        )
    seconds = delta.days * 86_400 + delta.seconds
    if not 0 <= seconds < SHIFT:
        raise InputError(f"phenomenonTime {time.isoformat()} is outside 1970–2106")
    return seconds


def split_observation_id(value: int | str) -> tuple[int, datetime]:
    """(series_id, time) of an observation id; :class:`InputError` for anything else."""
    if isinstance(value, str) or value <= 0:
        raise InputError(f"{value!r} is not an observation id (a positive integer)")
    series_id, seconds = divmod(value, SHIFT)
    return series_id, _EPOCH + timedelta(seconds=seconds)

"""Editions of a standard and their dates of force.

Every rule set in :mod:`ecodata.standards` is an *edition* valid from one instant to the next
edition. The instant a datum belongs to decides the edition: China's standards take effect at 00:00
China Standard Time (UTC+8) of their date of force, so an hourly value starting at 2026-02-28 23:00
CST (= 15:00 UTC) is evaluated with HJ 633-2012 and one starting at 2026-03-01 00:00 CST with
HJ 633-2026.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time

import numpy as np
import numpy.typing as npt
import pandas as pd

from ecodata.errors import EvaluationError, InputError
from ecodata.model import CHINA_TZ


@dataclass(frozen=True, slots=True)
class Edition:
    """One edition of a standard. ``starts`` is the first instant it applies (``None``: it is the
    earliest edition implemented and is used for all earlier data); ``in_force`` is the date printed
    on the standard, kept for documentation when it differs from ``starts``."""

    standard: str
    version: str
    title: str
    starts: datetime | None
    in_force: date | None = None
    note: str = ""


def local_midnight(day: date) -> datetime:
    """00:00 of ``day`` in China Standard Time, as an aware datetime."""
    return datetime.combine(day, time(0, 0), tzinfo=CHINA_TZ)


def require_aware(at: datetime, *, what: str = "time") -> datetime:
    """Refuse naive datetimes: the edition depends on the time zone (China local time is UTC+8)."""
    if at.tzinfo is None or at.tzinfo.utcoffset(at) is None:
        raise InputError(
            f"{what} {at.isoformat()} has no time zone; give an aware datetime "
            "(China local time is UTC+8, e.g. 2026-03-01T00:00+08:00)"
        )
    return at


def edition_for(editions: Sequence[Edition], at: datetime) -> Edition:
    """The edition that applies at the aware instant ``at`` (editions sorted by ``starts``)."""
    require_aware(at)
    chosen: Edition | None = None
    for edition in editions:
        if edition.starts is None or at >= edition.starts:
            chosen = edition
    if chosen is None:
        first = editions[0]
        raise EvaluationError(
            f"{first.standard}: no edition implemented for {at.isoformat()}; the earliest starts "
            f"{first.starts.isoformat() if first.starts else 'unbounded'}"
        )
    return chosen


def edition_named(editions: Sequence[Edition], version: str) -> Edition:
    """Look an edition up by its version id, with an error that lists the known ones."""
    for edition in editions:
        if edition.version == version:
            return edition
    known = ", ".join(e.version for e in editions)
    standard = editions[0].standard if editions else "standard"
    raise InputError(f"{standard}: unknown version {version!r}; use one of {known}")


def editions_for_times(
    editions: Sequence[Edition], times: npt.ArrayLike | pd.Series | pd.DatetimeIndex
) -> npt.NDArray[np.str_]:
    """Vectorised :func:`edition_for`: the version id per element.

    Time-zone aware pandas values are compared as instants. Naive values (``numpy.datetime64`` or
    naive pandas) are taken as UTC, the convention of the observation store.
    """
    if isinstance(times, pd.DatetimeIndex):
        index = times
    elif isinstance(times, pd.Series):
        index = pd.DatetimeIndex(times)
    else:
        index = pd.DatetimeIndex(np.asarray(times))
    utc = index.tz_localize("UTC") if index.tz is None else index.tz_convert("UTC")
    result = np.full(len(utc), editions[0].version, dtype=object)
    for edition in editions:
        if edition.starts is None:
            continue
        start = pd.Timestamp(edition.starts.astimezone(UTC))
        result[np.asarray(utc >= start)] = edition.version
    unbounded = editions[0].starts is None
    if not unbounded:
        first_start = pd.Timestamp(editions[0].starts.astimezone(UTC))  # type: ignore[union-attr]
        if bool(np.any(np.asarray(utc < first_start))):
            raise EvaluationError(
                f"{editions[0].standard}: some times precede the earliest implemented edition"
            )
    if bool(np.any(np.asarray(utc.isna()))):
        raise InputError("times contain missing values (NaT); every row needs a time")
    return result.astype(str)

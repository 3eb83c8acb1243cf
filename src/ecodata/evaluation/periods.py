"""Time spans of an evaluation: user bounds, natural days and calendar months in China time.

HJ 663 statistics use the natural day of China Standard Time (UTC+8); every span here is aligned
to local midnights so that no day is cut in two.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, datetime, time, timedelta, tzinfo

from ecodata.errors import InputError
from ecodata.model import CHINA_TZ

DAY = timedelta(days=1)
HOUR = timedelta(hours=1)


def local_midnight(day: date, tz: tzinfo = CHINA_TZ) -> datetime:
    return datetime.combine(day, time(0, 0), tzinfo=tz)


def parse_bound(text: str, *, end: bool = False, tz: tzinfo = CHINA_TZ) -> datetime:
    """A user bound: a date (``2019-01-31``) is that local day — its start, or with ``end`` the
    start of the next day, so that an end date is included; an ISO datetime is taken as given
    (local time when it has no offset) and an end datetime is exclusive."""
    value = text.strip()
    try:
        if len(value) == 10:
            day = date.fromisoformat(value)
            return local_midnight(day + DAY if end else day, tz)
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise InputError(
            f"{value!r} is neither a date (YYYY-MM-DD) nor an ISO datetime "
            "(YYYY-MM-DDTHH:MM[+08:00])"
        ) from None
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=tz)


def floor_day(moment: datetime) -> datetime:
    """The local midnight at or before ``moment``."""
    local = moment.astimezone(CHINA_TZ)
    return local_midnight(local.date())


def ceil_day(moment: datetime) -> datetime:
    """The local midnight at or after ``moment``."""
    start = floor_day(moment)
    return start if start == moment else start + DAY


def month_spans(start: datetime, end: datetime) -> Iterator[tuple[datetime, datetime]]:
    """[start, end) cut at local month boundaries (both aligned to local midnights first)."""
    lo, hi = floor_day(start), ceil_day(end)
    if hi <= lo:
        return
    cursor = lo
    while cursor < hi:
        local = cursor.astimezone(CHINA_TZ)
        following = (local.replace(day=1) + timedelta(days=32)).replace(day=1)
        stop = min(hi, local_midnight(following.date()))
        yield cursor, stop
        cursor = stop


def check_span(start: datetime | None, end: datetime | None) -> None:
    if start is not None and end is not None and end <= start:
        raise InputError(f"the period is empty: {end.isoformat()} is not after {start.isoformat()}")


def parse_period(text: str, tz: tzinfo = CHINA_TZ) -> tuple[datetime, datetime]:
    """A reporting period: ``2019`` (year), ``2019-01`` (month), ``2019-01-05`` (day) or
    ``2019-01-01/2019-01-10`` (local days, both included)."""
    value = text.strip()
    first, sep, last = value.partition("/")
    if sep:
        start, end = parse_bound(first, tz=tz), parse_bound(last, end=True, tz=tz)
        check_span(start, end)
        return start, end
    try:
        if len(value) == 4 and value.isdigit():
            year = int(value)
            return local_midnight(date(year, 1, 1), tz), local_midnight(date(year + 1, 1, 1), tz)
        if len(value) == 7:
            year, month = (int(x) for x in value.split("-"))
            start = local_midnight(date(year, month, 1), tz)
            following = (date(year, month, 1) + timedelta(days=32)).replace(day=1)
            return start, local_midnight(following, tz)
    except ValueError:
        pass
    if len(value) == 10:
        return parse_bound(value, tz=tz), parse_bound(value, end=True, tz=tz)
    raise InputError(
        f"period {value!r}: use YYYY, YYYY-MM, YYYY-MM-DD or YYYY-MM-DD/YYYY-MM-DD (local days)"
    )

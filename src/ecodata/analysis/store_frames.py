"""The analysis package's edge to the stores: stored observations as the frames of :mod:`.frames`.

Reads go through the registry's series lookup and the observation store's query interface (no
SQL here), limited to the readable datasets passed in (``Restriction.dataset_ids`` of
:mod:`ecodata.security.access`; ``None`` reads every dataset). Only valid values are kept: no
failing QC bit and the data flag N or none (HJ 212-2017 Table 8, as :mod:`ecodata.store.derived`).
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import datetime
from typing import Any

import numpy as np
import pandas as pd
import pyarrow.compute as pc

from ecodata.errors import NotFoundError
from ecodata.model import Period
from ecodata.store.derived import FAILING_QC
from ecodata.store.observations import ObservationQuery
from ecodata.store.stores import Stores


def hourly_series(
    stores: Stores,
    sites: Sequence[str],
    parameters: Sequence[str],
    *,
    datasets: Collection[int] | None = None,
) -> list[dict[str, Any]]:
    """The stored hourly series of ``sites`` × ``parameters`` the caller may read."""
    wanted = set(parameters)
    return [
        s
        for s in stores.registry.find_series(
            sites=list(sites), parameters=list(parameters), period=Period.HOUR, datasets=datasets
        )
        if s["parameter"] in wanted
    ]


def read_hourly(
    stores: Stores,
    sites: Sequence[str],
    parameters: Sequence[str],
    *,
    start: datetime | None = None,
    end: datetime | None = None,
    datasets: Collection[int] | None = None,
    tz: object = None,
) -> pd.DataFrame:
    """Valid hourly values of ``sites`` × ``parameters`` in ``[start, end)`` as a long frame
    (``site, time, parameter, value``; times in ``tz``, default the stored UTC).

    Raises :class:`NotFoundError` when none of the series exists or may be read."""
    series = hourly_series(stores, sites, parameters, datasets=datasets)
    if not series:
        raise NotFoundError(
            f"no readable hourly series of {', '.join(parameters)} at {', '.join(sites[:12])}"
        )
    table = stores.observations.read(
        ObservationQuery(series_ids=[int(s["id"]) for s in series], start=start, end=end)
    )
    valid = pc.and_(
        pc.equal(pc.bit_wise_and(table.column("qc"), FAILING_QC), 0),
        pc.or_kleene(pc.is_null(table.column("flag")), pc.equal(table.column("flag"), "N")),
    )
    table = table.filter(valid)
    by_id = {int(s["id"]): (str(s["site"]), str(s["parameter"])) for s in series}
    ids = table.column("series_id").to_numpy()
    keys = np.array(sorted(by_id), dtype=np.int64)
    position = np.searchsorted(keys, ids)
    site_of = np.array([by_id[int(k)][0] for k in keys], dtype=object)
    parameter_of = np.array([by_id[int(k)][1] for k in keys], dtype=object)
    times = pd.DatetimeIndex(table.column("time").to_pandas())
    if tz is not None:
        times = times.tz_convert(tz)  # type: ignore[arg-type]
    return pd.DataFrame(
        {
            "site": site_of[position],
            "time": times,
            "parameter": parameter_of[position],
            "value": table.column("value").to_numpy(zero_copy_only=False).astype(float),
        }
    )


def last_time(
    stores: Stores,
    sites: Sequence[str],
    parameters: Sequence[str],
    *,
    datasets: Collection[int] | None = None,
) -> datetime | None:
    """The newest stored hour of any of the series (from the registry's series statistics)."""
    lasts = [
        s["last_time"]
        for s in hourly_series(stores, sites, parameters, datasets=datasets)
        if s["last_time"] is not None
    ]
    return max(lasts) if lasts else None


def stations(stores: Stores, codes: Sequence[str] | None = None, **where: str) -> pd.DataFrame:
    """Sites as ``site, name, city, division_code, longitude, latitude`` (registry order);
    ``where`` filters as :meth:`Registry.sites` does (``city=…``, ``division_prefix=…``)."""
    rows = stores.registry.sites(codes=codes, **where)
    return pd.DataFrame(
        [
            {
                "site": r["code"],
                "name": r["name_zh"] or r["name_en"] or r["code"],
                "city": r["city"],
                "division_code": r["division_code"],
                "longitude": r["longitude"],
                "latitude": r["latitude"],
            }
            for r in rows
        ],
        columns=["site", "name", "city", "division_code", "longitude", "latitude"],
    )

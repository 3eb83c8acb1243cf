"""The audit entries of the SensorThings service (the security rule: every read of non-public data
and every change goes to the append-only audit log, :mod:`ecodata.security.audit`).

* A change — POST (a deep insert too), PATCH, PUT, DELETE, ``CreateObservations``, each change of
  a ``$batch``, the Observations of a batch of MQTT messages — is one ``sta.create``,
  ``sta.update`` or ``sta.delete`` entry; its ``detail`` counts what the request changed
  (:func:`change_detail`). Refused writes are audited by :func:`ecodata.security.guard.require`.
* A GET that returned Datastreams or Observations of non-public datasets is one ``data.read`` entry
  per such dataset (:func:`ecodata.security.access.audit_reads`).

The service calls the recorders of its :class:`~ecodata.sensorthings.service.Access`; this module
builds them for a principal.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Collection, Mapping
from typing import Any

import sqlalchemy as sa

from ecodata.security import audit as audit_log
from ecodata.security.access import Restriction, audit_reads
from ecodata.security.principal import Principal
from ecodata.sensorthings.writing import Changes
from ecodata.store.provenance import Counts

#: (registry transaction or ``None`` = on its own, action, target, detail) of one change.
ChangeAudit = Callable[[sa.Connection | None, str, str, Mapping[str, Any]], None]
#: (catalog dataset ids whose data a read returned, detail).
ReadAudit = Callable[[Collection[int | None], Mapping[str, Any]], None]

_IDS = 100  # most ids listed in one entry


def change_recorder(engine: sa.Engine, principal: Principal) -> ChangeAudit:
    """Records the changes of ``principal`` (in the change's transaction when given one)."""

    def record(
        conn: sa.Connection | None, action: str, target: str, detail: Mapping[str, Any]
    ) -> None:
        where = engine if conn is None else conn
        audit_log.record(where, principal, action, target, detail={"endpoint": "sta", **detail})

    return record


def read_recorder(
    engine: sa.Engine, principal: Principal, restriction: Restriction
) -> ReadAudit | None:
    """Records the reads of non-public data by ``principal``; ``None`` when it may read public
    datasets only (then a read collects nothing and costs nothing more)."""
    if restriction.dataset_ids is not None and restriction.dataset_ids <= restriction.public_ids:
        return None

    def record(dataset_ids: Collection[int | None], detail: Mapping[str, Any]) -> None:
        audit_reads(
            engine, principal, restriction, dataset_ids, "data.read", {"endpoint": "sta", **detail}
        )

    return record


def change_detail(changes: Changes, counts: Counts | None = None) -> dict[str, Any]:
    """The ``detail`` of a change's entry: entities created, updated and deleted per entity set,
    the Datastreams whose observations were written or deleted, and (after the observation
    store's write) what it did with the new observations."""
    detail: dict[str, Any] = {}
    for verb, items in (
        ("created", changes.created),
        ("updated", changes.updated),
        ("deleted", changes.deleted),
    ):
        if items:
            detail[verb] = dict(Counter(set_name for set_name, _ in items))
    written = sorted({o.series_id for o in changes.observations})
    if written:
        detail["datastreams"] = written[:_IDS]
    cleared = sorted({*changes.deleted_series, *(s for s, _ in changes.deleted_observations)})
    if cleared:
        detail["observations_deleted_of"] = cleared[:_IDS]
    if counts is not None:
        detail["observations"] = {
            "received": counts.read,
            "stored": counts.stored,
            "duplicate": counts.duplicate,
            "quarantined": counts.quarantined,
        }
    return detail

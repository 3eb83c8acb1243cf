"""The SensorThings service of one installation: what the HTTP adapter, ``$batch`` and the MQTT
bridge call (one function per verb, whatever the entity set).

    service = service_for(stores)
    body = service.read("/Datastreams(5)/Observations", "$top=2", base, access)
    location, entity = service.create("/Observations", {...}, base, access)
    service.update("/Things(1)", {...}, base, access)            # PATCH (merge)
    service.update("/Things(1)", {...}, base, access, replace=True)   # PUT
    service.update("/Things(1)", [ops], base, access, json_patch=True)  # RFC 6902
    service.delete("/Things(1)", access)
    links = service.create_observations([...], base, access)      # 18-088 §14.4

``access`` carries the caller's readable catalog datasets (applied inside the SQL), the
permission check of writes and the recorders of the audit log (:mod:`ecodata.sensorthings.audit`):
every change is audited — a change of entities in its registry transaction, a change of
observations once the observation store has it — and so is every read that returned data of
non-public datasets.
"""

from __future__ import annotations

import logging
import threading
import weakref
from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any

import numpy as np
import pyarrow as pa
import sqlalchemy as sa

from ecodata.errors import ConflictError, EcodataError, InputError, NotFoundError
from ecodata.ingest.quality import reject_reason, screen
from ecodata.model import OBSERVATION_SCHEMA
from ecodata.protocols.odata import (
    EntityModel,
    ODataError,
    QueryOptions,
    ResourcePath,
    parse_query_string,
    parse_resource_path,
)
from ecodata.sensorthings.audit import ChangeAudit, ReadAudit, change_detail
from ecodata.sensorthings.entities import BY_SET, KINDS
from ecodata.sensorthings.events import Event, hub_for, topics_for
from ecodata.sensorthings.ids import observation_id
from ecodata.sensorthings.json_patch import apply_patch
from ecodata.sensorthings.model import build_model, open_model
from ecodata.sensorthings.projection_store import Projection, read_engine
from ecodata.sensorthings.reading import Paging, RawValue, Reader
from ecodata.sensorthings.render import landing_page, render_entity, self_link
from ecodata.sensorthings.values import entity_id
from ecodata.sensorthings.writing import Changes, NewObservation, Writer
from ecodata.store import schema
from ecodata.store.provenance import Counts, Rejected
from ecodata.store.stores import Stores

log = logging.getLogger(__name__)

WriteCheck = Callable[[str, str], None]


@dataclass(frozen=True, slots=True)
class Access:
    """What the caller may do: read the series of ``datasets`` (``None`` = all) and write when
    ``check_write(action, target)`` does not raise (``None`` = writes allowed); how its changes
    and its reads of non-public data are audited (``None``: not, or nothing to audit)."""

    datasets: frozenset[int] | None = None
    user: str = ""
    check_write: WriteCheck | None = None
    audit_change: ChangeAudit | None = None
    audit_read: ReadAudit | None = None

    def require_write(self, action: str, target: str) -> None:
        if self.check_write is not None:
            self.check_write(action, target)


OPEN = Access()


@dataclass
class _Run:
    run_id: int
    counts: Counts = field(default_factory=Counts)


class Runs:
    """Import runs of observations written through the API: one per channel, user and UTC day
    (every stored observation names its run, so it can be traced to the request stream)."""

    def __init__(self, stores: Stores) -> None:
        self.stores = stores
        self._lock = threading.Lock()
        self._runs: dict[tuple[str, str, date], _Run] = {}

    def run_id(self, channel: str, user: str) -> int:
        key = (channel, user, datetime.now(UTC).date())
        with self._lock:
            found = self._runs.get(key)
            if found is None:
                source = f"SensorThings API ({channel}) {key[2].isoformat()}"
                found = _Run(self.stores.provenance.start_run("sta", source, user=user))
                self._runs[key] = found
            return found.run_id

    def count(self, channel: str, user: str, counts: Counts) -> None:
        key = (channel, user, datetime.now(UTC).date())
        with self._lock:
            found = self._runs.get(key)
            if found is None:
                return
            found.counts = found.counts + counts
            total = found.counts
        self.stores.provenance.finish_run(found.run_id, total, "done")


@dataclass
class Outcome:
    """Per new observation: ``None`` when stored (or already stored), else the reason."""

    errors: dict[int, str] = field(default_factory=dict)
    counts: Counts = field(default_factory=Counts)


class SensorThings:
    """The service over one installation's stores."""

    def __init__(
        self,
        stores: Stores,
        *,
        paging: Paging | None = None,
        check_interval: float | None = None,
        mqtt_endpoints: Sequence[str] = (),
    ) -> None:
        settings = stores.settings.sta
        self.stores = stores
        self.paging = paging or Paging(settings.default_top, settings.max_top)
        self.mqtt_endpoints = tuple(mqtt_endpoints)
        self.hub = hub_for(stores)
        self.runs = Runs(stores)
        self._engine: sa.Engine | None = None
        self._projection: Projection | None = None
        self._check_interval = settings.check_interval if check_interval is None else check_interval
        self._lock = threading.Lock()
        self._models: dict[frozenset[int], EntityModel] = {}

    # -- plumbing ---------------------------------------------------------------------------------

    @property
    def engine(self) -> sa.Engine:
        if self._engine is None:
            with self._lock:
                if self._engine is None:
                    self._engine = read_engine(self.stores)
                    self._projection = Projection(
                        self.stores, self._engine, check_interval=self._check_interval
                    )
        return self._engine

    @property
    def projection(self) -> Projection:
        self.engine  # noqa: B018 - opens the read engine and the projection
        assert self._projection is not None
        return self._projection

    def model(self, access: Access) -> EntityModel:
        if access.datasets is None:
            return open_model()
        with self._lock:
            found = self._models.get(access.datasets)
            if found is None:
                if len(self._models) > 256:
                    self._models.clear()
                found = self._models[access.datasets] = build_model(access.datasets)
            return found

    def close(self) -> None:
        if self._engine is not None:
            self._engine.dispose()

    # -- reading ----------------------------------------------------------------------------------

    def read(
        self, path_text: str, query: str, base: str, access: Access = OPEN, *, audited: bool = True
    ) -> dict[str, Any] | RawValue:
        """Answer a GET (18-088 §9) of ``path_text`` relative to the service root ``base``; one
        that returned data of non-public datasets is audited (not the reads of a write:
        ``audited=False``)."""
        path = parse_resource_path(path_text)
        if path.action is not None:
            raise InputError(f"{path.action} accepts POST only")
        if not path.segments:
            return landing_page(base, self.mqtt_endpoints)
        for segment in path.segments:
            _int_key(segment.key)
        options = parse_query_string(query)
        self.projection.ensure_current()
        track = audited and access.audit_read is not None
        with self.engine.connect() as conn:
            reader = Reader(conn, self.model(access), base, self.paging, track=track)
            body = reader.read(path, options, path_text, query)
            datasets = reader.touched_datasets()
        if datasets and access.audit_read is not None:
            detail = {"path": path_text} | ({"query": query[:500]} if query else {})
            access.audit_read(datasets, detail)
        return body

    def entity(self, set_name: str, key: int, base: str, access: Access = OPEN) -> dict[str, Any]:
        """One entity as JSON (for a write: not audited as a read)."""
        body = self.read(f"/{set_name}({key})", "", base, access, audited=False)
        assert isinstance(body, dict)
        return body

    # -- writing ----------------------------------------------------------------------------------

    def create(
        self, path_text: str, body: Any, base: str, access: Access = OPEN
    ) -> tuple[str, dict[str, Any]]:
        """POST to an entity set or to ``/Parent(id)/Nav`` (the parent is linked): the new
        entity's self link and JSON (18-088 §10.2)."""
        path = parse_resource_path(path_text)
        set_name, key, back = self._collection(path)
        if key is not None:
            raise InputError(f"POST creates in a collection; {path_text} is one entity")
        if not isinstance(body, Mapping):
            raise InputError("the request body must be a JSON object (one entity)")
        access.require_write("sta.create", set_name)
        changes, new_id = self._apply(
            lambda w: w.create(set_name, {**body, **back}), access, "sta.create", set_name
        )
        outcome = self._flush(changes, access, "http")
        if set_name == "Observations" and outcome.errors:
            message = next(iter(outcome.errors.values()))
            raise ConflictError(message) if "differs" in message else InputError(message)
        self._audit_observations(access, "sta.create", f"{set_name}({new_id})", changes, outcome)
        self._after(changes, base, access)
        link = self_link(base, BY_SET[set_name], new_id)
        return link, self.entity(set_name, new_id, base, access)

    def update(
        self,
        path_text: str,
        body: Any,
        base: str,
        access: Access = OPEN,
        *,
        replace: bool = False,
        json_patch: bool = False,
    ) -> dict[str, Any]:
        """PATCH (merge, or RFC 6902 operations with ``json_patch``) or PUT (``replace``)."""
        set_name, key = self._entity(path_text)
        access.require_write("sta.update", f"{set_name}({key})")
        if json_patch:
            current = self.entity(set_name, key, base, access)
            patched = apply_patch(current, body)
            if not isinstance(patched, Mapping):
                raise InputError("the patched entity is not a JSON object")
            body = _changed(current, patched)
        elif not isinstance(body, Mapping):
            raise InputError("the request body must be a JSON object")
        else:
            self.entity(set_name, key, base, access)  # 404 for what the caller cannot see
        changes, _ = self._apply(
            lambda w: w.update(set_name, key, _strip_links(body), replace=replace),
            access,
            "sta.update",
            set_name,
        )
        outcome = self._flush(changes, access, "http")
        if outcome.errors:
            raise InputError(next(iter(outcome.errors.values())))
        self._audit_observations(access, "sta.update", f"{set_name}({key})", changes, outcome)
        self._after(changes, base, access)
        return self.entity(set_name, key, base, access)

    def delete(self, path_text: str, access: Access = OPEN) -> None:
        """DELETE one entity and what depends on it (18-088 §10.4)."""
        set_name, key = self._entity(path_text)
        access.require_write("sta.delete", f"{set_name}({key})")
        self.entity(set_name, key, "", access)  # 404 for what the caller cannot see
        changes, _ = self._apply(lambda w: w.delete(set_name, key), access, "sta.delete", set_name)
        store = self.stores.observations
        if changes.deleted_series:
            store.delete(changes.deleted_series)
            self.stores.registry.clear_caches()  # a deleted Datastream's series id is gone
        for series_id, time in changes.deleted_observations:
            store.delete([series_id], time=time)
        touched = {s for s, _ in changes.deleted_observations}
        if touched:
            self._refresh_stats(touched)
        self._audit_observations(access, "sta.delete", f"{set_name}({key})", changes)
        if changes.registry:
            self.projection.rebuild()

    def create_observations(self, body: Any, base: str, access: Access = OPEN) -> list[str]:
        """``POST /CreateObservations`` (18-088 §14.4): one self link per row, or a text starting
        with ``error`` for a row that was not stored."""
        if not isinstance(body, list):
            raise InputError("CreateObservations takes a JSON array of dataArray documents")
        access.require_write("sta.create", "Observations")
        rows: list[tuple[int, Mapping[str, Any] | None, str | None]] = []
        for n, document in enumerate(body):
            if not isinstance(document, Mapping):
                raise InputError(f"document {n} is not a JSON object")
            datastream = document.get("Datastream")
            series_id = entity_id(datastream, "Datastream") if datastream is not None else None
            components = document.get("components")
            values = document.get("dataArray")
            if series_id is None or not isinstance(components, list):
                raise InputError(f"document {n} needs Datastream {{'@iot.id'}} and components")
            if not isinstance(values, list):
                raise InputError(f"document {n} needs a dataArray (a JSON array of rows)")
            for row in values:
                if not isinstance(row, list) or len(row) != len(components):
                    rows.append((series_id, None, f"a row needs {len(components)} values"))
                    continue
                item: dict[str, Any] = {"Datastream": {"@iot.id": series_id}}
                for name, value in zip(components, row, strict=True):
                    if name == "FeatureOfInterest/id":
                        item["FeatureOfInterest"] = {"@iot.id": value}
                    elif name not in ("id", "@iot.id"):
                        item[str(name)] = value
                rows.append((series_id, item, None))
        results: list[str | None] = []
        created: list[tuple[int, int]] = []  # (row index, pending index)
        with self.stores.registry.engine.begin() as conn:
            writer = Writer(conn)
            for index, (_, request, problem) in enumerate(rows):
                if problem is not None or request is None:
                    results.append(f"error: {problem}")
                    continue
                try:
                    writer.create("Observations", request)
                except EcodataError as exc:
                    results.append(f"error: {exc}")
                    continue
                results.append(None)
                created.append((index, len(writer.changes.observations) - 1))
            changes = writer.changes
        outcome = self._flush(changes, access, "http")
        for index, pending in created:
            observation = changes.observations[pending]
            if pending in outcome.errors:
                results[index] = f"error: {outcome.errors[pending]}"
            else:
                results[index] = self_link(
                    base,
                    BY_SET["Observations"],
                    observation_id(observation.series_id, observation.time),
                )
        self._audit_observations(
            access, "sta.create", "CreateObservations", changes, outcome, rows=len(rows)
        )
        self._after(changes, base, access)
        return [r or "error" for r in results]

    def create_from_message(
        self, topic_path: str, body: Any, base: str, access: Access = OPEN
    ) -> int:
        """Create an Observation published on ``v1.1/Observations``,
        ``v1.1/Datastreams(id)/Observations`` or ``v1.1/FeaturesOfInterest(id)/Observations``
        (18-088 §14.2.1, create-observations-via-mqtt); its id."""
        (result,) = self.create_from_messages([(topic_path, body)], base, access)
        if isinstance(result, str):
            raise InputError(result)
        return result

    def create_from_messages(
        self, messages: Sequence[tuple[str, Any]], base: str, access: Access = OPEN
    ) -> list[int | str]:
        """Create the Observations of several messages in one registry transaction and one write
        of the observation store (and one audit entry): per message the new id, or the reason it
        was refused. Not permission checked: ``access`` names the user and its audit."""
        results: list[int | str] = []
        pending_of: dict[int, int] = {}  # message index → index among the new observations
        with self.stores.registry.engine.begin() as conn:
            writer = Writer(conn)
            for index, (topic_path, body) in enumerate(messages):
                try:
                    set_name, key, back = self._collection(parse_resource_path(topic_path))
                    if set_name != "Observations" or key is not None:
                        raise InputError(
                            f"only Observations are created over MQTT, not via {topic_path}"
                        )
                    if not isinstance(body, Mapping):
                        raise InputError("a message creating an Observation is one JSON object")
                    results.append(writer.create("Observations", {**body, **back}))
                    pending_of[index] = len(writer.changes.observations) - 1
                except EcodataError as exc:
                    results.append(str(exc))
            changes = writer.changes
        outcome = self._flush(changes, access, "mqtt")
        for index, pending in pending_of.items():
            if pending in outcome.errors:
                results[index] = outcome.errors[pending]
        self._audit_observations(
            access, "sta.create", "Observations", changes, outcome, messages=len(messages)
        )
        self._after(changes, base, access)
        return results

    # -- internals --------------------------------------------------------------------------------

    def _collection(self, path: ResourcePath) -> tuple[str, int | None, dict[str, Any]]:
        """(entity set, key, back link to the parent) of a collection path for POST."""
        if path.action is not None or not path.segments or path.property or path.ref:
            raise InputError("POST goes to an entity set such as /Things or /Things(1)/Datastreams")
        last = path.segments[-1]
        if len(path.segments) == 1:
            if last.name not in BY_SET:
                raise ODataError(f"unknown entity set '{last.name}'", option="path")
            return last.name, _int_key(last.key), {}
        parent_segment = path.segments[-2]
        model = open_model()
        chain = [model.entity_set(path.segments[0].name)]
        for segment in path.segments[1:]:
            nav = chain[-1].navigation.get(segment.name)
            if nav is None:
                raise ODataError(
                    f"{chain[-1].name} has no navigation property '{segment.name}'", option="path"
                )
            chain.append(model.sets[nav.target])
        parent_set, target_set = chain[-2].name, chain[-1].name
        if parent_segment.key is None:
            raise InputError("POST under a navigation property needs the parent's key")
        parent_key = _int_key(parent_segment.key)
        inverse = BY_SET[parent_set].inverse.get(last.name)
        if inverse is None:
            raise InputError(f"entities cannot be created under {parent_set}/{last.name}")
        target_kind = BY_SET[target_set]
        nav_back = target_kind.nav(inverse)
        assert nav_back is not None
        link = {"@iot.id": parent_key}
        return target_set, _int_key(last.key), {inverse: [link] if nav_back.many else link}

    def _entity(self, path_text: str) -> tuple[str, int]:
        path = parse_resource_path(path_text)
        if path.action is not None or len(path.segments) != 1 or path.property or path.ref:
            raise InputError("PATCH, PUT and DELETE address one entity such as /Things(1)")
        segment = path.segments[0]
        if segment.name not in BY_SET:
            raise ODataError(f"unknown entity set '{segment.name}'", option="path")
        key = _int_key(segment.key)
        if key is None:
            raise InputError(f"{path_text} is a collection; address one entity such as /Things(1)")
        return segment.name, key

    def _apply(
        self, action: Callable[[Writer], int], access: Access, verb: str, set_name: str
    ) -> tuple[Changes, int]:
        """Run ``action`` (returning the entity's id) in one registry transaction; a change of
        entities is audited in it (one of observations only by :meth:`_audit_observations`)."""
        with self.stores.registry.engine.begin() as conn:
            writer = Writer(conn)
            result = action(writer)
            if writer.changes.registry and access.audit_change is not None:
                access.audit_change(
                    conn, verb, f"{set_name}({result})", change_detail(writer.changes)
                )
        return writer.changes, result

    @staticmethod
    def _audit_observations(
        access: Access,
        verb: str,
        target: str,
        changes: Changes,
        outcome: Outcome | None = None,
        **extra: Any,
    ) -> None:
        """Audit a change of observations only, once the observation store has it (another
        database: it cannot share the registry transaction). Nothing changed, no entry."""
        if changes.registry or access.audit_change is None:
            return
        if not (changes.created or changes.updated or changes.deleted):
            return
        counts = outcome.counts if outcome is not None and changes.observations else None
        access.audit_change(None, verb, target, change_detail(changes, counts) | extra)

    def _flush(self, changes: Changes, access: Access, channel: str) -> Outcome:
        """Write the request's observations through the observation store (one batch)."""
        outcome = Outcome()
        pending = changes.observations
        if not pending:
            if changes.registry:
                self.projection.rebuild()
            return outcome
        store = self.stores.observations
        for observation in pending:
            if observation.replace:
                self._replace_value(observation)
        bounds = self._bounds({o.series_id for o in pending})
        values = np.array([np.nan if o.value is None else o.value for o in pending])
        low = np.array([bounds.get(o.series_id, (np.nan, np.nan))[0] for o in pending])
        high = np.array([bounds.get(o.series_id, (np.nan, np.nan))[1] for o in pending])
        rejected, qc = screen(values, low, high)
        rejects: list[Rejected] = []
        keep: list[int] = []
        for index, observation in enumerate(pending):
            if rejected[index]:
                reason = reject_reason(float(values[index]), float(low[index]))
                outcome.errors[index] = reason
                rejects.append(self._rejected(observation, reason, channel))
            else:
                keep.append(index)
        run_id = self.runs.run_id(channel, access.user)
        stored = duplicate = 0
        if keep:
            batch = pa.table(
                {
                    "series_id": pa.array([pending[i].series_id for i in keep], pa.int32()),
                    "time": pa.array([pending[i].time for i in keep], pa.timestamp("us", "UTC")),
                    "value": pa.array([pending[i].value for i in keep], pa.float64()),
                    "flag": pa.array([pending[i].flag for i in keep], pa.string()),
                    "qc": pa.array([int(qc[i]) for i in keep], pa.int16()),
                    "run_id": pa.array([run_id] * len(keep), pa.int32()),
                },
                schema=OBSERVATION_SCHEMA,
            )
            result = store.write(batch)
            stored, duplicate = result.stored, result.duplicate
            by_key = {(pending[i].series_id, pending[i].time): i for i in keep}
            for row in result.conflicts.to_pylist():
                found = by_key.get((row["series_id"], row["time"]))
                if found is None:
                    continue
                index = found
                reason = (
                    f"Datastreams({row['series_id']}) has another result at "
                    f"{row['time'].isoformat()} ({row['stored_value']}); it differs and stored "
                    "data are never silently replaced"
                )
                outcome.errors[index] = reason
                rejects.append(self._rejected(pending[index], reason, channel))
        quarantined = self.stores.provenance.quarantine(rejects, channel="api", run_id=run_id)
        outcome.counts = Counts(len(pending), stored, duplicate, quarantined)
        self.runs.count(channel, access.user, outcome.counts)
        touched = {o.series_id for o in pending}
        self._refresh_stats(touched, registry_changed=changes.registry)
        return outcome

    def _refresh_stats(
        self, series_ids: Collection[int], *, registry_changed: bool = False
    ) -> None:
        stats = self.stores.observations.stats(sorted(series_ids))
        missing = set(series_ids) - set(stats.column("series_id").to_pylist())
        self.stores.registry.update_series_stats(stats)
        if missing:
            s = schema.series
            with self.stores.registry.engine.begin() as conn:
                conn.execute(
                    s.update()
                    .where(s.c.id.in_(sorted(missing)))
                    .values(first_time=None, last_time=None, count=0)
                )
        if registry_changed:
            self.projection.rebuild()
        else:
            self.projection.datastream_times(series_ids)

    def _replace_value(self, observation: NewObservation) -> None:
        """PATCH of a result: the stored observation is replaced by the new one."""
        current = self.stores.observations.sql(
            *_one_observation_sql(self.stores.observations.backend, observation)
        ).to_pylist()
        if not current:
            raise NotFoundError("the observation does not exist")
        if observation.value is None and observation.flag is None:
            return
        if observation.value is None:
            observation.value = current[0]["value"]
        if observation.flag is None:
            observation.flag = current[0]["flag"]
        self.stores.observations.delete([observation.series_id], time=observation.time)

    def _bounds(self, series_ids: Collection[int]) -> dict[int, tuple[float, float]]:
        s, p = schema.series, schema.parameters
        with self.stores.registry.engine.connect() as conn:
            rows = conn.execute(
                sa.select(s.c.id, p.c.valid_min, p.c.valid_max)
                .join(p, p.c.id == s.c.parameter_id)
                .where(s.c.id.in_(sorted(series_ids)))
            ).all()
        return {
            int(i): (
                np.nan if low is None else float(low),
                np.nan if high is None else float(high),
            )
            for i, low, high in rows
        }

    @staticmethod
    def _rejected(observation: NewObservation, reason: str, channel: str) -> Rejected:
        return Rejected(
            source=f"SensorThings API ({channel})",
            position=f"Datastreams({observation.series_id}) {observation.time.isoformat()}",
            raw=f"result={observation.value} resultQuality={observation.flag}",
            reason=reason,
        )

    def _after(self, changes: Changes, base: str, access: Access) -> None:
        """Publish the created and updated entities (MQTT receive-updates)."""
        if not self.hub.active:
            return
        events: list[Event] = []
        features: dict[int, int | None] = {}
        for observation in changes.observations:
            key = observation_id(observation.series_id, observation.time)
            if observation.series_id not in features:
                features[observation.series_id] = self._feature_of(observation.series_id)
            events.append(
                self._observation_event(observation, key, base, features[observation.series_id])
            )
        for set_name, key in [*changes.created, *changes.updated]:
            if set_name == "Observations":
                continue
            try:
                payload = self.entity(set_name, key, base, OPEN)
            except NotFoundError:
                continue
            events.append(Event(topics_for(set_name, key, {}), payload))
        self.hub.publish(events)

    @staticmethod
    def _observation_event(
        observation: NewObservation, key: int, base: str, feature: int | None
    ) -> Event:
        row = {
            "id": key,
            "series_id": observation.series_id,
            "time": observation.time,
            "value": observation.value,
            "flag": observation.flag,
            "qc": 0,
            "run_id": None,
        }
        payload = render_entity(BY_SET["Observations"], row, base)
        parents = {"Datastreams": observation.series_id}
        if feature is not None:
            parents["FeaturesOfInterest"] = feature
        return Event(topics_for("Observations", key, parents), payload)

    def _feature_of(self, series_id: int) -> int | None:
        with self.stores.registry.engine.connect() as conn:
            return Writer(conn).datastream_feature(series_id)


def _int_key(key: int | str | None) -> int | None:
    if key is None or isinstance(key, int):
        return key
    raise NotFoundError(f"ecodata's SensorThings ids are integers, not '{key}'")


def _strip_links(body: Mapping[str, Any]) -> dict[str, Any]:
    """Drop the read-only members a client may send back (links, counts)."""
    return {k: v for k, v in body.items() if not k.startswith("@iot.") and "@iot." not in k}


def _changed(before: Mapping[str, Any], after: Mapping[str, Any]) -> dict[str, Any]:
    """The members a JSON Patch changed (removed ones become null)."""
    out = {k: v for k, v in after.items() if before.get(k) != v}
    out |= {k: None for k in before if k not in after}
    return _strip_links(out)


def _one_observation_sql(backend: str, observation: NewObservation) -> tuple[str, dict[str, Any]]:
    if backend == "postgresql":
        sql = "SELECT value, flag FROM observations WHERE series_id = %(s)s AND time = %(t)s"
    else:
        sql = "SELECT value, flag FROM observations WHERE series_id = $s AND time = $t"
    return sql, {"s": observation.series_id, "t": observation.time}


_SERVICES: dict[int, tuple[weakref.ref[Stores], SensorThings]] = {}
_SERVICES_LOCK = threading.Lock()


def service_for(stores: Stores) -> SensorThings:
    """The service of the installation behind ``stores`` (shared by HTTP and MQTT)."""
    with _SERVICES_LOCK:
        found = _SERVICES.get(id(stores))
        if found is not None and found[0]() is stores:
            return found[1]
        settings = stores.settings.sta
        endpoints = (settings.mqtt_url,) if settings.mqtt_url else ()
        service = SensorThings(stores, mqtt_endpoints=endpoints)
        key = id(stores)
        _SERVICES[key] = (weakref.ref(stores, _forget(_SERVICES, key)), service)
        return service


__all__ = ["KINDS", "OPEN", "Access", "QueryOptions", "RawValue", "SensorThings", "service_for"]


def _forget(table: dict[int, Any], key: int) -> Callable[[object], None]:
    """A weakref callback removing ``key`` (safe at interpreter exit: it holds the table)."""

    def forget(_ref: object) -> None:
        table.pop(key, None)

    return forget

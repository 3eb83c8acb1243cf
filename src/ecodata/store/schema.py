"""The registry schema (SQLAlchemy Core), identical on SQLite and PostgreSQL.

Tables are created and upgraded only through :mod:`ecodata.store.migrations`.
"""

from __future__ import annotations

import sqlalchemy as sa

from ecodata.store.dialects import UTCDateTime

metadata = sa.MetaData()

schema_migrations = sa.Table(
    "schema_migrations",
    metadata,
    sa.Column("version", sa.Integer, primary_key=True, autoincrement=False),
    sa.Column("name", sa.String(200), nullable=False),
    sa.Column("applied_at", UTCDateTime, nullable=False),
)

# GB/T 2260 administrative divisions: 6-digit codes, three levels (province, prefecture, county).
divisions = sa.Table(
    "divisions",
    metadata,
    sa.Column("code", sa.String(6), primary_key=True),
    sa.Column("name", sa.String(100), nullable=False),
    sa.Column("level", sa.SmallInteger, nullable=False),  # 1 province, 2 prefecture, 3 county
    sa.Column("parent_code", sa.String(6)),
    sa.Column("longitude", sa.Float),
    sa.Column("latitude", sa.Float),
    sa.Column("valid_from", sa.Date),
    sa.Column("valid_to", sa.Date),
    sa.Column("source", sa.String(200), nullable=False, server_default=""),
)

providers = sa.Table(
    "providers",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("code", sa.String(64), nullable=False, unique=True),
    sa.Column("name_zh", sa.String(200), nullable=False, server_default=""),
    sa.Column("name_en", sa.String(200), nullable=False, server_default=""),
    sa.Column("url", sa.String(500), nullable=False, server_default=""),
    sa.Column("licence", sa.String(100), nullable=False, server_default=""),
    sa.Column("attribution", sa.Text, nullable=False, server_default=""),
)

sites = sa.Table(
    "sites",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("code", sa.String(64), nullable=False, unique=True),
    sa.Column("kind", sa.String(32), nullable=False),
    sa.Column("name_zh", sa.String(200), nullable=False, server_default=""),
    sa.Column("name_en", sa.String(200), nullable=False, server_default=""),
    sa.Column("division_code", sa.String(6)),
    sa.Column("province", sa.String(100), nullable=False, server_default=""),
    sa.Column("city", sa.String(100), nullable=False, server_default=""),
    sa.Column("longitude", sa.Float),
    sa.Column("latitude", sa.Float),
    sa.Column("status", sa.String(16), nullable=False, server_default="active"),
    sa.Column("attributes", sa.JSON, nullable=False, default=dict),
    sa.Column("provider_id", sa.Integer, sa.ForeignKey("providers.id")),
    sa.Column("updated_at", UTCDateTime, nullable=False),
    sa.Index("ix_sites_kind", "kind"),
    sa.Index("ix_sites_division", "division_code"),
)

parameters = sa.Table(
    "parameters",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("code", sa.String(64), nullable=False, unique=True),
    sa.Column("name_zh", sa.String(200), nullable=False, server_default=""),
    sa.Column("name_en", sa.String(200), nullable=False, server_default=""),
    sa.Column("unit", sa.String(40), nullable=False, server_default=""),
    sa.Column("domain", sa.String(32), nullable=False),
    # `base` groups variants of one quantity, e.g. o3 (µg/m³) and o3_ppb share base "o3".
    sa.Column("base", sa.String(64)),
    sa.Column("hj212_code", sa.String(16)),
    sa.Column("hj2005_code", sa.String(16)),
    sa.Column("published", sa.Boolean, nullable=False, server_default=sa.false()),
    sa.Column("data_type", sa.String(16), nullable=False, server_default=""),
    sa.Column("emission_unit", sa.String(40), nullable=False, server_default=""),
    sa.Column("valid_min", sa.Float),
    sa.Column("valid_max", sa.Float),
    sa.Column("description", sa.Text, nullable=False, server_default=""),
    sa.Index("ix_parameters_hj212", "hj212_code"),
)

# A series is one (site, parameter, period): the unit an observation belongs to.
series = sa.Table(
    "series",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("site_id", sa.Integer, sa.ForeignKey("sites.id"), nullable=False),
    sa.Column("parameter_id", sa.Integer, sa.ForeignKey("parameters.id"), nullable=False),
    sa.Column("period", sa.SmallInteger, nullable=False),
    sa.Column("first_time", UTCDateTime),
    sa.Column("last_time", UTCDateTime),
    sa.Column("count", sa.BigInteger, nullable=False, server_default="0"),
    sa.UniqueConstraint("site_id", "parameter_id", "period", name="uq_series_key"),
    sa.Index("ix_series_parameter", "parameter_id"),
)

import_runs = sa.Table(
    "import_runs",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("kind", sa.String(40), nullable=False),
    sa.Column("source", sa.Text, nullable=False),
    sa.Column("sha256", sa.String(64), nullable=False, server_default=""),
    sa.Column("user", sa.String(100), nullable=False, server_default=""),
    sa.Column("started_at", UTCDateTime, nullable=False),
    sa.Column("finished_at", UTCDateTime),
    sa.Column("status", sa.String(16), nullable=False),  # running | done | empty | failed
    sa.Column("read", sa.BigInteger, nullable=False, server_default="0"),
    sa.Column("stored", sa.BigInteger, nullable=False, server_default="0"),
    sa.Column("duplicate", sa.BigInteger, nullable=False, server_default="0"),
    sa.Column("quarantined", sa.BigInteger, nullable=False, server_default="0"),
    sa.Column("message", sa.Text, nullable=False, server_default=""),
)

# Rejected records: nothing received is lost; each row says where it came from and why.
quarantine = sa.Table(
    "quarantine",
    metadata,
    sa.Column("id", sa.BigInteger().with_variant(sa.Integer, "sqlite"), primary_key=True),
    sa.Column("run_id", sa.Integer, sa.ForeignKey("import_runs.id")),
    sa.Column("channel", sa.String(16), nullable=False),  # import | hj212 | api
    sa.Column("source", sa.Text, nullable=False),  # file path, peer address or endpoint
    sa.Column("position", sa.String(200), nullable=False, server_default=""),
    sa.Column("raw", sa.Text, nullable=False, server_default=""),
    sa.Column("raw_bytes", sa.LargeBinary),
    sa.Column("reason", sa.Text, nullable=False),
    sa.Column("site_code", sa.String(64)),
    sa.Column("parameter_code", sa.String(64)),
    sa.Column("received_at", UTCDateTime, nullable=False),
    sa.Index("ix_quarantine_run", "run_id"),
    sa.Index("ix_quarantine_site", "site_code"),
)

# HJ 212 data loggers (数采仪) known to the gateway, keyed by their MN (HJ 212-2017 Table 4).
devices = sa.Table(
    "devices",
    metadata,
    sa.Column("mn", sa.String(64), primary_key=True),
    sa.Column("password_hash", sa.String(128), nullable=False),
    sa.Column("password_salt", sa.String(32), nullable=False),
    sa.Column("site_code", sa.String(64)),
    sa.Column("st", sa.String(8)),  # expected system code; NULL accepts any
    sa.Column("crc_dialect", sa.String(32), nullable=False, server_default="standard"),
    sa.Column("sm4_key", sa.String(64)),  # hex, HJ 212-2025 CP encryption; NULL = plain
    sa.Column("status", sa.String(16), nullable=False, server_default="active"),  # | pending
    sa.Column("created_at", UTCDateTime, nullable=False),
    sa.Column("updated_at", UTCDateTime, nullable=False),
    sa.Column("last_seen", UTCDateTime),
    sa.Column("last_peer", sa.String(100), nullable=False, server_default=""),
    sa.Column("last_version", sa.String(16), nullable=False, server_default=""),
    sa.Column("packets_total", sa.BigInteger, nullable=False, server_default="0"),
    sa.Column("rejected_total", sa.BigInteger, nullable=False, server_default="0"),
    sa.Column("counter_day", sa.Date),
    sa.Column("packets_day", sa.BigInteger, nullable=False, server_default="0"),
    sa.Column("rejected_day", sa.BigInteger, nullable=False, server_default="0"),
)

# -- information-resource catalog (政务信息资源目录) and security -------------------------------

# Departments (政务部门) own datasets and group users; in CKAN they are the organizations.
departments = sa.Table(
    "departments",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("code", sa.String(64), nullable=False, unique=True),
    sa.Column("name_zh", sa.String(200), nullable=False, server_default=""),
    sa.Column("name_en", sa.String(200), nullable=False, server_default=""),
    sa.Column("parent_code", sa.String(64)),
    sa.Column("description", sa.Text, nullable=False, server_default=""),
    sa.Column("created_at", UTCDateTime, nullable=False),
)

# One catalog entry per dataset; `selector` says which series belong to it (first match by
# `position` wins), the other columns are the core metadata of the catalog guide
# (政务信息资源目录编制指南, 发改高技〔2017〕1272号).
datasets = sa.Table(
    "datasets",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("name", sa.String(100), nullable=False, unique=True),
    sa.Column("uuid", sa.String(36), nullable=False, unique=True),
    sa.Column("resource_code", sa.String(64), nullable=False, unique=True),
    sa.Column("title_zh", sa.String(300), nullable=False),
    sa.Column("title_en", sa.String(300), nullable=False, server_default=""),
    sa.Column("description_zh", sa.Text, nullable=False, server_default=""),
    sa.Column("description_en", sa.Text, nullable=False, server_default=""),
    sa.Column("department_code", sa.String(64), nullable=False),
    sa.Column("classification", sa.String(16), nullable=False),  # public | shared | restricted
    sa.Column("sharing_type", sa.String(16), nullable=False),  # unconditional | conditional | none
    sa.Column("sharing_condition", sa.Text, nullable=False, server_default=""),
    sa.Column("open_type", sa.String(16), nullable=False),  # open | conditional | closed
    sa.Column("update_cycle", sa.String(16), nullable=False),  # realtime | hourly | daily | …
    sa.Column("formats", sa.JSON, nullable=False, default=list),
    sa.Column("responsibility", sa.Text, nullable=False, server_default=""),
    sa.Column("licence", sa.String(100), nullable=False, server_default=""),
    sa.Column("attribution", sa.Text, nullable=False, server_default=""),
    sa.Column("topics", sa.JSON, nullable=False, default=list),
    sa.Column("tags", sa.JSON, nullable=False, default=list),
    sa.Column("source", sa.String(16), nullable=False, server_default="series"),  # series | sites
    sa.Column("selector", sa.JSON, nullable=False, default=dict),
    sa.Column("position", sa.Integer, nullable=False),
    sa.Column("created_at", UTCDateTime, nullable=False),
    sa.Column("modified_at", UTCDateTime, nullable=False),
)

# Membership: every series belongs to exactly one dataset (set when the series is created and by
# `ecodata catalog sync`), so that access rules become one join in the store queries.
dataset_series = sa.Table(
    "dataset_series",
    metadata,
    sa.Column(
        "series_id", sa.Integer, sa.ForeignKey("series.id", ondelete="CASCADE"), primary_key=True
    ),
    sa.Column("dataset_id", sa.Integer, sa.ForeignKey("datasets.id"), nullable=False),
    sa.Index("ix_dataset_series_dataset", "dataset_id"),
)

users = sa.Table(
    "users",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("name", sa.String(100), nullable=False, unique=True),
    sa.Column("role", sa.String(32), nullable=False),
    sa.Column("department_code", sa.String(64)),
    sa.Column("password_hash", sa.String(200), nullable=False),
    sa.Column("active", sa.Boolean, nullable=False, server_default=sa.true()),
    sa.Column("created_at", UTCDateTime, nullable=False),
    sa.Column("updated_at", UTCDateTime, nullable=False),
)

# API keys are stored as SHA-256 digests; `key_id` is the public part used to find the row.
api_keys = sa.Table(
    "api_keys",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("key_id", sa.String(32), nullable=False, unique=True),
    sa.Column("digest", sa.String(64), nullable=False),
    sa.Column("user_id", sa.Integer, sa.ForeignKey("users.id"), nullable=False),
    sa.Column("label", sa.String(200), nullable=False, server_default=""),
    sa.Column("created_at", UTCDateTime, nullable=False),
    sa.Column("expires_at", UTCDateTime),
    sa.Column("revoked_at", UTCDateTime),
    sa.Index("ix_api_keys_user", "user_id"),
)

# Conditional sharing (有条件共享): a department applies, a steward approves or denies, access
# lasts until `expires_at`.
sharing_requests = sa.Table(
    "sharing_requests",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("dataset_id", sa.Integer, sa.ForeignKey("datasets.id"), nullable=False),
    sa.Column("department_code", sa.String(64), nullable=False),
    sa.Column("requested_by", sa.String(100), nullable=False),
    sa.Column("purpose", sa.Text, nullable=False),
    sa.Column("status", sa.String(16), nullable=False),  # pending | approved | denied | revoked
    sa.Column("created_at", UTCDateTime, nullable=False),
    sa.Column("decided_by", sa.String(100)),
    sa.Column("decided_at", UTCDateTime),
    sa.Column("note", sa.Text, nullable=False, server_default=""),
    sa.Column("expires_at", UTCDateTime),
    sa.Index("ix_sharing_requests_dataset", "dataset_id", "department_code"),
)

# Append-only: triggers on both dialects make UPDATE and DELETE fail (see migrations).
audit_log = sa.Table(
    "audit_log",
    metadata,
    sa.Column("id", sa.BigInteger().with_variant(sa.Integer, "sqlite"), primary_key=True),
    sa.Column("time", UTCDateTime, nullable=False),
    sa.Column("actor", sa.String(100), nullable=False),
    sa.Column("role", sa.String(32), nullable=False),
    sa.Column("department_code", sa.String(64)),
    sa.Column("action", sa.String(64), nullable=False),
    sa.Column("target", sa.String(300), nullable=False, server_default=""),
    sa.Column("outcome", sa.String(16), nullable=False),  # ok | denied | failed
    sa.Column("client", sa.String(100), nullable=False, server_default=""),
    sa.Column("detail", sa.JSON, nullable=False, default=dict),
    sa.Index("ix_audit_log_time", "time"),
    sa.Index("ix_audit_log_actor", "actor"),
)

# -- SensorThings API (OGC 18-088) metadata the registry has no column for -----------------------
# Things are sites, ObservedProperties parameters, Datastreams series; what STA adds lives here.

# Locations, Sensors, FeaturesOfInterest and HistoricalLocations share one id sequence. `auto`
# rows are derived from a site (its position, its feature) or a parameter (its sensor) and follow
# their values; `doc` holds the STA fields (name, description, encodingType, location, …).
sta_objects = sa.Table(
    "sta_objects",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("kind", sa.String(24), nullable=False),  # Location | Sensor | FeatureOfInterest | …
    sa.Column("site_id", sa.Integer),  # auto Location/FeatureOfInterest; HistoricalLocation's Thing
    sa.Column("parameter_id", sa.Integer),  # auto Sensor
    sa.Column("auto", sa.Boolean, nullable=False, server_default=sa.false()),
    sa.Column("time", UTCDateTime),  # HistoricalLocation time
    sa.Column("doc", sa.JSON, nullable=False, default=dict),
    sa.Index("ix_sta_objects_kind_site", "kind", "site_id"),
)

# Relations: thing_location (site id, Location id), historical_location (HistoricalLocation id,
# Location id).
sta_links = sa.Table(
    "sta_links",
    metadata,
    sa.Column("kind", sa.String(24), primary_key=True),
    sa.Column("source_id", sa.Integer, primary_key=True),
    sa.Column("target_id", sa.Integer, primary_key=True),
    sa.Index("ix_sta_links_target", "kind", "target_id"),
)

# STA fields of a Thing (site), ObservedProperty (parameter) or Datastream (series) set through
# the API; without a row they are derived from the registry.
sta_overrides = sa.Table(
    "sta_overrides",
    metadata,
    sa.Column("kind", sa.String(24), primary_key=True),  # Thing | ObservedProperty | Datastream
    sa.Column("key", sa.Integer, primary_key=True),
    sa.Column("doc", sa.JSON, nullable=False, default=dict),
)

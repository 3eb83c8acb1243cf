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

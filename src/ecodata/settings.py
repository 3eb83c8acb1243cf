"""One typed settings tree.

Sources, lowest priority first: defaults, an optional TOML file (``--config`` / ``ECODATA_CONFIG``),
``ECODATA_*`` environment variables (nested groups with ``__``, e.g. ``ECODATA_HJ212__PORT``), and
explicit overrides (command-line options). Nothing is read at import: call :func:`load_settings`.
"""

from __future__ import annotations

import os
import tomllib
from datetime import timedelta, timezone, tzinfo
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, Field, SecretStr, ValidationError, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from ecodata.errors import ConfigError

#: The secret used when none is configured; accepted only in demo mode.
DEMO_SECRET = "ecodata-demo-secret-change-me"


class ApiSettings(BaseModel):
    host: str = Field("127.0.0.1", description="Address the HTTP server listens on.")
    port: int = Field(8000, ge=0, le=65535, description="HTTP port (API and web UI).")
    page_size: int = Field(
        1000, ge=1, le=100_000, description="Default page size of list endpoints."
    )
    max_page_size: int = Field(10_000, ge=1, description="Largest page a client may ask for.")


class Hj212Settings(BaseModel):
    port: int | None = Field(
        None, ge=0, le=65535, description="TCP port of the HJ 212 gateway; unset = gateway off."
    )
    host: str = Field("0.0.0.0", description="Address the HJ 212 gateway listens on.")
    idle_timeout: float = Field(
        600.0, gt=0, description="Seconds without a packet before a device connection is closed."
    )
    online_window: float = Field(
        900.0, gt=0, description="A device counts as online if heard from within this many seconds."
    )
    accept_unknown: bool = Field(
        False, description="Register unknown MNs as pending devices (their data are quarantined)."
    )
    processes: int = Field(
        1,
        ge=0,
        le=32,
        description="Processes receiving device connections beside the server process, which "
        "commits their readings; 0 = receive inside the server process.",
    )
    batch_max: int = Field(50_000, ge=1, description="Most readings committed in one group commit.")
    batch_wait_ms: float = Field(
        40.0, ge=0, description="Shortest interval between the starts of two group commits."
    )


class SecuritySettings(BaseModel):
    secret_key: SecretStr = Field(
        SecretStr(""), description="Key that signs login tokens. Required outside demo mode."
    )
    token_minutes: int = Field(30, ge=1, description="Lifetime of a login token.")
    anonymous_rate: int = Field(
        120, ge=1, description="Requests per minute allowed to one anonymous client address."
    )


class WarningSettings(BaseModel):
    """Heavy-pollution warning thresholds (MEP 2017 grading; regions may set stricter values)."""

    heavy: float = Field(200, description="Daily AQI above which a day counts as heavy pollution.")
    severe: float = Field(300, description="Daily AQI above which a day counts as severe.")
    extreme: float = Field(500, description="Daily AQI at or above which red applies at once.")


class WebSettings(BaseModel):
    """The web UI served beside the API."""

    regions_dir: Path = Field(
        Path("../shared/data/regions"),
        description="Folder with the region boundaries for the maps (geojson/china_provinces.json "
        "and geojson/province_cities/<adcode>.json); read at run time, never copied.",
    )
    default_language: Literal["zh-CN", "en"] = Field(
        "zh-CN", description="Language of the web UI when neither ?lang=, cookie nor browser asks."
    )


class StaSettings(BaseModel):
    """The OGC SensorThings API 1.1 at /sta/v1.1 and its MQTT extension."""

    mqtt_url: str | None = Field(
        None,
        pattern=r"^mqtts?://[^/:]+(:\d+)?/?$",
        description="MQTT broker of the SensorThings MQTT extension (mqtt://host:1883); "
        "unset = the extension is off.",
    )
    mqtt_qos: int = Field(1, ge=0, le=2, description="QoS of published and subscribed messages.")
    mqtt_username: str | None = Field(None, description="User name at the MQTT broker.")
    mqtt_password: SecretStr | None = Field(None, description="Password at the MQTT broker.")
    public_url: str | None = Field(
        None,
        description="Service root as clients reach it (for links in MQTT messages); default "
        "http://<api.host>:<api.port>/sta/v1.1.",
    )
    default_top: int = Field(100, ge=1, description="Page size when a request gives no $top.")
    max_top: int = Field(10_000, ge=1, description="Largest $top a client may ask for.")
    check_interval: float = Field(
        1.0,
        ge=0,
        description="Seconds between checks whether the registry changed outside the API "
        "(imports); the read tables are then rebuilt.",
    )


class Settings(BaseSettings):
    """The effective configuration of one ecodata installation."""

    model_config = SettingsConfigDict(
        env_prefix="ECODATA_", env_nested_delimiter="__", extra="forbid", validate_default=True
    )

    data_dir: Path = Field(
        Path("data"), description="Embedded data directory (SQLite registry, DuckDB observations)."
    )
    database_url: SecretStr | None = Field(
        None,
        description="PostgreSQL URL (postgresql://user:pass@host/db); puts registry and "
        "observations on PostgreSQL instead of the data directory.",
    )
    archive_dir: Path | None = Field(
        None, description="Parquet archive folder; default: <data_dir>/archive."
    )
    timezone: str = Field(
        "+08:00",
        pattern=r"^[+-]\d{2}:\d{2}$",
        description="UTC offset of local time (China Standard Time is +08:00).",
    )
    demo: bool = Field(False, description="Demo mode: allows the built-in secret.")
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = Field(
        "INFO", description="Least severe log messages written."
    )
    api: ApiSettings = ApiSettings()
    hj212: Hj212Settings = Hj212Settings()
    security: SecuritySettings = SecuritySettings()
    warning: WarningSettings = WarningSettings()
    web: WebSettings = WebSettings()
    sta: StaSettings = StaSettings()

    @field_validator("database_url")
    @classmethod
    def _postgres_only(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None and value.get_secret_value():
            url = value.get_secret_value()
            if not url.startswith(("postgresql://", "postgresql+psycopg://", "postgres://")):
                raise ValueError("database_url must be a postgresql:// URL")
            return value
        return None

    @property
    def backend(self) -> Literal["embedded", "postgresql"]:
        return "postgresql" if self.database_url else "embedded"

    @property
    def tz(self) -> tzinfo:
        """The local time zone of the data as a fixed offset."""
        sign = -1 if self.timezone.startswith("-") else 1
        hours, _, minutes = self.timezone.lstrip("+-").partition(":")
        return timezone(sign * timedelta(hours=int(hours), minutes=int(minutes or 0)))

    @property
    def archive_path(self) -> Path:
        return self.archive_dir or self.data_dir / "archive"

    def secret(self) -> str:
        """The token-signing secret; refuses the built-in one outside demo mode."""
        key = self.security.secret_key.get_secret_value()
        if key:
            return key
        if self.demo:
            return DEMO_SECRET
        raise ConfigError(
            "no secret key configured: set ECODATA_SECURITY__SECRET_KEY (e.g. to the output of "
            "`python -c 'import secrets; print(secrets.token_urlsafe(32))'`)"
        )


def load_settings(config_file: Path | None = None, **overrides: Any) -> Settings:
    """Build the settings from defaults, an optional TOML file, the environment and overrides."""
    file_values: dict[str, Any] = {}
    env_file = os.environ.get("ECODATA_CONFIG")
    path = config_file or (Path(env_file) if env_file else None)
    if path is not None:
        try:
            file_values = tomllib.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise ConfigError(f"settings file {path} does not exist") from None
        except tomllib.TOMLDecodeError as exc:
            raise ConfigError(f"settings file {path} is not valid TOML: {exc}") from None
    try:
        env_only = Settings()
        merged = _deep_merge(file_values, env_only.model_dump(exclude_unset=True))
        merged = _deep_merge(merged, {k: v for k, v in overrides.items() if v is not None})
        return Settings.model_validate(merged)
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in err['loc'])}: {err['msg']}" for err in exc.errors()
        )
        raise ConfigError(f"invalid settings: {problems}") from None


def _deep_merge(base: dict[str, Any], top: dict[str, Any]) -> dict[str, Any]:
    out = dict(base)
    for key, value in top.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = _deep_merge(out[key], value)
        else:
            out[key] = value
    return out


def describe(settings: Settings) -> dict[str, Any]:
    """The effective configuration as plain data, secrets masked (for ``ecodata settings``)."""
    data = settings.model_dump(mode="json")
    data["backend"] = settings.backend
    data["archive_dir"] = str(settings.archive_path)
    if settings.database_url is not None:
        data["database_url"] = _mask_url(settings.database_url.get_secret_value())
    if settings.security.secret_key.get_secret_value():
        data["security"]["secret_key"] = "********"
    return data


def _mask_url(url: str) -> str:
    head, sep, tail = url.partition("://")
    if "@" in tail:
        creds, _, host = tail.rpartition("@")
        user = creds.split(":", 1)[0]
        shown = f"{user}:********" if ":" in creds else creds
        return f"{head}{sep}{shown}@{host}"
    return url


def settings_reference() -> list[tuple[str, str, str]]:
    """(environment variable, default, description) for every setting, for docs and ``--help``."""
    rows: list[tuple[str, str, str]] = []

    def walk(model: type[BaseModel], prefix: str) -> None:
        for name, info in model.model_fields.items():
            annotation = info.annotation
            if isinstance(annotation, type) and issubclass(annotation, BaseModel):
                walk(annotation, f"{prefix}{name.upper()}__")
                continue
            default = info.default
            if isinstance(default, SecretStr):
                default = default.get_secret_value()
            shown = "" if default is None else str(default)
            rows.append((f"{prefix}{name.upper()}", shown, info.description or ""))

    walk(Settings, "ECODATA_")
    return rows

"""The root command group, its global options and the shared context."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import click
import sqlalchemy as sa

from ecodata.settings import Settings, load_settings
from ecodata.store import migrations
from ecodata.store.registry import create_engine
from ecodata.store.stores import Stores, open_stores


@dataclass
class Context:
    """What every command gets: the settings (built on first use) and the stores."""

    config: Path | None = None
    overrides: dict[str, Any] = field(default_factory=dict)
    _settings: Settings | None = None
    _stores: Stores | None = None
    _engine: sa.Engine | None = None

    @property
    def settings(self) -> Settings:
        if self._settings is None:
            self._settings = load_settings(self.config, **self.overrides)
        return self._settings

    def stores(self, *, upgrade: bool = True) -> Stores:
        if self._stores is None:
            self._stores = open_stores(self.settings, upgrade=upgrade)
        return self._stores

    def registry_engine(self) -> sa.Engine:
        """The registry alone (no observation store): usable while `ecodata serve` runs."""
        if self._engine is None:
            url = self.settings.database_url
            self._engine = create_engine(url.get_secret_value() if url else None,
                                         self.settings.data_dir)  # fmt: skip
            migrations.upgrade(self._engine)
        return self._engine

    def close(self) -> None:
        if self._engine is not None:
            self._engine.dispose()
            self._engine = None
        if self._stores is not None:
            self._stores.close()
            self._stores = None


pass_context = click.make_pass_decorator(Context)


def emit_json(data: Any) -> None:
    click.echo(json.dumps(data, ensure_ascii=False, default=str, indent=2))


@click.group(context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.option(
    "--config",
    type=click.Path(dir_okay=False, path_type=Path),
    help="TOML settings file (also ECODATA_CONFIG).",
)
@click.option(
    "--data-dir",
    type=click.Path(file_okay=False, path_type=Path),
    help="Embedded data directory (also ECODATA_DATA_DIR; default ./data).",
)
@click.option(
    "--database-url",
    help="PostgreSQL URL for registry and observations (also ECODATA_DATABASE_URL).",
)
@click.version_option(package_name="ecodata")
@click.pass_context
def cli(
    ctx: click.Context, config: Path | None, data_dir: Path | None, database_url: str | None
) -> None:
    """ecodata — ecological-environment big-data platform.

    Collect monitoring data (files, HJ 212, SensorThings), keep one authoritative copy, evaluate it
    against the national standards, and share and open it through standard interfaces.

    Start with `ecodata init`, load data with `ecodata import KIND FILE…`, then `ecodata serve`.
    Settings come from ECODATA_* environment variables or --config; `ecodata settings` shows them.
    """
    context = Context(config, {"data_dir": data_dir, "database_url": database_url})
    ctx.obj = context
    ctx.call_on_close(context.close)

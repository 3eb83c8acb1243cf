"""The public surface is documented: every setting, every command, every HTTP path."""

from __future__ import annotations

from pathlib import Path

import click

from ecodata.cli import _load_commands, cli
from ecodata.settings import load_settings, settings_reference

DOCS = Path(__file__).resolve().parents[1] / "docs"


def _commands(group: click.Group, prefix: str = "ecodata") -> list[str]:
    out = []
    for name, command in group.commands.items():
        path = f"{prefix} {name}"
        if isinstance(command, click.Group):
            out.extend(_commands(command, path))
        else:
            out.append(path)
    return out


def test_every_setting_is_documented() -> None:
    text = (DOCS / "settings.md").read_text(encoding="utf-8")
    missing = [var for var, _, _ in settings_reference() if f"`{var}`" not in text]
    assert missing == []


def test_every_command_is_documented() -> None:
    _load_commands()
    text = (DOCS / "cli.md").read_text(encoding="utf-8")
    missing = [c for c in _commands(cli) if f"`{c}" not in text]
    assert missing == []


def test_every_endpoint_is_documented(tmp_path: Path) -> None:
    from ecodata.api.app import create_app

    app = create_app(load_settings(data_dir=tmp_path, demo=True))
    paths = app.openapi()["paths"]
    text = "\n".join(p.read_text(encoding="utf-8") for p in (DOCS / "api").glob("*.md"))
    missing = [p for p in paths if p not in text]
    assert missing == []

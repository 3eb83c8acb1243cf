"""The ``ecodata`` command. Each capability adds its command group from a module of this package."""

from __future__ import annotations

import sys
from typing import Any

import click

from ecodata.cli.app import Context, cli
from ecodata.errors import EcodataError

__all__ = ["Context", "cli", "main"]


def _load_commands() -> None:
    from ecodata.cli import analysis as _analysis  # noqa: F401
    from ecodata.cli import catalog, data, hj212, security, server, standards  # noqa: F401  (registers the commands)


def main(argv: list[str] | None = None) -> Any:
    _load_commands()
    try:
        return cli.main(args=argv, prog_name="ecodata", standalone_mode=False)
    except click.exceptions.Abort:
        click.echo("aborted", err=True)
        sys.exit(130)
    except click.ClickException as exc:
        exc.show()
        sys.exit(exc.exit_code)
    except EcodataError as exc:
        click.secho(f"error: {exc}", fg="red", err=True)
        sys.exit(1)

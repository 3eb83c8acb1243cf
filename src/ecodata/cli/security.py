"""Commands that manage accounts, departments, API keys, sharing requests and read the audit log:
``ecodata user|dept|key|share|audit …``. They act as the local operator (full rights), and every
change is written to the audit log under ``cli:<OS user>``."""

from __future__ import annotations

import sys
from datetime import datetime
from typing import Any

import click
from rich.console import Console
from rich.table import Table

from ecodata.cli.app import Context, cli, emit_json, pass_context
from ecodata.errors import InputError
from ecodata.security import accounts, audit, sharing
from ecodata.security.principal import operator
from ecodata.security.roles import Role

_ROLES = click.Choice([r.value for r in Role])


def _table(rows: list[dict[str, Any]], columns: list[str]) -> None:
    table = Table(*columns)
    for row in rows:
        table.add_row(*("" if row.get(c) is None else str(row.get(c)) for c in columns))
    Console().print(table)


def _password(confirm: bool = True) -> str:
    """The password from standard input: one line when piped, a hidden prompt on a terminal."""
    if not sys.stdin.isatty():
        line = sys.stdin.readline().rstrip("\r\n")
        if not line:
            raise InputError("no password on standard input")
        return line
    text: str = click.prompt("password", hide_input=True, confirmation_prompt=confirm)
    return text


# -- users ------------------------------------------------------------------------------------


@cli.group()
def user() -> None:
    """User accounts (password from standard input)."""


@user.command("add")
@click.argument("name")
@click.option("--role", type=_ROLES, required=True, help="admin, steward, analyst, …")
@click.option("--dept", help="Department code (needed by consumer and enforcement).")
@click.option("--json", "as_json", is_flag=True, help="Print the account as JSON.")
@pass_context
def user_add(context: Context, name: str, role: str, dept: str | None, as_json: bool) -> None:
    """Create the account NAME; reads its password from standard input."""
    engine = context.stores().registry.engine
    row = accounts.add_user(engine, operator(), name, Role(role), _password(), department_code=dept)
    if as_json:
        emit_json(row)
        return
    click.echo(f"added {row['name']} ({row['role']}{', ' + dept if dept else ''})")


@user.command("list")
@click.option("--json", "as_json", is_flag=True, help="Print as JSON.")
@pass_context
def user_list(context: Context, as_json: bool) -> None:
    """List the accounts."""
    rows = accounts.users(context.stores().registry.engine)
    if as_json:
        emit_json(rows)
        return
    _table(rows, ["name", "role", "department_code", "active", "created_at"])


@user.command("passwd")
@click.argument("name")
@pass_context
def user_passwd(context: Context, name: str) -> None:
    """Set a new password for NAME (from standard input)."""
    accounts.update_user(context.stores().registry.engine, operator(), name, password=_password())
    click.echo(f"password of {name} changed")


@user.command("set")
@click.argument("name")
@click.option("--role", type=_ROLES, help="New role.")
@click.option("--dept", help="New department code.")
@click.option("--enable/--disable", default=None, help="Allow or stop sign-in.")
@pass_context
def user_set(
    context: Context, name: str, role: str | None, dept: str | None, enable: bool | None
) -> None:
    """Change the role, department or active flag of NAME."""
    row = accounts.update_user(
        context.stores().registry.engine,
        operator(),
        name,
        role=Role(role) if role else None,
        department_code=dept,
        active=enable,
    )
    click.echo(
        f"{row['name']}: {row['role']}, {row['department_code'] or 'no department'}, "
        f"{'active' if row['active'] else 'disabled'}"
    )


# -- departments ------------------------------------------------------------------------------


@cli.group()
def dept() -> None:
    """Departments (CKAN organizations); they own datasets and group accounts."""


@dept.command("add")
@click.argument("code")
@click.option("--name", "name_zh", required=True, help="Name (Chinese).")
@click.option("--name-en", default="", help="Name (English).")
@click.option("--parent", help="Code of the parent department.")
@click.option("--description", default="", help="What the department does.")
@pass_context
def dept_add(
    context: Context, code: str, name_zh: str, name_en: str, parent: str | None, description: str
) -> None:
    """Create the department CODE."""
    accounts.add_department(
        context.stores().registry.engine,
        operator(),
        code,
        name_zh,
        name_en=name_en,
        parent=parent,
        description=description,
    )
    click.echo(f"added department {code}")


@dept.command("list")
@click.option("--json", "as_json", is_flag=True, help="Print as JSON.")
@pass_context
def dept_list(context: Context, as_json: bool) -> None:
    """List the departments."""
    rows = accounts.departments(context.stores().registry.engine)
    if as_json:
        emit_json(rows)
        return
    _table(rows, ["code", "name_zh", "name_en", "parent_code"])


@dept.command("remove")
@click.argument("code")
@pass_context
def dept_remove(context: Context, code: str) -> None:
    """Remove the department CODE (only if no account or dataset refers to it)."""
    accounts.remove_department(context.stores().registry.engine, operator(), code)
    click.echo(f"removed department {code}")


# -- API keys ---------------------------------------------------------------------------------


@cli.group()
def key() -> None:
    """API keys (sent as `Authorization: Bearer KEY` or `X-API-Key: KEY`)."""


@key.command("create")
@click.option("--user", "user_name", required=True, help="Account the key acts for.")
@click.option("--label", default="", help="What the key is for.")
@click.option("--days", type=click.IntRange(min=1), help="Expire after this many days.")
@click.option("--json", "as_json", is_flag=True, help="Print key and metadata as JSON.")
@pass_context
def key_create(
    context: Context, user_name: str, label: str, days: int | None, as_json: bool
) -> None:
    """Create an API key and print it (it is shown only this once)."""
    new, row = accounts.create_key(
        context.stores().registry.engine, operator(), user_name, label=label, days=days
    )
    if as_json:
        emit_json({"key": new, **row})
        return
    click.echo(new)


@key.command("list")
@click.option("--user", "user_name", help="Only the keys of this account.")
@click.option("--json", "as_json", is_flag=True, help="Print as JSON.")
@pass_context
def key_list(context: Context, user_name: str | None, as_json: bool) -> None:
    """List API keys (ids and owners; the keys themselves are not stored)."""
    rows = accounts.list_keys(context.stores().registry.engine, user_name)
    if as_json:
        emit_json(rows)
        return
    _table(rows, ["key_id", "user", "label", "created_at", "expires_at", "revoked_at"])


@key.command("revoke")
@click.argument("key_id")
@pass_context
def key_revoke(context: Context, key_id: str) -> None:
    """Revoke the key with id KEY_ID (the 12 hex digits after `eco_`)."""
    accounts.revoke_key(context.stores().registry.engine, operator(), key_id)
    click.echo(f"revoked {key_id}")


# -- sharing requests -------------------------------------------------------------------------


@cli.group()
def share() -> None:
    """Requests for conditionally shared data (有条件共享): list, approve, deny, revoke."""


@share.command("list")
@click.option("--status", type=click.Choice(["pending", "approved", "denied", "revoked"]))
@click.option("--json", "as_json", is_flag=True, help="Print as JSON.")
@pass_context
def share_list(context: Context, status: str | None, as_json: bool) -> None:
    """List sharing requests, newest first."""
    rows = sharing.requests(context.stores().registry.engine, operator(), status=status)
    if as_json:
        emit_json(rows)
        return
    _table(rows, ["id", "dataset", "department_code", "requested_by", "status", "expires_at"])


@share.command("approve")
@click.argument("request_id", type=int)
@click.option("--days", type=click.IntRange(1, sharing.MAX_DAYS), default=90, show_default=True)
@click.option("--note", default="", help="Reason or conditions.")
@pass_context
def share_approve(context: Context, request_id: int, days: int, note: str) -> None:
    """Approve a pending request for DAYS days."""
    row = sharing.decide(
        context.stores().registry.engine, operator(), request_id, approve=True, days=days, note=note
    )
    click.echo(f"request {request_id} approved until {row['expires_at']:%Y-%m-%d %H:%M} UTC")


@share.command("deny")
@click.argument("request_id", type=int)
@click.option("--note", default="", help="Reason.")
@pass_context
def share_deny(context: Context, request_id: int, note: str) -> None:
    """Deny a pending request."""
    sharing.decide(
        context.stores().registry.engine, operator(), request_id, approve=False, note=note
    )
    click.echo(f"request {request_id} denied")


@share.command("revoke")
@click.argument("request_id", type=int)
@pass_context
def share_revoke(context: Context, request_id: int) -> None:
    """End an approved request now."""
    sharing.revoke(context.stores().registry.engine, operator(), request_id)
    click.echo(f"request {request_id} revoked")


# -- audit ------------------------------------------------------------------------------------


@cli.group("audit")
def audit_group() -> None:
    """The append-only audit log."""


@audit_group.command("list")
@click.option("--actor", help="Only entries of this account (cli:NAME for commands).")
@click.option("--action", help="Action or prefix: user, key, data.read, sharing, …")
@click.option("--outcome", type=click.Choice(["ok", "denied", "failed"]))
@click.option("--since", type=click.DateTime(), help="From this local time.")
@click.option("--limit", type=click.IntRange(1, 100_000), default=100, show_default=True)
@click.option("--json", "as_json", is_flag=True, help="Print as JSON.")
@pass_context
def audit_list(
    context: Context,
    actor: str | None,
    action: str | None,
    outcome: str | None,
    since: datetime | None,
    limit: int,
    as_json: bool,
) -> None:
    """Show audit entries, newest first."""
    tz = context.settings.tz
    rows = audit.entries(
        context.stores().registry.engine,
        actor=actor,
        action=action,
        outcome=outcome,
        since=since.replace(tzinfo=tz) if since else None,
        limit=limit,
    )
    if as_json:
        emit_json(rows)
        return
    for row in rows:
        row["time"] = row["time"].astimezone(tz).strftime("%Y-%m-%d %H:%M:%S")
    _table(rows, ["id", "time", "actor", "role", "action", "target", "outcome", "client"])

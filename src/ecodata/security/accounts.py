"""Departments, user accounts and API keys in the registry database; every change is audited.

Each change takes the acting :class:`Principal` (``principal.operator()`` for the command line),
checks its role and writes the change and its audit entry in one transaction.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Any

import sqlalchemy as sa

from ecodata.errors import AuthError, ConflictError, InputError, NotFoundError
from ecodata.security import audit, keys
from ecodata.security.guard import require
from ecodata.security.passwords import hash_password, verify_password
from ecodata.security.principal import Principal
from ecodata.security.roles import ADMINS, Role
from ecodata.store import schema

_USER_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.@-]{0,99}$")
_DEPT_CODE = re.compile(r"^[a-z0-9][a-z0-9-]{0,63}$")
_USER_FIELDS = ("id", "name", "role", "department_code", "active", "created_at", "updated_at")


# -- departments ------------------------------------------------------------------------------


def departments(engine: sa.Engine) -> list[dict[str, Any]]:
    t = schema.departments
    with engine.connect() as conn:
        return [dict(r._mapping) for r in conn.execute(sa.select(t).order_by(t.c.code))]


def department(engine: sa.Engine, code: str) -> dict[str, Any]:
    t = schema.departments
    with engine.connect() as conn:
        row = conn.execute(sa.select(t).where(t.c.code == code)).first()
    if row is None:
        raise NotFoundError(f"no department {code!r}; `ecodata dept list` shows them")
    return dict(row._mapping)


def add_department(
    engine: sa.Engine,
    principal: Principal,
    code: str,
    name_zh: str,
    *,
    name_en: str = "",
    parent: str | None = None,
    description: str = "",
) -> dict[str, Any]:
    require(engine, principal, ADMINS, "department.add", code)
    if not _DEPT_CODE.match(code):
        raise InputError(f"department code {code!r}: use lower-case letters, digits and '-'")
    if not name_zh.strip():
        raise InputError(f"department {code}: a name is required")
    if parent is not None:
        department(engine, parent)
    t = schema.departments
    with engine.begin() as conn:
        if conn.execute(sa.select(t.c.id).where(t.c.code == code)).first():
            raise ConflictError(f"department {code!r} exists already")
        conn.execute(
            t.insert().values(
                code=code,
                name_zh=name_zh,
                name_en=name_en,
                parent_code=parent,
                description=description,
                created_at=datetime.now(UTC),
            )
        )
        audit.record(conn, principal, "department.add", code, detail={"name_zh": name_zh})
    return department(engine, code)


def remove_department(engine: sa.Engine, principal: Principal, code: str) -> None:
    require(engine, principal, ADMINS, "department.remove", code)
    department(engine, code)
    with engine.begin() as conn:
        for table, what in ((schema.users, "accounts"), (schema.datasets, "datasets")):
            used = conn.execute(
                sa.select(sa.func.count()).where(table.c.department_code == code)
            ).scalar_one()
            if used:
                raise ConflictError(f"department {code} still has {used} {what}")
        conn.execute(schema.departments.delete().where(schema.departments.c.code == code))
        audit.record(conn, principal, "department.remove", code)


# -- users ------------------------------------------------------------------------------------


def users(engine: sa.Engine) -> list[dict[str, Any]]:
    t = schema.users
    query = sa.select(*(t.c[f] for f in _USER_FIELDS)).order_by(t.c.name)
    with engine.connect() as conn:
        return [dict(r._mapping) for r in conn.execute(query)]


def user(engine: sa.Engine, name: str) -> dict[str, Any]:
    t = schema.users
    with engine.connect() as conn:
        row = conn.execute(sa.select(*(t.c[f] for f in _USER_FIELDS)).where(t.c.name == name))
        found = row.first()
    if found is None:
        raise NotFoundError(f"no user {name!r}; `ecodata user list` shows them")
    return dict(found._mapping)


def add_user(
    engine: sa.Engine,
    principal: Principal,
    name: str,
    role: Role,
    password: str,
    *,
    department_code: str | None = None,
) -> dict[str, Any]:
    require(engine, principal, ADMINS, "user.add", name)
    if not _USER_NAME.match(name):
        raise InputError(f"user name {name!r}: letters, digits and _ . @ - only")
    if department_code is not None:
        department(engine, department_code)
    elif role in (Role.CONSUMER, Role.ENFORCEMENT):
        raise InputError(f"user {name}: the role {role.value} needs a department (--dept CODE)")
    if role is Role.PUBLIC and department_code is not None:
        raise InputError(f"user {name}: public accounts belong to no department")
    digest = hash_password(password)
    t = schema.users
    now = datetime.now(UTC)
    with engine.begin() as conn:
        if conn.execute(sa.select(t.c.id).where(t.c.name == name)).first():
            raise ConflictError(f"user {name!r} exists already")
        conn.execute(
            t.insert().values(
                name=name,
                role=role.value,
                department_code=department_code,
                password_hash=digest,
                active=True,
                created_at=now,
                updated_at=now,
            )
        )
        audit.record(
            conn,
            principal,
            "user.add",
            name,
            detail={"role": role.value, "department": department_code},
        )
    return user(engine, name)


def update_user(
    engine: sa.Engine,
    principal: Principal,
    name: str,
    *,
    role: Role | None = None,
    department_code: str | None = None,
    active: bool | None = None,
    password: str | None = None,
) -> dict[str, Any]:
    """Change role, department, active flag or password of an account."""
    require(engine, principal, ADMINS, "user.update", name)
    user(engine, name)
    values: dict[str, Any] = {"updated_at": datetime.now(UTC)}
    detail: dict[str, Any] = {}
    if role is not None:
        values["role"] = detail["role"] = role.value
    if department_code is not None:
        department(engine, department_code)
        values["department_code"] = detail["department"] = department_code
    if active is not None:
        values["active"] = detail["active"] = active
    if password is not None:
        values["password_hash"] = hash_password(password)
        detail["password"] = "changed"
    t = schema.users
    with engine.begin() as conn:
        conn.execute(t.update().where(t.c.name == name).values(**values))
        audit.record(conn, principal, "user.update", name, detail=detail)
    return user(engine, name)


# -- API keys ---------------------------------------------------------------------------------


def create_key(
    engine: sa.Engine,
    principal: Principal,
    user_name: str,
    *,
    label: str = "",
    days: int | None = None,
) -> tuple[str, dict[str, Any]]:
    """A new API key for ``user_name``: (the key, shown once; its stored row without digest).

    Admins create keys for anyone; a signed-in user for itself."""
    if principal.name != user_name or principal.role is None:
        require(engine, principal, ADMINS, "key.create", user_name)
    owner = user(engine, user_name)
    if days is not None and days < 1:
        raise InputError("a key must be valid for at least one day")
    made = keys.new_key()
    now = datetime.now(UTC)
    row = {
        "key_id": made.key_id,
        "digest": made.digest,
        "user_id": owner["id"],
        "label": label,
        "created_at": now,
        "expires_at": now + timedelta(days=days) if days else None,
    }
    with engine.begin() as conn:
        conn.execute(schema.api_keys.insert().values(**row))
        audit.record(conn, principal, "key.create", made.key_id, detail={"user": user_name})
    row.pop("digest")
    return made.key, {**row, "user": user_name, "revoked_at": None}


def list_keys(engine: sa.Engine, user_name: str | None = None) -> list[dict[str, Any]]:
    k, u = schema.api_keys, schema.users
    query = (
        sa.select(
            k.c.key_id,
            u.c.name.label("user"),
            k.c.label,
            k.c.created_at,
            k.c.expires_at,
            k.c.revoked_at,
        )
        .join(u, u.c.id == k.c.user_id)
        .order_by(k.c.id)
    )
    if user_name:
        query = query.where(u.c.name == user_name)
    with engine.connect() as conn:
        return [dict(r._mapping) for r in conn.execute(query)]


def revoke_key(engine: sa.Engine, principal: Principal, key_id: str) -> None:
    k = schema.api_keys
    with engine.connect() as conn:
        row = conn.execute(
            sa.select(k.c.id, schema.users.c.name)
            .join(schema.users, schema.users.c.id == k.c.user_id)
            .where(k.c.key_id == key_id)
        ).first()
    if row is None:
        raise NotFoundError(f"no API key {key_id!r}; `ecodata key list` shows them")
    if principal.name != row[1]:
        require(engine, principal, ADMINS, "key.revoke", key_id)
    with engine.begin() as conn:
        conn.execute(k.update().where(k.c.key_id == key_id).values(revoked_at=datetime.now(UTC)))
        audit.record(conn, principal, "key.revoke", key_id, detail={"user": row[1]})


# -- authentication ---------------------------------------------------------------------------


def _principal(row: Any, via: str) -> Principal:
    if not row.active:
        raise AuthError(f"the account {row.name} is disabled")
    return Principal(row.name, Role(row.role), row.department_code, row.id, via)


def principal_for_user(engine: sa.Engine, name: str, via: str) -> Principal:
    """The principal of an account named in a verified token."""
    t = schema.users
    with engine.connect() as conn:
        row = conn.execute(sa.select(t).where(t.c.name == name)).first()
    if row is None:
        raise AuthError(f"the account {name} no longer exists")
    return _principal(row, via)


def principal_for_password(engine: sa.Engine, name: str, password: str, via: str) -> Principal:
    t = schema.users
    with engine.connect() as conn:
        row = conn.execute(sa.select(t).where(t.c.name == name)).first()
    if row is None or not verify_password(row.password_hash, password):
        raise AuthError("unknown user or wrong password")
    return _principal(row, via)


def principal_for_key(engine: sa.Engine, key: str) -> Principal:
    key_id = keys.key_id_of(key)
    if key_id is None:
        raise AuthError("malformed API key")
    k, u = schema.api_keys, schema.users
    with engine.connect() as conn:
        found = conn.execute(
            sa.select(k.c.digest, k.c.expires_at, k.c.revoked_at, u)
            .join(u, u.c.id == k.c.user_id)
            .where(k.c.key_id == key_id)
        ).first()
    if found is None or not keys.same_digest(found.digest, key):
        raise AuthError("unknown API key")
    if found.revoked_at is not None:
        raise AuthError(f"the API key {key_id} was revoked")
    if found.expires_at is not None and found.expires_at <= datetime.now(UTC):
        raise AuthError(f"the API key {key_id} has expired")
    return _principal(found, "key")

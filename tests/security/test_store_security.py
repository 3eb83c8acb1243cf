"""Accounts, keys, sharing and the append-only audit log in the registry, on both backends."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa

from ecodata.catalog import datasets as catalog
from ecodata.errors import AuthError, ConflictError, InputError, PermissionDeniedError
from ecodata.security import access, accounts, audit, sharing
from ecodata.security.principal import anonymous, operator
from ecodata.security.roles import Role
from ecodata.store import schema
from ecodata.store.stores import Stores

PASSWORD = "s3cret-enough"


def test_audit_log_refuses_update_and_delete(stores: Stores) -> None:
    engine = stores.registry.engine
    audit.record(engine, operator(), "test.entry", "x", detail={"n": 1})
    for statement in (
        sa.update(schema.audit_log).values(actor="mallory"),
        sa.delete(schema.audit_log),
    ):
        with pytest.raises(sa.exc.DBAPIError, match="append-only"), engine.begin() as conn:
            conn.execute(statement)
    if stores.registry.dialect == "postgresql":
        with pytest.raises(sa.exc.DBAPIError, match="append-only"), engine.begin() as conn:
            conn.execute(sa.text("TRUNCATE audit_log"))
    entries = audit.entries(engine, action="test")
    assert [(e["actor"], e["detail"]) for e in entries] == [(operator().name, {"n": 1})]


def test_accounts_keys_and_their_audit(stores: Stores) -> None:
    engine = stores.registry.engine
    admin = operator()
    accounts.add_department(engine, admin, "river-basin", "流域管理局", name_en="River basin")
    with pytest.raises(ConflictError):
        accounts.add_department(engine, admin, "river-basin", "again")
    with pytest.raises(InputError, match="lower-case"):
        accounts.add_department(engine, admin, "River Basin", "x")
    user = accounts.add_user(
        engine, admin, "li.wei", Role.CONSUMER, PASSWORD, department_code="river-basin"
    )
    assert (user["role"], user["department_code"], user["active"]) == (
        "consumer",
        "river-basin",
        True,
    )
    with pytest.raises(InputError, match="needs a department"):
        accounts.add_user(engine, admin, "no.dept", Role.ENFORCEMENT, PASSWORD)
    with pytest.raises(InputError, match="too short"):
        accounts.add_user(engine, admin, "short", Role.ANALYST, "abc")
    principal = accounts.principal_for_password(engine, "li.wei", PASSWORD, "basic")
    assert (principal.role, principal.department) == (Role.CONSUMER, "river-basin")
    with pytest.raises(AuthError):
        accounts.principal_for_password(engine, "li.wei", "wrong password", "basic")
    key, row = accounts.create_key(engine, admin, "li.wei", label="harvester", days=1)
    assert key.startswith("eco_") and "digest" not in row
    with engine.connect() as conn:
        digests = [r[0] for r in conn.execute(sa.select(schema.api_keys.c.digest))]
    assert key not in digests and len(digests[0]) == 64  # only a digest is kept
    assert accounts.principal_for_key(engine, key).name == "li.wei"
    with pytest.raises(PermissionDeniedError):  # a consumer cannot add accounts …
        accounts.add_user(engine, principal, "eve", Role.ADMIN, PASSWORD)
    with pytest.raises(AuthError):  # … nor an anonymous caller
        accounts.add_department(engine, anonymous(), "x", "x")
    own_key, _ = accounts.create_key(engine, principal, "li.wei")  # a user may make its own
    with pytest.raises(PermissionDeniedError):
        accounts.create_key(engine, principal, "admin-not-me")
    accounts.update_user(engine, admin, "li.wei", active=False)
    with pytest.raises(AuthError, match="disabled"):
        accounts.principal_for_key(engine, own_key)
    with pytest.raises(ConflictError, match="1 accounts"):
        accounts.remove_department(engine, admin, "river-basin")
    actions = [(e["action"], e["outcome"]) for e in audit.entries(engine)]
    assert actions[:4] == [
        ("user.update", "ok"),
        ("key.create", "denied"),
        ("key.create", "ok"),
        ("department.add", "denied"),
    ]
    assert ("user.add", "denied") in actions and ("department.add", "ok") in actions


def test_sharing_grants_expire(stores: Stores) -> None:
    engine = stores.registry.engine
    admin = operator()
    accounts.add_user(engine, admin, "wang", Role.ANALYST, PASSWORD, department_code="meteorology")
    wang = accounts.principal_for_password(engine, "wang", PASSWORD, "token")
    filed = sharing.apply(engine, wang, "source-air", "空气质量与污染源排放关联分析")
    with pytest.raises(ConflictError, match="pending"):
        sharing.apply(engine, wang, "source-air", "again, please")
    with pytest.raises(ConflictError, match="no request"):
        sharing.apply(engine, wang, "air-quality-hourly", "public data")
    restriction = access.restriction_for(engine, wang)
    source_air = next(f for f in access.dataset_facts(engine.connect()) if f.name == "source-air")
    assert not restriction.allows(source_air.id)
    with pytest.raises(InputError, match="days"):
        sharing.decide(engine, admin, filed["id"], approve=True, days=400)
    approved = sharing.decide(engine, admin, filed["id"], approve=True, days=30)
    assert approved["expires_at"] - approved["decided_at"] == timedelta(days=30)
    assert access.restriction_for(engine, wang).allows(source_air.id)
    with engine.connect() as conn:
        assert sharing.granted(conn, "meteorology") == {source_air.id}
        later = datetime.now(UTC) + timedelta(days=31)
        assert sharing.granted(conn, "meteorology", now=later) == set()
    with pytest.raises(ConflictError, match="approved, not pending"):
        sharing.decide(engine, admin, filed["id"], approve=False)


def test_restriction_applies_in_the_series_query(stores: Stores) -> None:
    """Series of a restricted dataset are not returned by the registry query for others."""
    engine = stores.registry.engine
    stores.registry.upsert_sites([{"code": "W001", "kind": "water", "name_zh": "断面"}])
    params = stores.registry.parameter_ids()
    ids = stores.registry.series_ids(
        [(stores.registry.site_ids(["W001"])["W001"], params["water_class"], 2)]
    )
    series_id = next(iter(ids.values()))
    assert catalog.dataset_of_series(engine, series_id)["name"] == "water-quality-class"
    catalog.update(
        engine,
        operator(),
        "water-quality-class",
        {"classification": "restricted", "sharing_type": "none"},
    )
    accounts.add_user(
        engine, operator(), "zhao", Role.ANALYST, PASSWORD, department_code="enforcement"
    )
    zhao = accounts.principal_for_password(engine, "zhao", PASSWORD, "token")
    assert access.readable_series(engine, zhao) == []
    assert access.readable_series(engine, anonymous()) == []
    assert access.readable_series(engine, operator()) == [series_id]
    owner = accounts.add_user(
        engine, operator(), "qian", Role.ANALYST, PASSWORD, department_code="monitoring"
    )
    assert access.readable_series(
        engine, accounts.principal_for_user(engine, owner["name"], "token")
    ) == [series_id]

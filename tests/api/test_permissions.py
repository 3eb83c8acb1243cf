"""Every rule of the access matrix over HTTP: a refusal (401 anonymous, 403 signed in) and an
access, on real data and both backends; conditional sharing; audit; tokens; rate limit."""

from __future__ import annotations

import base64
from datetime import UTC, datetime, timedelta

import httpx
import pytest
import requests

from ecodata.catalog import datasets as catalog
from ecodata.security import accounts, audit, tokens
from ecodata.security.principal import operator
from tests.api.conftest import LiveServer
from tests.api.opendata_server import PASSWORD, OpenServer, audit_after, audit_mark, open_server

__all__ = ["open_server"]

#: (dataset, caller, expected status of a download) — one row per rule of docs/security.md.
MATRIX = [
    # public: anyone
    ("air-quality-hourly", None, 200),
    ("air-quality-hourly", "citizen", 200),
    ("air-quality-published", "consumer", 200),
    # shared, unconditional: signed in with a department
    ("beijing-multisite", None, 401),
    ("beijing-multisite", "citizen", 403),
    ("beijing-multisite", "loner", 403),
    ("beijing-multisite", "consumer", 200),
    ("beijing-multisite", "analyst", 200),
    ("beijing-multisite", "enforcer", 200),
    ("beijing-multisite", "steward", 200),
    ("beijing-multisite", "admin", 200),
    # shared, conditional: a grant, the owner, enforcement, stewards
    ("water-quality-auto", None, 401),
    ("water-quality-auto", "citizen", 403),
    ("water-quality-auto", "consumer", 403),
    ("water-quality-auto", "loner", 403),
    ("water-quality-auto", "analyst", 200),
    ("water-quality-auto", "enforcer", 200),
    ("water-quality-auto", "steward", 200),
    ("water-quality-auto", "admin", 200),
    # restricted: the owner and stewards
    ("water-quality-class", None, 401),
    ("water-quality-class", "citizen", 403),
    ("water-quality-class", "consumer", 403),
    ("water-quality-class", "enforcer", 403),
    ("water-quality-class", "analyst", 200),
    ("water-quality-class", "steward", 200),
    ("water-quality-class", "admin", 200),
]


def _download(http: httpx.Client, srv: OpenServer, name: str, who: str | None) -> httpx.Response:
    return http.get(
        f"/api/v1/datasets/{name}/download",
        params={"format": "csv", "start": "2019-01-01", "end": "2019-01-01T03:00"},
        headers=srv.headers(who),
    )


def test_access_matrix_downloads(open_server: OpenServer) -> None:
    srv = open_server
    wrong = []
    with httpx.Client(base_url=srv.url, timeout=60) as http:
        for name, who, expected in MATRIX:
            got = _download(http, srv, name, who)
            if got.status_code != expected:
                wrong.append((name, who, expected, got.status_code, got.text[:200]))
            elif expected == 401:
                assert got.headers["www-authenticate"].startswith("Bearer")
                assert "sign in" in got.json()["error"]["message"]
            elif expected == 200:
                assert got.text.startswith("site,parameter,period,time,value")
    assert wrong == []


def test_refusals_and_reads_of_non_public_data_are_audited(open_server: OpenServer) -> None:
    srv = open_server
    start = audit_mark(srv.stores)
    with httpx.Client(base_url=srv.url, timeout=60) as http:
        assert _download(http, srv, "water-quality-class", "consumer").status_code == 403
        assert _download(http, srv, "water-quality-class", "analyst").status_code == 200
        assert _download(http, srv, "air-quality-hourly", "analyst").status_code == 200
    reads = audit_after(srv.stores, start, action="data.download")
    assert [(r["actor"], r["target"]) for r in reads] == [("analyst", "water-quality-class")]
    assert reads[0]["department_code"] == "monitoring" and reads[0]["client"] == "127.0.0.1"
    denied = audit_after(srv.stores, start, action="data.read", outcome="denied")
    assert [(r["actor"], r["target"]) for r in denied] == [("consumer", "water-quality-class")]


def test_store_queries_return_only_readable_series(open_server: OpenServer) -> None:
    """The native observations read is limited in the query: the published water class (a
    restricted dataset) appears for its owner only; public air data for everyone."""
    srv = open_server
    start = audit_mark(srv.stores)
    query = {"parameter": "water_class", "limit": 5000}
    with httpx.Client(base_url=srv.url, timeout=60) as http:
        owner = http.get("/api/v1/observations", params=query, headers=srv.headers("analyst"))
        other = http.get("/api/v1/observations", params=query, headers=srv.headers("consumer"))
        anyone = http.get("/api/v1/observations", params=query)
        air = http.get(
            "/api/v1/observations",
            params={"site": "1018A", "parameter": "pm2_5", "period": "hour", "limit": 30},
        )
    assert owner.json()["count"] > 100
    assert other.json()["count"] == 0 and anyone.json()["count"] == 0
    assert air.json()["count"] == 24  # a Tianjin station: public national data
    reads = audit_after(srv.stores, start, action="data.read", outcome="ok")
    assert {(r["actor"], r["target"]) for r in reads} == {("analyst", "water-quality-class")}


def test_sensor_aggregates_refuse_and_allow(open_server: OpenServer) -> None:
    srv = open_server
    sensor = srv.stores.registry.find_series(parameters=["water_class"])[0]["id"]
    with httpx.Client(base_url=srv.url, timeout=60) as http:
        for who, expected in ((None, 401), ("citizen", 403), ("enforcer", 403), ("analyst", 200)):
            got = http.get(f"/api/v1/sensors/{sensor}/days", headers=srv.headers(who))
            assert got.status_code == expected, (who, got.text)
        assert http.get("/api/v1/sensors/999999/days").status_code == 404


def test_conditional_sharing_apply_approve_expire(open_server: OpenServer) -> None:
    srv = open_server
    start = audit_mark(srv.stores)
    name = "water-quality-auto"
    with httpx.Client(base_url=srv.url, timeout=60) as http:
        consumer, steward = srv.headers("consumer"), srv.headers("steward")
        assert _download(http, srv, name, "consumer").status_code == 403
        body = {"dataset": name, "purpose": "气象与水质联合分析 (joint analysis)"}
        assert http.post("/api/v1/sharing-requests", json=body).status_code == 401
        assert (
            http.post(
                "/api/v1/sharing-requests", json=body, headers=srv.headers("citizen")
            ).status_code
            == 403
        )
        unneeded = {"dataset": "beijing-multisite", "purpose": "no request needed"}
        assert (
            http.post("/api/v1/sharing-requests", json=unneeded, headers=consumer).status_code
            == 409
        )
        filed = http.post("/api/v1/sharing-requests", json=body, headers=consumer)
        assert filed.status_code == 201 and filed.json()["status"] == "pending"
        request_id = filed.json()["id"]
        again = http.post("/api/v1/sharing-requests", json=body, headers=consumer)
        assert again.status_code == 409
        assert _download(http, srv, name, "consumer").status_code == 403  # still pending
        verdict = {"days": 30, "note": "用途合理"}
        url = f"/api/v1/sharing-requests/{request_id}/approve"
        assert http.post(url, json=verdict).status_code == 401
        assert http.post(url, json=verdict, headers=consumer).status_code == 403
        approved = http.post(url, json=verdict, headers=steward).json()
        assert approved["status"] == "approved" and approved["decided_by"] == "steward"
        assert _download(http, srv, name, "consumer").status_code == 200
        mine = http.get("/api/v1/sharing-requests", headers=consumer).json()
        assert [r["id"] for r in mine["results"]] == [request_id]
        assert (
            http.get("/api/v1/sharing-requests", headers=srv.headers("enforcer")).json()["count"]
            == 0
        )
        revoked = http.post(f"/api/v1/sharing-requests/{request_id}/revoke", headers=steward)
        assert revoked.json()["status"] == "revoked"
        assert _download(http, srv, name, "consumer").status_code == 403  # expired now
        second = http.post("/api/v1/sharing-requests", json=body, headers=consumer).json()
        denied = http.post(
            f"/api/v1/sharing-requests/{second['id']}/deny",
            json={"note": "不符合共享条件"},
            headers=steward,
        )
        assert denied.json()["status"] == "denied"
        assert _download(http, srv, name, "consumer").status_code == 403
    actions = [e["action"] for e in audit_after(srv.stores, start, action="sharing")]
    assert actions[:5] == [
        "sharing.deny",
        "sharing.apply",
        "sharing.revoke",
        "sharing.approve",
        "sharing.approve",
    ]


def test_catalog_changes_need_a_steward(open_server: OpenServer) -> None:
    srv = open_server
    change = {"update_cycle": "daily", "tags": ["空气", "air"]}
    with httpx.Client(base_url=srv.url, timeout=60) as http:
        url = "/api/v1/datasets/air-quality-hourly"
        assert http.patch(url, json=change).status_code == 401
        assert http.patch(url, json=change, headers=srv.headers("analyst")).status_code == 403
        done = http.patch(url, json=change, headers=srv.headers("steward"))
        assert done.status_code == 200 and done.json()["update_cycle"] == "daily"
        bad = http.patch(
            url,
            json={"classification": "public", "open_type": "closed"},
            headers=srv.headers("steward"),
        )
        assert bad.status_code == 400 and "cannot be closed" in bad.json()["error"]["message"]
        hidden = http.get("/api/v1/datasets").json()["results"]
        assert "water-quality-class" not in [d["name"] for d in hidden]  # restricted
        shown = http.get("/api/v1/datasets", headers=srv.headers("analyst")).json()["results"]
        assert "water-quality-class" in [d["name"] for d in shown]
    entry = audit.entries(srv.stores.registry.engine, action="catalog.update", limit=1)[0]
    assert entry["actor"] == "steward" and entry["detail"]["after"]["update_cycle"] == "daily"
    catalog.update(
        srv.stores.registry.engine, operator(), "air-quality-hourly", entry["detail"]["before"]
    )  # undo for the other tests of the session


def test_audit_log_is_for_admins(open_server: OpenServer) -> None:
    srv = open_server
    with httpx.Client(base_url=srv.url, timeout=60) as http:
        assert http.get("/api/v1/audit").status_code == 401
        assert http.get("/api/v1/audit", headers=srv.headers("steward")).status_code == 403
        log = http.get(
            "/api/v1/audit", params={"action": "user.add"}, headers=srv.headers("admin")
        ).json()
    assert log["count"] == 7 and {e["target"] for e in log["results"]} >= {"admin", "citizen"}


def test_tokens_keys_and_header_forms(open_server: OpenServer) -> None:
    srv = open_server
    start = audit_mark(srv.stores)
    with httpx.Client(base_url=srv.url, timeout=60) as http:
        bad = http.post("/api/v1/token", data={"username": "analyst", "password": "wrong"})
        assert bad.status_code == 400 and bad.json()["error"] == "invalid_grant"
        good = http.post(
            "/api/v1/token",
            data={"username": "analyst", "password": PASSWORD, "grant_type": "password"},
        ).json()
        assert good["token_type"] == "bearer" and good["expires_in"] == 30 * 60
        bearer = {"Authorization": f"Bearer {good['access_token']}"}
        me = http.get("/api/v1/me", headers=bearer).json()
        assert (me["name"], me["role"], me["department"], me["via"]) == (
            "analyst",
            "analyst",
            "monitoring",
            "token",
        )
        by_key = http.get("/api/v1/me", headers={"X-API-Key": srv.keys["enforcer"]}).json()
        assert (by_key["name"], by_key["via"]) == ("enforcer", "key")
        assert http.get("/api/v1/me").json()["authenticated"] is False
        forged = good["access_token"][:-4] + "AAAA"
        assert (
            http.get("/api/v1/me", headers={"Authorization": f"Bearer {forged}"}).status_code == 401
        )
        junk_key = "eco_0123456789ab_" + "x" * 32
        assert http.get("/api/v1/me", headers={"X-API-Key": junk_key}).status_code == 401
        basic = base64.b64encode(f"analyst:{PASSWORD}".encode()).decode()
        refused = http.get("/api/v1/me", headers={"Authorization": f"Basic {basic}"})
        assert refused.status_code == 401 and "/sta" in refused.json()["error"]["message"]
    failed = audit_after(srv.stores, start, action="auth.login", outcome="failed")
    assert [e["actor"] for e in failed] == ["analyst"]


def test_expired_token_and_revoked_key_are_refused(open_server: OpenServer) -> None:
    srv = open_server
    secret = srv.stores.settings.secret()
    old = tokens.issue("analyst", secret, 30, now=datetime.now(UTC) - timedelta(hours=1))
    with httpx.Client(base_url=srv.url, timeout=60) as http:
        got = http.get("/api/v1/me", headers={"Authorization": f"Bearer {old}"})
        assert got.status_code == 401 and "expired" in got.json()["error"]["message"]
        key, row = accounts.create_key(srv.stores.registry.engine, operator(), "consumer")
        assert http.get("/api/v1/me", headers={"X-API-Key": key}).status_code == 200
        accounts.revoke_key(srv.stores.registry.engine, operator(), row["key_id"])
        got = http.get("/api/v1/me", headers={"X-API-Key": key})
        assert got.status_code == 401 and "revoked" in got.json()["error"]["message"]


@pytest.mark.parametrize("backend_settings", ["embedded"], indirect=True)
def test_anonymous_requests_are_rate_limited(stores: object) -> None:
    from ecodata.store.stores import Stores

    assert isinstance(stores, Stores)
    security = stores.settings.security.model_copy(update={"anonymous_rate": 5})
    stores.settings = stores.settings.model_copy(update={"security": security})
    with LiveServer(stores) as server, server.client() as http:
        seen = [http.get("/api/v1/datasets") for _ in range(6)]
        assert [r.status_code for r in seen] == [200] * 5 + [429]
        assert [r.headers["x-ratelimit-remaining"] for r in seen[:5]] == ["4", "3", "2", "1", "0"]
        assert 1 <= int(seen[-1].headers["retry-after"]) <= 60
        assert seen[-1].headers["x-ratelimit-limit"] == "5"
        assert "limited to 5 a minute" in seen[-1].json()["error"]["message"]
        # signed-in requests are not limited (a bad key is refused, not rate limited)
        assert http.get("/api/v1/me", headers={"X-API-Key": "eco_nokey"}).status_code == 401


# frost-sta-client's furl dependency warns about its own API
@pytest.mark.filterwarnings("ignore:furl.pathstr is deprecated:DeprecationWarning")
def test_basic_auth_on_sensorthings(open_server: OpenServer) -> None:
    """frost-sta-client's AuthHandler (HTTP Basic) works on /sta, with the same restrictions."""
    import frost_sta_client as fsc

    srv = open_server
    with httpx.Client(base_url=srv.url, timeout=60) as http:
        query = {"$top": "1", "$count": "true"}
        anyone = http.get("/sta/v1.1/Datastreams", params=query).json()["@iot.count"]
        owner = http.get("/sta/v1.1/Datastreams", params=query, auth=("analyst", PASSWORD)).json()[
            "@iot.count"
        ]
        wrong = http.get("/sta/v1.1/Datastreams", params=query, auth=("analyst", "nope"))
    assert owner > anyone  # the owner also sees the restricted water class
    assert wrong.status_code == 401
    restricted = srv.stores.registry.find_series(parameters=["water_class"])[0]["id"]
    url = f"{srv.url}/sta/v1.1"
    owner_client = fsc.SensorThingsService(url, auth_handler=fsc.AuthHandler("analyst", PASSWORD))
    assert owner_client.datastreams().find(restricted).id == restricted
    with pytest.raises(requests.HTTPError):
        fsc.SensorThingsService(url).datastreams().find(restricted)

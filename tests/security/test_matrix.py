"""The access matrix as pure decisions: every (classification, sharing) row for every role."""

from __future__ import annotations

import pytest

from ecodata.errors import AuthError
from ecodata.security.credentials import Scheme, from_headers
from ecodata.security.matrix import MATRIX, DatasetAccess, Rule, decide
from ecodata.security.ratelimit import RateLimiter
from ecodata.security.roles import Classification, Role, SharingType

_R = Role


def _dataset(classification: Classification, sharing: SharingType) -> DatasetAccess:
    return DatasetAccess(1, "d", classification, sharing, "owner-dept")


def test_the_table_covers_every_combination() -> None:
    assert set(MATRIX) == {(c, s) for c in Classification for s in SharingType}
    for row in MATRIX.values():
        assert set(row) == {None, *Role}


@pytest.mark.parametrize(
    ("classification", "sharing", "role", "department", "granted", "allowed"),
    [
        ("public", "unconditional", None, None, False, True),
        ("public", "none", _R.PUBLIC, None, False, True),
        ("shared", "unconditional", None, None, False, False),
        ("shared", "unconditional", _R.PUBLIC, None, False, False),
        ("shared", "unconditional", _R.ANALYST, None, False, False),
        ("shared", "unconditional", _R.CONSUMER, "other", False, True),
        ("shared", "conditional", _R.CONSUMER, "other", False, False),
        ("shared", "conditional", _R.CONSUMER, "other", True, True),
        ("shared", "conditional", _R.ANALYST, None, True, False),
        ("shared", "conditional", _R.ENFORCEMENT, "enforcement", False, True),
        ("shared", "conditional", _R.CONSUMER, "owner-dept", False, True),
        ("shared", "none", _R.ENFORCEMENT, "other", False, False),
        ("shared", "none", _R.STEWARD, None, False, True),
        ("restricted", "unconditional", _R.ANALYST, "other", True, False),
        ("restricted", "none", _R.ANALYST, "owner-dept", False, True),
        ("restricted", "none", _R.PUBLIC, "owner-dept", False, False),
        ("restricted", "conditional", _R.ADMIN, None, False, True),
        ("restricted", "none", None, None, False, False),
    ],
)
def test_decisions(
    classification: str,
    sharing: str,
    role: Role | None,
    department: str | None,
    granted: bool,
    allowed: bool,
) -> None:
    dataset = _dataset(Classification(classification), SharingType(sharing))
    decision = decide(role, department, dataset, granted)
    assert decision.allowed is allowed, decision.reason
    if not allowed and role is None:
        assert "sign in" in decision.reason


def test_stewards_read_everything_and_anonymous_only_public() -> None:
    for row in MATRIX.values():
        assert row[Role.ADMIN] is Rule.READ and row[Role.STEWARD] is Rule.READ
    for (classification, _), row in MATRIX.items():
        assert (row[None] is Rule.READ) is (classification is Classification.PUBLIC)


def test_credentials_from_headers() -> None:
    key = "eco_0123456789ab_" + "A" * 32
    assert from_headers({"x-api-key": key}).scheme is Scheme.KEY  # type: ignore[union-attr]
    assert from_headers({"authorization": f"Bearer {key}"}).scheme is Scheme.KEY  # type: ignore[union-attr]
    assert from_headers({"authorization": "Bearer a.b.c"}).scheme is Scheme.TOKEN  # type: ignore[union-attr]
    assert from_headers({}) is None
    basic = from_headers({"authorization": "Basic dXNlcjpwYTpzcw=="}, basic=True)
    assert basic is not None and (basic.user, basic.secret) == ("user", "pa:ss")
    with pytest.raises(AuthError, match="/sta"):
        from_headers({"authorization": "Basic dXNlcjpwYXNz"})
    with pytest.raises(AuthError, match="unsupported"):
        from_headers({"authorization": key})  # bare key: CKAN only
    ckan = from_headers({"authorization": key}, ckan=True)
    assert ckan is not None and ckan.secret == key
    assert from_headers({"x-ckan-api-key": key}, ckan=True) is not None
    assert from_headers({"x-ckan-api-key": key}) is None


def test_rate_limiter_window() -> None:
    now = [0.0]
    limiter = RateLimiter(3, clock=lambda: now[0])
    verdicts = [limiter.hit("10.0.0.1") for _ in range(4)]
    assert [v.allowed for v in verdicts] == [True, True, True, False]
    assert verdicts[-1].headers()["Retry-After"] == "60"
    assert limiter.hit("10.0.0.2").allowed  # per address
    now[0] = 59.5
    assert not limiter.hit("10.0.0.1").allowed and limiter.hit("10.0.0.1").reset == 1
    now[0] = 60.0
    assert limiter.hit("10.0.0.1").remaining == 2

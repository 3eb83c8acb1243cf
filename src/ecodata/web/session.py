"""The signed-in user of the web UI: a login token (the JWT of ``POST /api/v1/token``) kept in an
HttpOnly cookie, and the role checks of the operations pages."""

from __future__ import annotations

from collections.abc import Collection
from typing import Final

from fastapi import Request

from ecodata.errors import AuthError, ConfigError
from ecodata.security import accounts, tokens
from ecodata.security.guard import require
from ecodata.security.principal import Principal, anonymous
from ecodata.security.roles import Role
from ecodata.settings import Settings
from ecodata.store.stores import Stores

COOKIE: Final = "ecodata_session"

#: Who may open the operations pages: import runs and quarantine are the data stewards' work;
#: devices and alerts also concern analysts and enforcement officers.
DATA_OPERATORS: Final = frozenset({Role.ADMIN, Role.STEWARD})
WATCHERS: Final = frozenset({Role.ADMIN, Role.STEWARD, Role.ANALYST, Role.ENFORCEMENT})


def client_of(request: Request) -> str:
    return request.client.host if request.client else ""


def principal_of(request: Request) -> Principal:
    """The account of the session cookie; anonymous without a cookie or with an expired or
    invalid token (the page then offers to sign in)."""
    cached: Principal | None = getattr(request.state, "web_principal", None)
    if cached is not None:
        return cached
    principal = anonymous(client_of(request))
    token = request.cookies.get(COOKIE)
    if token:
        settings: Settings = request.app.state.settings
        stores: Stores = request.app.state.stores
        try:
            claims = tokens.verify(token, settings.secret())
            found = accounts.principal_for_user(stores.registry.engine, claims.subject, "token")
            principal = found.at(client_of(request))
        except (AuthError, ConfigError):
            pass
    request.state.web_principal = principal
    return principal


def require_role(request: Request, roles: Collection[Role], action: str) -> Principal:
    """The principal if it has one of ``roles``; otherwise the refusal is audited and
    :class:`AuthError` (not signed in) or ``PermissionDeniedError`` (signed in) raised."""
    principal = principal_of(request)
    stores: Stores = request.app.state.stores
    require(stores.registry.engine, principal, roles, action, request.url.path)
    return principal

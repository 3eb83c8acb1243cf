"""Role checks for changes: refuse (401 anonymous, 403 signed in) and audit the refusal."""

from __future__ import annotations

from collections.abc import Collection

import sqlalchemy as sa

from ecodata.errors import AuthError, PermissionDeniedError
from ecodata.security import audit
from ecodata.security.principal import Principal
from ecodata.security.roles import Role


def require(
    engine: sa.Engine, principal: Principal, roles: Collection[Role], action: str, target: str = ""
) -> None:
    """Pass if ``principal`` has one of ``roles``; otherwise record the refusal and raise."""
    if principal.role in roles:
        return
    audit.record(engine, principal, action, target, outcome="denied")
    if principal.role is None:
        raise AuthError(f"{action} needs a signed-in account")
    allowed = ", ".join(sorted(r.value for r in roles))
    raise PermissionDeniedError(
        f"{action} needs the role {allowed}; {principal.name} is {principal.role.value}"
    )

"""Who is calling: the principal every request and command acts as."""

from __future__ import annotations

import getpass
from dataclasses import dataclass

from ecodata.security.roles import Role


@dataclass(frozen=True, slots=True)
class Principal:
    """An account (``role`` set) or an anonymous caller (``role`` ``None``).

    ``via`` says how it was established: ``anonymous``, ``token``, ``key``, ``basic``, ``cli``.
    """

    name: str
    role: Role | None
    department: str | None = None
    user_id: int | None = None
    via: str = "anonymous"
    client: str = ""

    @property
    def authenticated(self) -> bool:
        return self.role is not None

    def at(self, client: str) -> Principal:
        return Principal(self.name, self.role, self.department, self.user_id, self.via, client)


def anonymous(client: str = "") -> Principal:
    return Principal("anonymous", None, client=client)


def operator() -> Principal:
    """The local operator running ``ecodata`` commands: full rights, audited by OS user name."""
    try:
        user = getpass.getuser()
    except (KeyError, OSError):
        user = "unknown"
    return Principal(f"cli:{user}", Role.ADMIN, via="cli", client="cli")

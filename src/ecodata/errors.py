"""The exception hierarchy of ecodata.

Every error a user can meet says what is wrong, where, and (where possible) what to do about it.
"""

from __future__ import annotations


class EcodataError(Exception):
    """Base of every error ecodata raises on purpose."""


class ConfigError(EcodataError):
    """Settings are missing or inconsistent."""


class InputError(EcodataError):
    """One input record is unusable; names the record and the reason.

    ``source`` is the file, peer or request the record came from, ``position`` the line, row or
    byte offset, ``raw`` the record as received.
    """

    def __init__(self, reason: str, *, source: str = "", position: str = "", raw: str = "") -> None:
        where = ":".join(p for p in (source, position) if p)
        super().__init__(f"{where}: {reason}" if where else reason)
        self.reason = reason
        self.source = source
        self.position = position
        self.raw = raw


class FormatError(EcodataError):
    """A whole file does not have the layout its importer expects."""


class EvaluationError(EcodataError):
    """A value cannot be evaluated under a national standard (out of scope, missing input)."""


class NotFoundError(EcodataError):
    """A requested entity does not exist."""


class ConflictError(EcodataError):
    """A create or update conflicts with what is stored."""


class AuthError(EcodataError):
    """The caller is not authenticated (HTTP 401)."""


class PermissionDeniedError(EcodataError):
    """The caller is authenticated but not allowed (HTTP 403)."""

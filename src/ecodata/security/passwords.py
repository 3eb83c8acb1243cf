"""Password hashing with Argon2id (RFC 9106).

Parameters: 19 MiB of memory, 2 iterations, 1 lane — the minimum the OWASP Password Storage Cheat
Sheet recommends for Argon2id, about 50 ms a hash on a small server. Each hash records its
parameters, so stronger settings later still verify old hashes.
"""

from __future__ import annotations

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from ecodata.errors import InputError

_HASHER = PasswordHasher(time_cost=2, memory_cost=19_456, parallelism=1)
MIN_LENGTH = 8


def hash_password(password: str) -> str:
    """The Argon2id hash (PHC string) of a password of at least :data:`MIN_LENGTH` characters."""
    if len(password) < MIN_LENGTH:
        raise InputError(f"password too short: at least {MIN_LENGTH} characters")
    return _HASHER.hash(password)


def verify_password(stored: str, password: str) -> bool:
    """Whether ``password`` matches the stored hash (constant-time inside argon2)."""
    try:
        return _HASHER.verify(stored, password)
    except (VerificationError, InvalidHashError):
        return False

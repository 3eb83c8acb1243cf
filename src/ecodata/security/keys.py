"""API keys: ``eco_<key id>_<secret>``. Only the key id and a SHA-256 digest are stored.

Keys carry 192 random bits, so a fast digest is safe to store (no password stretching needed);
the key id finds the row, the digest is compared in constant time.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass

PREFIX = "eco_"
_SHAPE = re.compile(r"^eco_([0-9a-f]{12})_([A-Za-z0-9_-]{32})$")


@dataclass(frozen=True, slots=True)
class NewKey:
    key: str  # shown once
    key_id: str
    digest: str


def new_key() -> NewKey:
    key_id = secrets.token_hex(6)
    key = f"{PREFIX}{key_id}_{secrets.token_urlsafe(24)}"
    return NewKey(key, key_id, digest(key))


def digest(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def key_id_of(key: str) -> str | None:
    """The key id of a well-formed key, else ``None``."""
    found = _SHAPE.match(key)
    return found.group(1) if found else None


def looks_like_key(text: str) -> bool:
    return text.startswith(PREFIX)


def same_digest(stored: str, key: str) -> bool:
    return hmac.compare_digest(stored, digest(key))

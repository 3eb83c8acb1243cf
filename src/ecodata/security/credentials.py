"""Credentials found in request headers (pure; no lookup).

* ``Authorization: Bearer <token or API key>`` and ``X-API-Key: <key>`` everywhere;
* ``Authorization: Basic …`` (user and password) where the interface allows it — the SensorThings
  API, for frost-sta-client's ``AuthHandler``;
* CKAN's bare ``Authorization: <key>`` and ``X-CKAN-API-Key: <key>`` on the CKAN actions.
"""

from __future__ import annotations

import base64
import binascii
import enum
from collections.abc import Mapping
from dataclasses import dataclass

from ecodata.errors import AuthError
from ecodata.security.keys import looks_like_key


class Scheme(enum.StrEnum):
    KEY = "key"
    TOKEN = "token"
    BASIC = "basic"


@dataclass(frozen=True, slots=True)
class Credentials:
    scheme: Scheme
    secret: str
    user: str = ""  # Basic only


def from_headers(
    headers: Mapping[str, str], *, basic: bool = False, ckan: bool = False
) -> Credentials | None:
    """The credentials of a request, ``None`` if it has none; :class:`AuthError` if malformed
    or of a kind this interface does not accept. ``headers`` has lower-case names."""
    api_key = headers.get("x-api-key") or (headers.get("x-ckan-api-key") if ckan else None)
    if api_key:
        return Credentials(Scheme.KEY, api_key.strip())
    auth = headers.get("authorization", "").strip()
    if not auth:
        return None
    scheme, _, value = auth.partition(" ")
    value = value.strip()
    if scheme.lower() == "bearer" and value:
        return Credentials(Scheme.KEY if looks_like_key(value) else Scheme.TOKEN, value)
    if scheme.lower() == "basic" and value:
        if not basic:
            raise AuthError("HTTP Basic is accepted on /sta only; send a Bearer token or API key")
        try:
            user, sep, password = base64.b64decode(value, validate=True).decode().partition(":")
        except (binascii.Error, UnicodeDecodeError):
            raise AuthError("malformed HTTP Basic credentials") from None
        if not sep or not user:
            raise AuthError("malformed HTTP Basic credentials")
        return Credentials(Scheme.BASIC, password, user)
    if ckan and not value and looks_like_key(auth):
        return Credentials(Scheme.KEY, auth)  # CKAN sends the bare key
    raise AuthError("unsupported Authorization header: use 'Bearer <token or API key>'")

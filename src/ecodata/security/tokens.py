"""Short-lived login tokens: JWT (RFC 7519) signed with HS256 and the installation's secret."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import jwt

from ecodata.errors import AuthError

ALGORITHM = "HS256"
ISSUER = "ecodata"


@dataclass(frozen=True, slots=True)
class TokenClaims:
    subject: str
    expires: datetime


def signing_key(secret: str) -> bytes:
    """A 256-bit HMAC key from the configured secret (RFC 7518 §3.2 wants at least 256 bits)."""
    return hashlib.sha256(b"ecodata-login-token\0" + secret.encode()).digest()


def issue(subject: str, secret: str, minutes: int, *, now: datetime | None = None) -> str:
    issued = now or datetime.now(UTC)
    claims = {
        "sub": subject,
        "iss": ISSUER,
        "iat": issued,
        "exp": issued + timedelta(minutes=minutes),
    }
    return jwt.encode(claims, signing_key(secret), algorithm=ALGORITHM)


def verify(token: str, secret: str) -> TokenClaims:
    """The claims of a valid, unexpired token; :class:`AuthError` otherwise."""
    try:
        claims = jwt.decode(
            token,
            signing_key(secret),
            algorithms=[ALGORITHM],
            issuer=ISSUER,
            options={"require": ["sub", "exp", "iat", "iss"]},
        )
    except jwt.ExpiredSignatureError:
        raise AuthError("the token has expired: sign in again") from None
    except jwt.InvalidTokenError as exc:
        raise AuthError(f"invalid token: {exc}") from None
    return TokenClaims(str(claims["sub"]), datetime.fromtimestamp(claims["exp"], UTC))

"""Who is calling: FastAPI dependencies that resolve the :class:`Principal` of a request, and
the rate limit of anonymous requests.

Interfaces call :func:`resolve` (or use the dependencies :func:`principal_of`,
:func:`ckan_principal_of`, :func:`sta_principal_of`):

* ``Authorization: Bearer <login token or API key>`` and ``X-API-Key: <key>`` everywhere;
* HTTP Basic (user, password) on ``/sta`` (``basic=True``), as frost-sta-client sends it;
* CKAN's bare ``Authorization: <key>`` and ``X-CKAN-API-Key`` on the CKAN actions (``ckan=True``).

Bad credentials are refused (401), never treated as anonymous.
"""

from __future__ import annotations

import hashlib
import threading
import time

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from starlette.concurrency import run_in_threadpool
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from ecodata.security import accounts, tokens
from ecodata.security.credentials import Credentials, Scheme, from_headers
from ecodata.security.principal import Principal, anonymous
from ecodata.security.ratelimit import RateLimiter
from ecodata.settings import Settings
from ecodata.store.stores import Stores

_BASIC_CACHE_SECONDS = 60.0


class _BasicCache:
    """Verified (user, password) pairs for a minute: Argon2 costs tens of milliseconds, and
    frost-sta-client sends the password with every request."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._seen: dict[str, tuple[float, Principal]] = {}

    def get(self, key: str) -> Principal | None:
        with self._lock:
            found = self._seen.get(key)
        if found is None or time.monotonic() - found[0] > _BASIC_CACHE_SECONDS:
            return None
        return found[1]

    def put(self, key: str, principal: Principal) -> None:
        with self._lock:
            if len(self._seen) > 10_000:
                self._seen.clear()
            self._seen[key] = (time.monotonic(), principal)


_BASIC = _BasicCache()


def client_address(request: Request) -> str:
    return request.client.host if request.client else ""


def authenticate(stores: Stores, settings: Settings, credentials: Credentials) -> Principal:
    """The principal the credentials prove; :class:`AuthError` if they prove nothing."""
    engine = stores.registry.engine
    if credentials.scheme is Scheme.KEY:
        return accounts.principal_for_key(engine, credentials.secret)
    if credentials.scheme is Scheme.TOKEN:
        claims = tokens.verify(credentials.secret, settings.secret())
        return accounts.principal_for_user(engine, claims.subject, "token")
    key = hashlib.sha256(f"{credentials.user}\0{credentials.secret}".encode()).hexdigest()
    cached = _BASIC.get(key)
    if cached is not None:
        return cached
    found = accounts.principal_for_password(engine, credentials.user, credentials.secret, "basic")
    _BASIC.put(key, found)
    return found


def resolve(request: Request, *, basic: bool = False, ckan: bool = False) -> Principal:
    """The principal of ``request`` (anonymous without credentials)."""
    cached: Principal | None = getattr(request.state, "principal", None)
    if cached is not None:
        return cached
    headers = {k.lower(): v for k, v in request.headers.items()}
    credentials = from_headers(headers, basic=basic, ckan=ckan)
    client = client_address(request)
    if credentials is None:
        principal = anonymous(client)
    else:
        stores: Stores = request.app.state.stores
        settings: Settings = request.app.state.settings
        principal = authenticate(stores, settings, credentials).at(client)
    request.state.principal = principal
    return principal


async def principal_of(request: Request) -> Principal:
    """Dependency: the caller of a native (``/api/v1``) endpoint. An anonymous caller is
    resolved right here (no I/O); credentials are checked in the thread pool (registry look-ups,
    password hashing)."""
    if getattr(request.state, "principal", None) is None and has_credentials(request.scope):
        return await run_in_threadpool(resolve, request)
    return resolve(request)


def ckan_principal_of(request: Request) -> Principal:
    """Dependency: the caller of a CKAN action (also CKAN's key headers)."""
    return resolve(request, ckan=True)


def sta_principal_of(request: Request) -> Principal:
    """Dependency: the caller of the SensorThings API (also HTTP Basic)."""
    return resolve(request, basic=True)


_CREDENTIAL_HEADERS = (b"authorization", b"x-api-key", b"x-ckan-api-key")


def has_credentials(scope: Scope) -> bool:
    """Whether a request carries any header that credentials travel in."""
    return any(h in _CREDENTIAL_HEADERS for h, _ in scope["headers"])


#: The open-data interfaces whose anonymous use is limited; the web pages and their assets are not
#: (one page view loads dozens of files).
RATE_LIMITED_PREFIXES = ("/api/", "/sta/", "/catalog.", "/dataset/")


class AnonymousRateLimit:
    """ASGI middleware: API requests without credentials are limited to ``per_minute`` a
    minute per address (429 with ``Retry-After``; every limited response carries
    ``X-RateLimit-*``). Plain ASGI, so that a request costs one dictionary look-up here and no
    extra task or stream wrapping."""

    def __init__(self, app: ASGIApp, per_minute: int) -> None:
        self.app = app
        self.limiter = RateLimiter(per_minute)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if (
            scope["type"] != "http"
            or not scope["path"].startswith(RATE_LIMITED_PREFIXES)
            or has_credentials(scope)
        ):
            await self.app(scope, receive, send)  # web pages and their assets, or a known client
            return
        client = scope.get("client")
        verdict = self.limiter.hit(client[0] if client else "")
        if not verdict.allowed:
            message = (
                f"anonymous requests are limited to {verdict.limit} a minute; retry in "
                f"{verdict.reset} s or send an API key"
            )
            body = {"error": {"code": "rate_limited", "message": message}}
            await JSONResponse(body, 429, headers=verdict.headers())(scope, receive, send)
            return
        extra = [
            (k.lower().encode("latin-1"), v.encode("latin-1")) for k, v in verdict.headers().items()
        ]

        async def send_with_limit(message: Message) -> None:
            if message["type"] == "http.response.start":
                message = {**message, "headers": [*message.get("headers", ()), *extra]}
            await send(message)

        await self.app(scope, receive, send_with_limit)


def install_rate_limit(app: FastAPI, settings: Settings) -> None:
    """Limit anonymous API requests to ``security.anonymous_rate`` a minute per address."""
    app.add_middleware(AnonymousRateLimit, per_minute=settings.security.anonymous_rate)

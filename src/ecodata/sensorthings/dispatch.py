"""One request to the SensorThings service → one reply, whatever the verb and entity set.

Used by the HTTP adapter and by ``$batch`` alike; errors become the FROST-style error body
``{"type": "error", "code": <status>, "message": …}`` that SensorThings clients read.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from ecodata.errors import (
    AuthError,
    ConflictError,
    EcodataError,
    InputError,
    NotFoundError,
    PermissionDeniedError,
)
from ecodata.sensorthings.reading import RawValue
from ecodata.sensorthings.service import Access, SensorThings

_STATUS: tuple[tuple[type[EcodataError], int], ...] = (
    (NotFoundError, 404),
    (InputError, 400),
    (AuthError, 401),
    (PermissionDeniedError, 403),
    (ConflictError, 409),
)
JSON_PATCH = "application/json-patch+json"


@dataclass
class Reply:
    status: int
    body: Any = None  # JSON value, RawValue (text) or None (no body)
    headers: dict[str, str] = field(default_factory=dict)


def error_reply(exc: EcodataError) -> Reply:
    status = next((code for kind, code in _STATUS if isinstance(exc, kind)), 500)
    return Reply(status, {"type": "error", "code": status, "message": str(exc)})


def parse_body(raw: bytes) -> Any:
    if not raw.strip():
        raise InputError("the request has no body; send the entity as JSON")
    try:
        return json.loads(raw)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise InputError(f"the request body is not JSON: {exc}") from None


def dispatch(
    service: SensorThings,
    method: str,
    path: str,
    query: str,
    raw_body: bytes,
    content_type: str,
    base: str,
    access: Access,
) -> Reply:
    """Serve one request; ``path`` is relative to the service root ``base``."""
    try:
        return _dispatch(service, method.upper(), path, query, raw_body, content_type, base, access)
    except EcodataError as exc:
        return error_reply(exc)


def _dispatch(
    service: SensorThings,
    method: str,
    path: str,
    query: str,
    raw_body: bytes,
    content_type: str,
    base: str,
    access: Access,
) -> Reply:
    stripped = path.strip("/")
    if method == "GET":
        body = service.read(path, query, base, access)
        if isinstance(body, RawValue):
            return Reply(200, body)
        return Reply(200, body)
    if method == "POST" and stripped == "CreateObservations":
        return Reply(201, service.create_observations(parse_body(raw_body), base, access))
    if method == "POST":
        link, entity = service.create(path, parse_body(raw_body), base, access)
        return Reply(201, entity, {"Location": link})
    if method in ("PATCH", "PUT"):
        media = content_type.split(";", 1)[0].strip().lower()
        patch = method == "PATCH" and media == JSON_PATCH
        entity = service.update(
            path,
            parse_body(raw_body),
            base,
            access,
            replace=method == "PUT",
            json_patch=patch,
        )
        return Reply(200, entity)
    if method == "DELETE":
        service.delete(path, access)
        return Reply(200)
    raise InputError(f"method {method} is not served (GET, POST, PATCH, PUT, DELETE)")

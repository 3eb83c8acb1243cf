"""``POST /$batch`` (18-088 §12, class ``batch-request``; OData 4.0 Part 1 §11.7): several
requests in one, as ``multipart/mixed`` (with change sets) or as an OData 4.01 JSON batch.

Requests run in order. A request in a change set may refer to an entity created earlier in it as
``$<Content-ID>`` (in its URL or as an ``@iot.id``). A change set is all or nothing: when one of
its requests fails, what the earlier ones created is deleted again and every request of the set is
answered with the failure.
"""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from http import HTTPStatus
from typing import Any
from urllib.parse import urlsplit

from ecodata.errors import InputError
from ecodata.sensorthings.dispatch import Reply
from ecodata.sensorthings.reading import RawValue

Runner = Callable[[str, str, str, bytes, str], Reply]  # method, path, query, body, content type
Deleter = Callable[[str], None]  # path of an entity created in a failed change set

_PATH_IN_URL = re.compile(r"^/?(?:.*?/)?(?:v1\.[01])/")


@dataclass
class Part:
    method: str
    url: str
    body: bytes = b""
    content_type: str = "application/json"
    content_id: str | None = None
    changeset: int | None = None  # index of the change set it belongs to


@dataclass
class Answer:
    part: Part
    reply: Reply


@dataclass
class _Context:
    ids: dict[str, str] = field(default_factory=dict)  # Content-ID → entity path


def _headers(block: str) -> dict[str, str]:
    headers: dict[str, str] = {}
    for line in block.splitlines():
        if ":" in line:
            name, _, value = line.partition(":")
            headers[name.strip().lower()] = value.strip()
    return headers


def _boundary(content_type: str) -> str:
    match = re.search(r'boundary="?([^";]+)"?', content_type, re.IGNORECASE)
    if not match:
        raise InputError("a multipart/mixed batch needs a boundary in its Content-Type")
    return match.group(1)


def _split(body: str, boundary: str) -> list[str]:
    delimiter = f"--{boundary}"
    if delimiter not in body:
        raise InputError(f"the batch body does not contain the boundary {delimiter!r}")
    pieces = body.split(delimiter)[1:]
    parts = []
    for piece in pieces:
        if piece.startswith("--"):
            break
        parts.append(piece.lstrip("\r\n"))
    return parts


def _split_head(text: str) -> tuple[str, str]:
    for sep in ("\r\n\r\n", "\n\n"):
        if sep in text:
            head, _, rest = text.partition(sep)
            return head, rest
    return text, ""


def parse_multipart(raw: bytes, content_type: str) -> list[Part]:
    """The requests of a ``multipart/mixed`` batch, change sets flattened (each part knows its
    change set)."""
    text = raw.decode("utf-8")
    parts: list[Part] = []
    changesets = 0
    for piece in _split(text, _boundary(content_type)):
        head, rest = _split_head(piece)
        headers = _headers(head)
        kind = headers.get("content-type", "")
        if kind.lower().startswith("multipart/mixed"):
            for inner in _split(rest, _boundary(kind)):
                inner_head, inner_rest = _split_head(inner)
                part = _http_part(inner_rest, _headers(inner_head))
                part.changeset = changesets
                parts.append(part)
            changesets += 1
        else:
            parts.append(_http_part(rest, headers))
    return parts


def _http_part(text: str, headers: Mapping[str, str]) -> Part:
    request_head, body = _split_head(text)
    lines = request_head.strip().splitlines()
    if not lines:
        raise InputError("a batch part holds no request")
    fields = lines[0].split()
    if len(fields) < 2:
        raise InputError(f"a batch part starts with {lines[0]!r}, not a request line")
    request_headers = _headers("\n".join(lines[1:]))
    return Part(
        method=fields[0].upper(),
        url=fields[1],
        body=body.strip().encode("utf-8"),
        content_type=request_headers.get("content-type", "application/json"),
        content_id=headers.get("content-id") or request_headers.get("content-id"),
    )


def parse_json_batch(document: Any) -> list[Part]:
    """The requests of an OData 4.01 JSON batch ``{"requests": [...]}``."""
    if not isinstance(document, Mapping) or not isinstance(document.get("requests"), list):
        raise InputError('a JSON batch is {"requests": [{"id", "method", "url", "body"}, …]}')
    groups: dict[str, int] = {}
    parts = []
    for n, request in enumerate(document["requests"]):
        if not isinstance(request, Mapping) or "method" not in request or "url" not in request:
            raise InputError(f"request {n} of the batch needs a method and a url")
        body = request.get("body")
        group = request.get("atomicityGroup")
        parts.append(
            Part(
                method=str(request["method"]).upper(),
                url=str(request["url"]),
                body=b"" if body is None else json.dumps(body).encode(),
                content_type=str(
                    (request.get("headers") or {}).get("content-type", "application/json")
                ),
                content_id=str(request["id"]) if request.get("id") is not None else None,
                changeset=groups.setdefault(str(group), len(groups)) if group else None,
            )
        )
    return parts


def relative(url: str, ids: Mapping[str, str]) -> tuple[str, str]:
    """(path relative to the service root, query) of a part's URL; ``$<id>`` resolved."""
    if url.startswith("$"):
        name, _, rest = url[1:].partition("/")
        if name not in ids:
            raise InputError(f"${name} names no entity created earlier in this change set")
        url = ids[name] + ("/" + rest if rest else "")
    split = urlsplit(url)
    path = _PATH_IN_URL.sub("/", split.path) if "v1." in split.path else split.path
    if not path.startswith("/"):
        path = "/" + path
    return path, split.query


def _resolve_body(body: bytes, ids: Mapping[str, str]) -> bytes:
    """Replace ``"$<id>"`` references to entities created earlier by their ids."""
    if b"$" not in body:
        return body
    text = body.decode("utf-8")
    for name, path in ids.items():
        key = path.rsplit("(", 1)[-1].rstrip(")")
        text = text.replace(f'"${name}"', key)
    return text.encode("utf-8")


def execute(parts: list[Part], run: Runner, remove: Deleter) -> list[Answer]:
    """Run the parts in order; change sets all or nothing."""
    answers: list[Answer] = []
    context = _Context()
    index = 0
    while index < len(parts):
        group = parts[index].changeset
        if group is None:
            answers.append(Answer(parts[index], _run_one(parts[index], run, context)))
            index += 1
            continue
        members = []
        while index < len(parts) and parts[index].changeset == group:
            members.append(parts[index])
            index += 1
        answers.extend(_run_changeset(members, run, remove, context))
    return answers


def _run_one(part: Part, run: Runner, context: _Context) -> Reply:
    try:
        path, query = relative(part.url, context.ids)
        body = _resolve_body(part.body, context.ids)
    except InputError as exc:
        return Reply(400, {"type": "error", "code": 400, "message": str(exc)})
    reply = run(part.method, path, query, body, part.content_type)
    location = reply.headers.get("Location")
    if part.content_id and location:
        context.ids[part.content_id] = "/" + location.rsplit("/", 1)[-1]
    return reply


def _run_changeset(
    members: list[Part], run: Runner, remove: Deleter, context: _Context
) -> list[Answer]:
    done: list[Answer] = []
    created: list[str] = []
    for part in members:
        reply = _run_one(part, run, context)
        if reply.status >= 400:
            for path in reversed(created):
                remove(path)
            return [Answer(p, reply) for p in members]
        location = reply.headers.get("Location")
        if location:
            created.append("/" + location.rsplit("/", 1)[-1])
        done.append(Answer(part, reply))
    return done


def _reply_text(reply: Reply) -> tuple[str, str]:
    if reply.body is None:
        return "", ""
    if isinstance(reply.body, RawValue):
        return reply.body.text, "text/plain"
    return json.dumps(reply.body, ensure_ascii=False), "application/json"


def _http_response(reply: Reply) -> str:
    try:
        reason = HTTPStatus(reply.status).phrase
    except ValueError:
        reason = ""
    body, kind = _reply_text(reply)
    lines = [f"HTTP/1.1 {reply.status} {reason}"]
    lines.extend(f"{k}: {v}" for k, v in reply.headers.items())
    if kind:
        lines.append(f"Content-Type: {kind}")
    return "\r\n".join(lines) + "\r\n\r\n" + body


def multipart_response(answers: list[Answer]) -> tuple[bytes, str]:
    """The batch response body and its Content-Type (one part per request, change sets nested)."""
    boundary = f"batchresponse_{uuid.uuid4()}"
    out: list[str] = []
    index = 0
    while index < len(answers):
        group = answers[index].part.changeset
        if group is None:
            out.append(f"--{boundary}\r\n" + _part(answers[index]))
            index += 1
            continue
        inner = f"changesetresponse_{uuid.uuid4()}"
        chunk = [f"--{boundary}\r\nContent-Type: multipart/mixed; boundary={inner}\r\n\r\n"]
        while index < len(answers) and answers[index].part.changeset == group:
            chunk.append(f"--{inner}\r\n" + _part(answers[index]))
            index += 1
        chunk.append(f"--{inner}--\r\n")
        out.append("".join(chunk))
    out.append(f"--{boundary}--\r\n")
    return "".join(out).encode("utf-8"), f"multipart/mixed; boundary={boundary}"


def _part(answer: Answer) -> str:
    head = "Content-Type: application/http\r\nContent-Transfer-Encoding: binary\r\n"
    if answer.part.content_id:
        head += f"Content-ID: {answer.part.content_id}\r\n"
    return head + "\r\n" + _http_response(answer.reply) + "\r\n"


def json_response(answers: list[Answer]) -> dict[str, Any]:
    """The OData 4.01 JSON batch response."""
    responses = []
    for answer in answers:
        item: dict[str, Any] = {"status": answer.reply.status}
        if answer.part.content_id is not None:
            item["id"] = answer.part.content_id
        if answer.reply.headers:
            item["headers"] = dict(answer.reply.headers)
        if answer.reply.body is not None:
            body = answer.reply.body
            item["body"] = body.text if isinstance(body, RawValue) else body
        responses.append(item)
    return {"responses": responses}

"""JSON Patch (RFC 6902), applied to an entity's JSON for ``PATCH`` with ``Content-Type:
application/json-patch+json`` (18-088 ``create-update-delete/update-entity-jsonpatch``). Pure; the
input document is not modified.
"""

from __future__ import annotations

import copy
from collections.abc import Sequence
from typing import Any

from ecodata.errors import InputError


def _tokens(pointer: str, index: int) -> list[str]:
    """RFC 6901 pointer → reference tokens (``~1`` is ``/``, ``~0`` is ``~``)."""
    if pointer == "":
        return []
    if not pointer.startswith("/"):
        raise InputError(f"operation {index}: path {pointer!r} must start with '/' (RFC 6901)")
    return [t.replace("~1", "/").replace("~0", "~") for t in pointer[1:].split("/")]


def _parent(doc: Any, tokens: list[str], index: int) -> tuple[Any, str]:
    node = doc
    for token in tokens[:-1]:
        node = _child(node, token, index)
    return node, tokens[-1]


def _child(node: Any, token: str, index: int) -> Any:
    if isinstance(node, dict):
        if token not in node:
            raise InputError(f"operation {index}: member {token!r} does not exist")
        return node[token]
    if isinstance(node, list):
        position = _position(node, token, index, allow_end=False)
        return node[position]
    raise InputError(f"operation {index}: cannot descend into a {type(node).__name__}")


def _position(node: list[Any], token: str, index: int, *, allow_end: bool) -> int:
    if token == "-" and allow_end:
        return len(node)
    if not token.isdigit() or (len(token) > 1 and token.startswith("0")):
        raise InputError(f"operation {index}: {token!r} is not an array index")
    position = int(token)
    if position > len(node) or (position == len(node) and not allow_end):
        raise InputError(f"operation {index}: index {position} is out of range")
    return position


def _get(doc: Any, pointer: str, index: int) -> Any:
    node = doc
    for token in _tokens(pointer, index):
        node = _child(node, token, index)
    return node


def _add(doc: Any, pointer: str, value: Any, index: int) -> Any:
    tokens = _tokens(pointer, index)
    if not tokens:
        return value
    parent, last = _parent(doc, tokens, index)
    if isinstance(parent, dict):
        parent[last] = value
    elif isinstance(parent, list):
        parent.insert(_position(parent, last, index, allow_end=True), value)
    else:
        raise InputError(f"operation {index}: cannot add to a {type(parent).__name__}")
    return doc


def _remove(doc: Any, pointer: str, index: int) -> Any:
    tokens = _tokens(pointer, index)
    if not tokens:
        raise InputError(f"operation {index}: cannot remove the whole document")
    parent, last = _parent(doc, tokens, index)
    if isinstance(parent, dict):
        if last not in parent:
            raise InputError(f"operation {index}: member {last!r} does not exist")
        del parent[last]
    elif isinstance(parent, list):
        del parent[_position(parent, last, index, allow_end=False)]
    else:
        raise InputError(f"operation {index}: cannot remove from a {type(parent).__name__}")
    return doc


def apply_patch(document: Any, operations: Sequence[Any]) -> Any:
    """The document after ``operations`` (add, remove, replace, move, copy, test)."""
    if not isinstance(operations, list):
        raise InputError("a JSON Patch document is an array of operations (RFC 6902 §3)")
    doc = copy.deepcopy(document)
    for index, op in enumerate(operations):
        if not isinstance(op, dict) or not isinstance(op.get("op"), str):
            raise InputError(f"operation {index}: needs an 'op' member")
        if not isinstance(op.get("path"), str):
            raise InputError(f"operation {index}: needs a 'path' string")
        name, path = op["op"], op["path"]
        if name in ("add", "replace", "test") and "value" not in op:
            raise InputError(f"operation {index}: '{name}' needs a 'value'")
        if name == "add":
            doc = _add(doc, path, copy.deepcopy(op["value"]), index)
        elif name == "remove":
            doc = _remove(doc, path, index)
        elif name == "replace":
            _get(doc, path, index)
            doc = _add(_remove(doc, path, index) if path else doc, path, op["value"], index)
        elif name in ("move", "copy"):
            source = op.get("from")
            if not isinstance(source, str):
                raise InputError(f"operation {index}: '{name}' needs a 'from' string")
            value = copy.deepcopy(_get(doc, source, index))
            if name == "move":
                if path.startswith(source + "/"):
                    raise InputError(f"operation {index}: cannot move a value into itself")
                doc = _remove(doc, source, index)
            doc = _add(doc, path, value, index)
        elif name == "test":
            if _get(doc, path, index) != op["value"]:
                raise InputError(f"operation {index}: test of {path!r} failed")
        else:
            raise InputError(f"operation {index}: unknown op {name!r}")
    return doc

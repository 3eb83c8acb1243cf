"""Query options and resource paths of SensorThings API 1.1 requests (OGC 18-088 §9.2, §9.3).

``$expand`` items may carry their own options in parentheses separated by ``;`` and may be slash
paths (``Thing/Locations``, as pygeoapi sends); slash paths are stored nested. ``@iot.id`` and
``id``
are the same property. Error offsets are positions inside the option value.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import replace
from urllib.parse import parse_qsl

from ecodata.protocols.odata_ast import Expand, ODataError, QueryOptions, ResourcePath, Segment
from ecodata.protocols.odata_parser import canonical_segment, parse_filter, parse_orderby

OPTIONS = (
    "$filter",
    "$expand",
    "$select",
    "$orderby",
    "$top",
    "$skip",
    "$count",
    "$resultFormat",
    "$skiptoken",
)
_EXPAND_OPTIONS = ("$filter", "$expand", "$select", "$orderby", "$top", "$skip", "$count")

_SELECT_NAME = re.compile(r"[^\s/,()'=;&]+")


def parse_select(
    text: str, *, option: str = "$select", base: int = 0, full_text: str | None = None
) -> tuple[tuple[str, ...], ...]:
    """``id,name,properties/owner`` → property paths (18-088 §9.3.3.3); ``@iot.id`` becomes
    ``id``."""
    full = text if full_text is None else full_text
    items: list[tuple[str, ...]] = []
    for item, offset in _split(text, ",", option, base, full):
        stripped = item.strip()
        lead = offset + (len(item) - len(item.lstrip()))
        if not stripped:
            raise ODataError(
                "empty item", option=option, text=full, offset=lead, expected="a property name"
            )
        parts = stripped.split("/")
        at = lead
        for part in parts:
            if part != "*" and not _SELECT_NAME.fullmatch(part):
                raise ODataError(
                    f"invalid property name '{part}'",
                    option=option,
                    text=full,
                    offset=at,
                    expected="a property or navigation name",
                )
            at += len(part) + 1
        items.append(tuple(canonical_segment(p) for p in parts))
    return tuple(items)


def _split(text: str, sep: str, option: str, base: int, full: str) -> list[tuple[str, int]]:
    """Split at ``sep`` outside quotes and parentheses; each piece with its offset."""
    pieces: list[tuple[str, int]] = []
    depth, start, i, n = 0, 0, 0, len(text)
    opened: list[int] = []
    while i < n:
        char = text[i]
        if char == "'":
            j = i + 1
            while True:
                k = text.find("'", j)
                if k < 0:
                    raise ODataError(
                        "unterminated string",
                        option=option,
                        text=full,
                        offset=base + i,
                        expected="a closing quote (')",
                    )
                if text.startswith("'", k + 1):
                    j = k + 2
                    continue
                i = k + 1
                break
            continue
        if char == "(":
            depth += 1
            opened.append(i)
        elif char == ")":
            depth -= 1
            if depth < 0:
                raise ODataError(
                    "unbalanced ')'", option=option, text=full, offset=base + i, expected="'('"
                )
            opened.pop()
        elif char == sep and depth == 0:
            pieces.append((text[start:i], base + start))
            start = i + 1
        i += 1
    if depth:
        raise ODataError(
            "unclosed '('", option=option, text=full, offset=base + opened[-1], expected="')'"
        )
    pieces.append((text[start:], base + start))
    return pieces


_EXPAND_PATH = re.compile(r"\s*([^\s(/]+(?:/[^\s(/]+)*)\s*")


def parse_expand(
    text: str,
    *,
    option: str = "$expand",
    base: int = 0,
    full_text: str | None = None,
    depth: int = 0,
) -> tuple[Expand, ...]:
    """``Datastreams($select=name;$expand=Observations($top=1)),Thing/Locations`` (18-088
    §9.3.2.1)."""
    full = text if full_text is None else full_text
    if depth > 10:
        raise ODataError("$expand nested too deeply", option=option, text=full, offset=base)
    items: list[Expand] = []
    for item, offset in _split(text, ",", option, base, full):
        match = _EXPAND_PATH.match(item)
        if not match or not match.group(1):
            raise ODataError(
                "empty or invalid $expand item",
                option=option,
                text=full,
                offset=offset,
                expected="a navigation property",
            )
        names = [canonical_segment(n) for n in match.group(1).split("/")]
        rest = item[match.end() :]
        options = QueryOptions()
        if rest:
            rest_offset = offset + match.end()
            if not rest.startswith("(") or not rest.rstrip().endswith(")"):
                raise ODataError(
                    f"unexpected '{rest.strip()[:20]}' after '{match.group(1)}'",
                    option=option,
                    text=full,
                    offset=rest_offset,
                    expected="'(' with options, ',' or the end",
                )
            inner = rest.rstrip()[1:-1]
            options = _parse_options(
                _split(inner, ";", option, rest_offset + 1, full),
                allowed=_EXPAND_OPTIONS,
                option=option,
                full=full,
                depth=depth + 1,
            )
        node = Expand(names[-1], options)
        for name in reversed(names[:-1]):
            node = Expand(name, QueryOptions(expand=(node,)))
        items.append(node)
    return _merge_expands(items, option, full, base)


def _merge_expands(items: list[Expand], option: str, full: str, base: int) -> tuple[Expand, ...]:
    merged: dict[str, Expand] = {}
    for item in items:
        seen = merged.get(item.name)
        if seen is None:
            merged[item.name] = item
            continue
        a, b = seen.options, item.options
        if replace(a, expand=()) != QueryOptions() and replace(b, expand=()) != QueryOptions():
            raise ODataError(
                f"'{item.name}' is expanded twice with options",
                option=option,
                text=full,
                offset=base,
            )
        own = a if replace(a, expand=()) != QueryOptions() else b
        combined = _merge_expands([*a.expand, *b.expand], option, full, base)
        merged[item.name] = Expand(item.name, replace(own, expand=combined))
    return tuple(merged.values())


def _option_name(key: str, allowed: Iterable[str]) -> str | None:
    lowered = key.lower()
    for name in allowed:
        if name.lower() == lowered:
            return name
    return None


def _parse_options(
    pieces: list[tuple[str, int]],
    *,
    allowed: tuple[str, ...],
    option: str | None,
    full: str | None,
    depth: int = 0,
) -> QueryOptions:
    """Options given as ``$name=value`` pieces (with offsets when nested in ``$expand``)."""
    values: dict[str, tuple[str, int, str]] = {}
    for piece, offset in pieces:
        key, eq, value = piece.partition("=")
        name = _option_name(key.strip(), allowed)
        where = option or key.strip()
        text = full if full is not None else value
        if not eq or name is None:
            known = ", ".join(allowed)
            raise ODataError(
                f"unknown query option '{key.strip()}'"
                if eq
                else f"'{piece.strip()}' is not an option",
                option=where,
                text=text,
                offset=offset if full is not None else -1,
                expected=f"one of {known}",
            )
        if name in values:
            raise ODataError(f"{name} given twice", option=where, text=text)
        value_offset = offset + len(key) + 1 if full is not None else 0
        values[name] = (value, value_offset, where)
    return _build_options(values, full, depth)


def _build_options(
    values: Mapping[str, tuple[str, int, str]], full: str | None, depth: int
) -> QueryOptions:
    kwargs: dict[str, object] = {}

    def ctx(name: str) -> tuple[str, int, str, str]:
        value, offset, where = values[name]
        text = full if full is not None else value
        return value, offset, where, text

    if "$filter" in values:
        value, offset, where, text = ctx("$filter")
        kwargs["filter"] = parse_filter(value, option=where, base=offset, full_text=text)
    if "$orderby" in values:
        value, offset, where, text = ctx("$orderby")
        kwargs["orderby"] = parse_orderby(value, option=where, base=offset, full_text=text)
    if "$select" in values:
        value, offset, where, text = ctx("$select")
        kwargs["select"] = parse_select(value, option=where, base=offset, full_text=text)
    if "$expand" in values:
        value, offset, where, text = ctx("$expand")
        kwargs["expand"] = parse_expand(
            value, option=where, base=offset, full_text=text, depth=depth
        )
    for name, attr in (("$top", "top"), ("$skip", "skip")):
        if name in values:
            value, offset, where, text = ctx(name)
            if not re.fullmatch(r"\s*\d{1,18}\s*", value):
                raise ODataError(
                    f"{name} must be a non-negative integer, got '{value}'",
                    option=where,
                    text=text,
                    offset=offset,
                    expected="digits such as 100",
                )
            kwargs[attr] = int(value)
    if "$count" in values:
        value, offset, where, text = ctx("$count")
        if value.strip().lower() not in ("true", "false"):
            raise ODataError(
                f"$count must be true or false, got '{value}'",
                option=where,
                text=text,
                offset=offset,
                expected="true or false",
            )
        kwargs["count"] = value.strip().lower() == "true"
    if "$resultFormat" in values:
        value, offset, where, text = ctx("$resultFormat")
        if value.strip().lower() != "dataarray":
            raise ODataError(
                f"unsupported $resultFormat '{value}'",
                option=where,
                text=text,
                offset=offset,
                expected="dataArray (18-088 §14.3)",
            )
        kwargs["result_format"] = "dataArray"
    if "$skiptoken" in values:
        kwargs["skiptoken"] = values["$skiptoken"][0]
    return QueryOptions(**kwargs)  # type: ignore[arg-type]


def parse_query_options(params: Mapping[str, str] | Iterable[tuple[str, str]]) -> QueryOptions:
    """System query options from decoded ``(name, value)`` pairs; other parameters are ignored."""
    pairs = params.items() if isinstance(params, Mapping) else params
    values: dict[str, tuple[str, int, str]] = {}
    for key, value in pairs:
        if not key.startswith("$"):
            continue
        name = _option_name(key, OPTIONS)
        if name is None:
            raise ODataError(
                f"unknown query option '{key}'", option=key, expected="one of " + ", ".join(OPTIONS)
            )
        if name in values:
            raise ODataError(f"{name} given twice", option=name, text=value)
        values[name] = (value, 0, name)
    return _build_options(values, None, 0)


def parse_query_string(query: str) -> QueryOptions:
    """Options from a raw query string; ``+`` decodes to a space (frost-sta-client sends ``+``)."""
    return parse_query_options(parse_qsl(query.lstrip("?"), keep_blank_values=True))


# --- resource paths -------------------------------------------------------------------------------

_SEGMENT = re.compile(r"([A-Za-z_][A-Za-z0-9_]*)(?:\((.*)\))?", re.DOTALL)
ACTIONS = ("$batch", "CreateObservations")


def _key(raw: str, path: str, offset: int) -> int | str:
    raw = raw.strip()
    if re.fullmatch(r"-?\d{1,18}", raw):
        return int(raw)
    if (
        len(raw) >= 2
        and raw[0] == "'"
        and raw[-1] == "'"
        and "'" not in raw[1:-1].replace("''", "")
    ):
        return raw[1:-1].replace("''", "'")
    raise ODataError(
        f"invalid key '({raw})'",
        option="path",
        text=path,
        offset=offset,
        expected="an integer or a quoted string such as ('abc')",
    )


def parse_resource_path(path: str) -> ResourcePath:
    """A resource path relative to the service root (18-088 §9.2), e.g. ``/Things(1)/Locations``.

    Entity sets and navigation properties start with a capital letter, properties with a small one
    (the 18-088 naming convention); everything after a property is a JSON sub-key."""
    text = path.strip()
    body = text.strip("/")
    base = text.find(body) if body else 0
    if not body:
        return ResourcePath(())
    if body in ACTIONS:
        return ResourcePath((), action=body)
    segments: list[Segment] = []
    prop: list[str] = []
    value = ref = False
    pieces = _split(body, "/", "path", base, text)
    for index, (piece, offset) in enumerate(pieces):
        last = index == len(pieces) - 1
        if piece in ("$value", "$ref"):
            if not last:
                raise ODataError(
                    f"{piece} must end the path", option="path", text=text, offset=offset
                )
            if piece == "$value" and not prop:
                raise ODataError(
                    "$value follows a property",
                    option="path",
                    text=text,
                    offset=offset,
                    expected="a path such as /Things(1)/name/$value",
                )
            if piece == "$ref" and (prop or len(segments) < 2):
                raise ODataError(
                    "$ref follows a navigation property",
                    option="path",
                    text=text,
                    offset=offset,
                    expected="a path such as /Things(1)/Locations/$ref",
                )
            value, ref = piece == "$value", piece == "$ref"
            continue
        if prop:
            if not piece:
                raise ODataError("empty path segment", option="path", text=text, offset=offset)
            prop.append(piece)
            continue
        match = _SEGMENT.fullmatch(piece)
        if not match:
            raise ODataError(
                f"invalid path segment '{piece}'",
                option="path",
                text=text,
                offset=offset,
                expected="an entity set, navigation property or property name",
            )
        name, raw_key = match.group(1), match.group(2)
        if name[0].isupper():
            key = None if raw_key is None else _key(raw_key, text, offset + len(name) + 1)
            segments.append(Segment(name, key))
        elif not segments:
            raise ODataError(
                f"'{name}' is not an entity set",
                option="path",
                text=text,
                offset=offset,
                expected="an entity set such as Things",
            )
        elif raw_key is not None:
            raise ODataError(
                f"property '{name}' takes no key", option="path", text=text, offset=offset
            )
        elif segments[-1].key is None and len(segments) == 1:
            raise ODataError(
                f"'{name}' needs one entity",
                option="path",
                text=text,
                offset=offset,
                expected=f"a key first, e.g. /{segments[-1].name}(1)/{name}",
            )
        else:
            prop.append(name)
    return ResourcePath(tuple(segments), tuple(prop), value, ref)

"""Catalog search in pure code: Chinese and English full text, a Solr-like ``fq`` subset, sorting
and facets (the parameters of CKAN's ``package_search``).

Text is split into lower-case words (Latin letters and digits) and, for Chinese, into single
characters and overlapping character pairs — the usual bigram indexing of CJK text, which needs no
dictionary or model. A query matches a document when every query word, and every character pair
of its Chinese runs, occurs in it; the score weighs title hits over tags over the description.

``fq`` grammar (CKAN sends it to Solr; this is the subset harvesters and ``ckanapi`` use):
clauses separated by spaces, each ``[+|-]field:value`` where value is a bare word, a
``"quoted phrase"`` or a range ``[FROM TO TO]`` (``*`` open); ``OR`` between two clauses makes
them one alternative; ``AND`` is the default and may be written.
"""

from __future__ import annotations

import functools
import math
import re
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from ecodata.errors import InputError

_WORD = re.compile(r"[a-z0-9][a-z0-9._+-]*|[\u3400-\u9fff\uf900-\ufaff]+")
_CJK = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")
_CLAUSE = re.compile(
    r"\s*(?P<sign>[+-]?)(?P<field>[A-Za-z_.]+):"
    r'(?:"(?P<phrase>[^"]*)"|\[(?P<lo>\S+)\s+TO\s+(?P<hi>[^\]\s]+)\]|(?P<word>[^\s()]+))'
)
FILTER_FIELDS = (
    "id",
    "name",
    "organization",
    "groups",
    "tags",
    "res_format",
    "license_id",
    "classification",
    "sharing_type",
    "open_type",
    "update_cycle",
    "resource_code",
    "metadata_modified",
    "metadata_created",
)
FACET_FIELDS = (
    "organization",
    "groups",
    "tags",
    "res_format",
    "license_id",
    "classification",
    "sharing_type",
    "open_type",
    "update_cycle",
)
SORT_FIELDS = ("score", "name", "id", "title_string", "metadata_modified", "metadata_created")


class SearchQueryError(InputError):
    """A ``q``, ``fq`` or ``sort`` the search cannot understand (CKAN ``Search Query Error``)."""


def tokens(text: str) -> list[str]:
    """Index terms: lower-case words; Chinese characters and character pairs."""
    out: list[str] = []
    for run in _WORD.findall(text.lower()):
        if _CJK.match(run):
            out.extend(run)
            out.extend(run[i : i + 2] for i in range(len(run) - 1))
        else:
            out.append(run)
            out.extend(p for p in re.split(r"[._+-]", run) if p and p != run)
    return out


def query_terms(text: str) -> list[str]:
    """The terms a query needs: its words, and the character pairs of its Chinese runs."""
    out: list[str] = []
    for run in _WORD.findall(text.lower()):
        if _CJK.match(run) and len(run) > 1:
            out.extend(run[i : i + 2] for i in range(len(run) - 1))
        else:
            out.append(run)
    return list(dict.fromkeys(out))


@dataclass(frozen=True)
class Doc:
    """One searchable catalog entry."""

    key: str
    values: Mapping[str, Sequence[str]]  # exact values per FILTER_FIELDS (facets, fq)
    created: datetime
    modified: datetime
    text: Sequence[tuple[str, float]]  # (text, weight)
    terms: Counter[str] = field(init=False, compare=False)

    def __post_init__(self) -> None:
        counts: Counter[str] = Counter()
        for text, weight in self.text:
            for term in tokens(text):
                counts[term] += weight  # type: ignore[assignment]
        object.__setattr__(self, "terms", counts)


@dataclass(frozen=True)
class Clause:
    field: str
    negate: bool
    value: str | None = None
    low: str | None = None
    high: str | None = None


@dataclass(frozen=True)
class Result:
    count: int
    hits: list[tuple[Doc, float]]
    facets: dict[str, dict[str, int]]


def parse_fq(text: str) -> list[list[Clause]]:
    """``fq`` as a conjunction of alternatives (each a list of clauses joined by OR)."""
    groups: list[list[Clause]] = []
    rest = text.strip()
    join_next = False
    while rest:
        if rest.startswith("("):
            rest = rest[1:].lstrip()
            continue
        if rest.startswith(")"):
            rest = rest[1:].lstrip()
            continue
        head = rest.split(None, 1)[0]
        if head in ("AND", "&&"):
            rest = rest[len(head) :].lstrip()
            continue
        if head in ("OR", "||"):
            if not groups:
                raise SearchQueryError(f"fq {text!r}: OR without a clause before it")
            join_next = True
            rest = rest[len(head) :].lstrip()
            continue
        found = _CLAUSE.match(rest)
        if not found:
            raise SearchQueryError(
                f"fq {text!r}: cannot read {rest[:40]!r}; write field:value clauses"
            )
        name = found["field"]
        if name not in FILTER_FIELDS:
            raise SearchQueryError(f"fq: unknown field {name!r}; use {', '.join(FILTER_FIELDS)}")
        value = found["phrase"] if found["phrase"] is not None else found["word"]
        clause = Clause(name, found["sign"] == "-", value, found["lo"], found["hi"])
        if join_next:
            groups[-1].append(clause)
            join_next = False
        else:
            groups.append([clause])
        rest = rest[found.end() :].lstrip()
    return groups


def _match_clause(doc: Doc, clause: Clause) -> bool:
    if clause.field in ("metadata_modified", "metadata_created"):
        moment = doc.modified if clause.field == "metadata_modified" else doc.created
        if clause.low is None:
            when = _parse_time(clause.value or "", clause.field)
            hit = moment == when
        else:
            low = None if clause.low == "*" else _parse_time(clause.low, clause.field)
            high = None if clause.high in (None, "*") else _parse_time(clause.high, clause.field)
            hit = (low is None or moment >= low) and (high is None or moment <= high)
    else:
        values = [v.lower() for v in doc.values.get(clause.field, ())]
        wanted = (clause.value or "").lower()
        if wanted == "*":
            hit = bool(values)
        elif wanted.endswith("*"):
            hit = any(v.startswith(wanted[:-1]) for v in values)
        else:
            hit = wanted in values
    return hit != clause.negate


def _parse_time(text: str, name: str) -> datetime:
    text = text.strip().replace("Z", "+00:00")
    if text.upper().startswith("NOW"):
        raise SearchQueryError(f"fq {name}: date arithmetic (NOW…) is not supported")
    try:
        value = datetime.fromisoformat(text)
    except ValueError:
        raise SearchQueryError(f"fq {name}: {text!r} is not an ISO 8601 time") from None
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value


def score(doc: Doc, terms: Sequence[str], df: Mapping[str, int], n_docs: int) -> float:
    """0 if a term is missing, else a tf·idf sum (weights come from the field of the hit)."""
    total = 0.0
    for term in terms:
        tf = doc.terms.get(term, 0)
        if not tf:
            return 0.0
        idf = math.log(1 + (n_docs - df.get(term, 0) + 0.5) / (df.get(term, 0) + 0.5))
        total += idf * tf / (tf + 1.2)
    return total


def parse_sort(text: str) -> list[tuple[str, bool]]:
    """``"metadata_modified desc, name asc"`` → [(field, descending)…]."""
    out: list[tuple[str, bool]] = []
    for part in text.split(","):
        words = part.split()
        if not words:
            continue
        name = words[0]
        order = words[1].lower() if len(words) > 1 else "asc"
        if name not in SORT_FIELDS or order not in ("asc", "desc") or len(words) > 2:
            raise SearchQueryError(
                f"sort {part.strip()!r}: use a field of {', '.join(SORT_FIELDS)} and asc or desc"
            )
        out.append((name, order == "desc"))
    return out


def search(
    docs: Sequence[Doc],
    *,
    q: str = "",
    fq: str = "",
    sort: str = "score desc, metadata_modified desc",
    start: int = 0,
    rows: int = 10,
    facet_fields: Sequence[str] = (),
    facet_limit: int = 50,
    facet_mincount: int = 1,
) -> Result:
    text = q.strip()
    if text in ("", "*:*", "*"):
        terms: list[str] = []
    else:
        terms = []
        for part in text.split():
            if ":" in part and not part.startswith("http"):
                name, _, word = part.partition(":")
                if name in ("text", "title", "notes", "q"):
                    terms.extend(query_terms(word))
                    continue
                fq = f"{fq} {part}"
                continue
            terms.extend(query_terms(part))
    groups = parse_fq(fq)
    for name in facet_fields:
        if name not in FACET_FIELDS:
            raise SearchQueryError(f"facet.field: {name!r} is not one of {', '.join(FACET_FIELDS)}")
    order = parse_sort(sort or "score desc")
    df: Counter[str] = Counter()
    for doc in docs:
        df.update(t for t in set(terms) if t in doc.terms)
    hits: list[tuple[Doc, float]] = []
    for doc in docs:
        if not all(any(_match_clause(doc, c) for c in group) for group in groups):
            continue
        value = score(doc, terms, df, len(docs)) if terms else 1.0
        if value > 0:
            hits.append((doc, value))
    for name, descending in reversed(order):
        hits.sort(key=functools.partial(_sort_key, name=name), reverse=descending)
    facets: dict[str, dict[str, int]] = {}
    for name in facet_fields:
        counts: Counter[str] = Counter()
        for doc, _ in hits:
            counts.update(set(doc.values.get(name, ())))
        top = [(v, c) for v, c in counts.most_common() if c >= facet_mincount]
        facets[name] = dict(top[: facet_limit if facet_limit >= 0 else None])
    return Result(len(hits), hits[start : start + rows], facets)


def _sort_key(hit: tuple[Doc, float], name: str) -> tuple[float, str]:
    doc, value = hit
    if name == "score":
        return (value, "")
    if name == "metadata_modified":
        return (doc.modified.timestamp(), "")
    if name == "metadata_created":
        return (doc.created.timestamp(), "")
    key = {"title_string": "title"}.get(name, name)
    return (0.0, (doc.values.get(key) or [""])[0])


def doc_of(row: Mapping[str, Any]) -> Doc:
    """The search document of a catalog row (``catalog.datasets``): exact values for ``fq`` and
    facets, weighted text (title 3, name and tags 2, the rest 1)."""
    dept = row.get("department") or {}
    values: dict[str, Sequence[str]] = {
        "id": [row["uuid"]],
        "name": [row["name"]],
        "title": [row["title_zh"]],
        "organization": [row["department_code"]],
        "groups": list(row["topics"]),
        "tags": list(row["tags"]),
        "res_format": sorted(row["formats"]),
        "license_id": [row["licence"] or "notspecified"],
        "classification": [row["classification"]],
        "sharing_type": [row["sharing_type"]],
        "open_type": [row["open_type"]],
        "update_cycle": [row["update_cycle"]],
        "resource_code": [row["resource_code"]],
    }
    text = [
        (row["title_zh"], 3.0),
        (row["title_en"], 3.0),
        (" ".join(row["tags"]), 2.0),
        (row["name"], 2.0),
        (row["description_zh"], 1.0),
        (row["description_en"], 1.0),
        (f"{dept.get('name_zh') or ''} {dept.get('name_en') or ''}", 1.0),
        (" ".join(row["topics"]), 1.0),
        (row["resource_code"], 1.0),
    ]
    return Doc(row["uuid"], values, row["created_at"], row["modified_at"], text)

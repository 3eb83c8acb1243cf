"""Which series (or sites) belong to which dataset: selectors as data, matched in pure code.

A selector is a JSON object; every key given must match (AND), a list matches any of its values
(OR), an empty selector matches everything. Keys: ``domains`` (parameter domain), ``published``
(official publication or measured value), ``site_kinds``, ``site_codes``, ``providers`` (provider
code of the site) and ``periods`` (``hour``, ``day`` …).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from ecodata.errors import InputError
from ecodata.model import Period

_LIST_KEYS = ("domains", "site_kinds", "site_codes", "providers", "periods")


@dataclass(frozen=True, slots=True)
class SeriesFacts:
    """What a selector may look at: one series (or, for site datasets, one site)."""

    site_code: str
    site_kind: str
    provider: str | None = None
    domain: str | None = None
    published: bool | None = None
    period: Period | None = None


def validate(selector: Mapping[str, Any], *, name: str = "selector") -> dict[str, Any]:
    """The selector normalised, or :class:`InputError` naming the bad key."""
    out: dict[str, Any] = {}
    for key, value in selector.items():
        if key == "published":
            if not isinstance(value, bool):
                raise InputError(f"{name}: 'published' must be true or false, not {value!r}")
            out[key] = value
        elif key in _LIST_KEYS:
            if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
                raise InputError(f"{name}: {key!r} must be a list of strings")
            if key == "periods":
                for v in value:
                    try:
                        Period.parse(v)
                    except ValueError as exc:
                        raise InputError(f"{name}: {exc}") from None
            out[key] = list(value)
        else:
            known = ", ".join(("published", *_LIST_KEYS))
            raise InputError(f"{name}: unknown key {key!r}; use {known}")
    return out


def matches(selector: Mapping[str, Any], facts: SeriesFacts) -> bool:
    """Whether ``facts`` satisfy every condition of ``selector``."""
    published = selector.get("published")
    if published is not None and facts.published is not None and facts.published != published:
        return False
    checks: list[tuple[str, str | None]] = [
        ("domains", facts.domain),
        ("site_kinds", facts.site_kind),
        ("site_codes", facts.site_code),
        ("providers", facts.provider),
        ("periods", facts.period.label if facts.period is not None else None),
    ]
    for key, value in checks:
        wanted = selector.get(key)
        if wanted is None:
            continue
        if value is None and key in ("domains", "periods"):
            continue  # site datasets have no parameter or period
        if value not in wanted:
            return False
    return True


def first_match(
    datasets: Sequence[tuple[int, Mapping[str, Any]]], facts: SeriesFacts
) -> int | None:
    """Id of the first dataset (in the given order) whose selector ``facts`` match."""
    for dataset_id, selector in datasets:
        if matches(selector, facts):
            return dataset_id
    return None

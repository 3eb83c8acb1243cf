"""The message catalogue of the web UI: Simplified Chinese (default) and English.

Messages are flat keys (``nav.overview``) in one JSON file per language beside this module; both
files hold the same keys (a test checks it). Placeholders use ``{name}``.

The language of a request comes from, in order: ``?lang=``, the ``ecodata_lang`` cookie, the
browser's ``Accept-Language``, the ``web.default_language`` setting.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from functools import cache
from pathlib import Path
from typing import Final

LANGUAGES: Final = ("zh-CN", "en")
COOKIE: Final = "ecodata_lang"
_FOLDER: Final = Path(__file__).parent


@cache
def messages(lang: str) -> Mapping[str, str]:
    """All messages of a language (``zh-CN`` or ``en``)."""
    if lang not in LANGUAGES:
        raise ValueError(f"unknown language {lang!r}; use one of {', '.join(LANGUAGES)}")
    data: dict[str, str] = json.loads((_FOLDER / f"{lang}.json").read_text(encoding="utf-8"))
    return data


def translate(lang: str, key: str, **values: object) -> str:
    """The message ``key`` in ``lang`` with its placeholders filled; the key itself if unknown
    (so a missing message shows up on the page instead of failing it)."""
    text = messages(lang).get(key, key)
    return text.format(**values) if values else text


def normalise(tag: str | None) -> str | None:
    """A language tag (``zh``, ``zh-Hans-CN``, ``en-GB`` …) → ``zh-CN``/``en``, or ``None``."""
    if not tag:
        return None
    primary = tag.strip().lower().replace("_", "-").split("-")[0]
    return {"zh": "zh-CN", "en": "en"}.get(primary)


def from_accept_language(header: str | None) -> str | None:
    """The best supported language of an ``Accept-Language`` header (RFC 9110 §12.5.4)."""
    if not header:
        return None
    ranked: list[tuple[float, int, str]] = []
    for position, part in enumerate(header.split(",")):
        tag, _, params = part.strip().partition(";")
        quality = 1.0
        for param in params.split(";"):
            name, _, value = param.strip().partition("=")
            if name == "q":
                try:
                    quality = float(value)
                except ValueError:
                    quality = 0.0
        lang = normalise(tag)
        if lang is not None and quality > 0:
            ranked.append((-quality, position, lang))
    return min(ranked)[2] if ranked else None


def negotiate(
    query: str | None, cookie: str | None, accept_language: str | None, default: str
) -> str:
    """The language of a request."""
    return (
        normalise(query)
        or normalise(cookie)
        or from_accept_language(accept_language)
        or normalise(default)
        or LANGUAGES[0]
    )

"""Server-side rendering: the Jinja2 environment, the language of a request, and what every page
template receives (messages, the signed-in principal, time and number formatting, the AQI
category palette)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from functools import cache, partial
from pathlib import Path
from typing import Any, Final

import jinja2
from fastapi import Request
from fastapi.responses import HTMLResponse

from ecodata import __version__
from ecodata.security.principal import Principal
from ecodata.settings import Settings
from ecodata.standards.hj633 import level_of
from ecodata.standards.hj633_tables import CATEGORIES, V2012
from ecodata.web import i18n
from ecodata.web.session import principal_of

TEMPLATES: Final = Path(__file__).parent / "templates"
STATIC: Final = Path(__file__).parent / "static"
#: Pollutant keys → display names (chemical formulae read the same in both languages).
POLLUTANT_LABELS: Final = {
    "pm2_5": "PM2.5",
    "pm10": "PM10",
    "so2": "SO₂",
    "no2": "NO₂",
    "co": "CO",
    "o3": "O₃",
    "o3_8h": "O₃-8h",
}


@cache
def environment() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATES),
        autoescape=jinja2.select_autoescape(["html"]),
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["pollutants"] = pollutant_names
    return env


def settings_of(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


def language_of(request: Request) -> str:
    return i18n.negotiate(
        request.query_params.get("lang"),
        request.cookies.get(i18n.COOKIE),
        request.headers.get("accept-language"),
        settings_of(request).web.default_language,
    )


def pollutant_names(keys: Any) -> str:
    return "、".join(POLLUTANT_LABELS.get(str(k), str(k)) for k in keys or ())


@dataclass(frozen=True, slots=True)
class Swatch:
    """An AQI category as the UI draws it: its colour, a readable text colour on it, its name."""

    level: int
    colour: str
    text: str
    name: str
    aqi_range: str

    def as_json(self) -> dict[str, Any]:
        return {
            "level": self.level,
            "colour": self.colour,
            "text": self.text,
            "name": self.name,
            "range": self.aqi_range,
        }


def _luminance(hex_colour: str) -> float:
    """WCAG 2.1 relative luminance of an sRGB colour."""
    channels = [int(hex_colour[i : i + 2], 16) / 255 for i in (1, 3, 5)]
    linear = [c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def readable_text(hex_colour: str) -> str:
    """Black or white, whichever contrasts more with the colour (WCAG 2.1 contrast ratio)."""
    light = _luminance(hex_colour)
    on_black = (light + 0.05) / 0.05
    on_white = 1.05 / (light + 0.05)
    return "#000000" if on_black >= on_white else "#FFFFFF"


def palette(version: str | None, lang: str) -> list[Swatch]:
    """The six AQI categories of an HJ 633 edition with the colours of its Appendix A."""
    return [
        Swatch(
            level=c.level,
            colour=c.hex,
            text=readable_text(c.hex),
            name=c.name_zh if lang == "zh-CN" else c.name_en,
            aqi_range=c.aqi_range,
        )
        for c in CATEGORIES[version or V2012]
    ]


def local_time(value: datetime | None, settings: Settings, fmt: str = "%Y-%m-%d %H:%M") -> str:
    if value is None:
        return "—"
    return value.astimezone(settings.tz).strftime(fmt)


def number(value: float | None, digits: int = 0) -> str:
    if value is None:
        return "—"
    return f"{value:,.{digits}f}"


def age_text(seconds: float | None, lang: str) -> str:
    """A data age in words: minutes, hours, days or years."""
    if seconds is None:
        return "—"
    t = partial(i18n.translate, lang)
    minutes = seconds / 60
    if minutes < 90:
        return t("age.minutes", n=max(0, round(minutes)))
    hours = minutes / 60
    if hours < 48:
        return t("age.hours", n=round(hours))
    days = hours / 24
    if days < 730:
        return t("age.days", n=round(days))
    return t("age.years", n=round(days / 365.25, 1))


def switch_language_url(request: Request, lang: str) -> str:
    """The current path and query with ``lang`` set."""
    url = request.url.include_query_params(lang=lang)
    return f"{url.path}?{url.query}"


def render(
    request: Request,
    template: str,
    context: Mapping[str, Any] | None = None,
    *,
    status: int = 200,
    title: str = "",
    version: str | None = None,
) -> HTMLResponse:
    """Render a page template with the shared context; remembers an explicit ``?lang=``."""
    lang = language_of(request)
    settings = settings_of(request)
    principal: Principal = principal_of(request)
    t = partial(i18n.translate, lang)
    swatches = palette(version, lang)
    shared: dict[str, Any] = {
        "lang": lang,
        "other_lang": "en" if lang == "zh-CN" else "zh-CN",
        "t": t,
        "request": request,
        "path": request.url.path,
        "principal": principal,
        "title": title,
        "version": __version__,
        "swatches": swatches,
        "swatch_of": {s.level: s for s in swatches},
        "local_time": partial(local_time, settings=settings),
        "number": number,
        "age_text": partial(age_text, lang=lang),
        "switch_url": partial(switch_language_url, request),
        "pollutant_label": lambda key: POLLUTANT_LABELS.get(key, key),
        "name_of": lambda row: _name(row, lang),
        "aqi_level": level_of,
        "ui_config": {
            "lang": lang,
            "tz_minutes": _offset_minutes(settings),
            "messages": script_messages(lang),
            "categories": [s.as_json() for s in swatches],
        },
    }
    html = environment().get_template(template).render({**shared, **(context or {})})
    response = HTMLResponse(html, status_code=status)
    if request.query_params.get("lang") and i18n.normalise(request.query_params["lang"]):
        response.set_cookie(i18n.COOKIE, lang, max_age=365 * 24 * 3600, samesite="lax")
    return response


def script_messages(lang: str) -> dict[str, str]:
    """The messages the page scripts use (keys starting with ``js.``)."""
    return {k: v for k, v in i18n.messages(lang).items() if k.startswith("js.")}


def _offset_minutes(settings: Settings) -> int:
    offset = settings.tz.utcoffset(None)
    return int(offset.total_seconds() // 60) if offset is not None else 0


def _name(row: Any, lang: str) -> str:
    """The name of a station, parameter or dataset in the page language (falls back to Chinese)."""
    get = row.get if isinstance(row, Mapping) else partial(getattr, row)
    zh = get("name_zh", "") or ""
    en = get("name_en", "") or ""
    return (en or zh) if lang == "en" else (zh or en)

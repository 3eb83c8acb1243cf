"""Files the pages load: our scripts and styles, the vendor assets built from npm (Apache ECharts,
the Noto Sans SC font), and the region boundaries of the maps, read at run time from the folder
``web.regions_dir`` (the GeoJSON is not part of the package; no tile server is used)."""

from __future__ import annotations

import mimetypes
import re
from pathlib import Path
from typing import Final

from fastapi import APIRouter, Request
from fastapi.responses import FileResponse

from ecodata.errors import NotFoundError
from ecodata.settings import Settings
from ecodata.web.rendering import STATIC

router = APIRouter(include_in_schema=False)

_ADCODE: Final = re.compile(r"^[1-8]\d0000$")
_TYPES: Final = {
    ".js": "text/javascript; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".woff2": "font/woff2",
    ".json": "application/json",
    ".svg": "image/svg+xml",
}
_DAY: Final = 24 * 3600


def static_file(relative: str) -> Path:
    """A file under the static folder; ``NotFoundError`` for anything else (no ``..`` escapes)."""
    root = STATIC.resolve()
    target = (root / relative).resolve()
    if not target.is_relative_to(root) or not target.is_file():
        hint = " (run `make assets` to build the vendor files)" if "vendor/" in relative else ""
        raise NotFoundError(f"no static file {relative!r}{hint}")
    return target


@router.get("/static/{relative:path}")
def static(relative: str) -> FileResponse:
    target = static_file(relative)
    media = _TYPES.get(target.suffix) or mimetypes.guess_type(target.name)[0]
    age = _DAY if relative.startswith("vendor/") else 300
    return FileResponse(
        target, media_type=media, headers={"Cache-Control": f"public, max-age={age}"}
    )


def regions_file(settings: Settings, name: str) -> Path:
    """A GeoJSON file of the configured regions folder."""
    path = settings.web.regions_dir / "geojson" / name
    if not path.is_file():
        raise NotFoundError(
            f"region boundaries {path} not found: set ECODATA_WEB__REGIONS_DIR to the folder "
            "holding geojson/china_provinces.json and geojson/province_cities/"
        )
    return path


@router.get("/ui/regions/provinces.json")
def provinces(request: Request) -> FileResponse:
    settings: Settings = request.app.state.settings
    return FileResponse(
        regions_file(settings, "china_provinces.json"),
        media_type="application/json",
        headers={"Cache-Control": f"public, max-age={_DAY}"},
    )


@router.get("/ui/regions/cities/{adcode}.json")
def province_cities(request: Request, adcode: str) -> FileResponse:
    if not _ADCODE.match(adcode):
        raise NotFoundError(f"{adcode!r} is not a province code (GB/T 2260, e.g. 130000)")
    settings: Settings = request.app.state.settings
    return FileResponse(
        regions_file(settings, f"province_cities/{adcode}.json"),
        media_type="application/json",
        headers={"Cache-Control": f"public, max-age={_DAY}"},
    )

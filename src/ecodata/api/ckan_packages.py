"""Catalog entries as CKAN 2.x dictionaries (package, resource, organization, group, tag,
licence) and as search documents. Pure shaping: rows in, dicts out.

Field mapping (catalog guide → CKAN default schema): 信息资源名称 → ``title``, 摘要 → ``notes``,
提供方 → ``organization``, 主题 → ``groups``; the other core metadata (resource code, sharing
and open type, update cycle, responsibility…) travel in ``extras`` and as top-level fields, as
ckanext-scheming would show them.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from ecodata.catalog.downloads import Format
from ecodata.catalog.seed import TOPICS

#: Licences the catalog uses, in CKAN's ``license_list`` shape (Open Definition ids).
LICENCES: dict[str, dict[str, Any]] = {
    "CC-BY-4.0": {
        "title": "Creative Commons Attribution 4.0",
        "url": "https://creativecommons.org/licenses/by/4.0/",
        "open": True,
    },
    "notspecified": {
        "title": "License not specified (government publication)",
        "url": "",
        "open": False,
    },
}
_MIMETYPES = {
    Format.CSV: "text/csv",
    Format.JSON: "application/json",
    Format.PARQUET: "application/vnd.apache.parquet",
}


def stable_id(kind: str, name: str) -> str:
    return str(uuid.uuid5(uuid.NAMESPACE_URL, f"ecodata:{kind}:{name}"))


def ckan_time(value: datetime | None) -> str | None:
    if value is None:
        return None
    if value.tzinfo is not None:
        value = value.astimezone(UTC).replace(tzinfo=None)
    return value.isoformat()


def organization(dept: Mapping[str, Any], package_count: int | None = None) -> dict[str, Any]:
    out = {
        "id": stable_id("department", dept["code"]),
        "name": dept["code"],
        "title": dept["name_zh"] or dept["code"],
        "display_name": dept["name_zh"] or dept["code"],
        "description": "\n\n".join(x for x in (dept.get("name_en"), dept.get("description")) if x),
        "type": "organization",
        "is_organization": True,
        "state": "active",
        "approval_status": "approved",
        "image_url": "",
        "image_display_url": "",
        "created": ckan_time(dept.get("created_at")),
    }
    if package_count is not None:
        out["package_count"] = package_count
    return out


def group(name: str, package_count: int | None = None) -> dict[str, Any]:
    zh, en, _ = TOPICS.get(name, (name, name, ""))
    out = {
        "id": stable_id("topic", name),
        "name": name,
        "title": zh,
        "display_name": zh,
        "description": en,
        "type": "group",
        "is_organization": False,
        "state": "active",
        "approval_status": "approved",
        "image_url": "",
        "image_display_url": "",
    }
    if package_count is not None:
        out["package_count"] = package_count
    return out


def resource(row: Mapping[str, Any], fmt: Format, position: int, base_url: str) -> dict[str, Any]:
    name = row["name"]
    return {
        "id": stable_id("resource", f"{name}/{fmt.value}"),
        "package_id": row["uuid"],
        "url": f"{base_url}api/v1/datasets/{name}/download?format={fmt.value}",
        "name": f"{row['title_zh']}（{fmt.value.upper()}）",
        "description": f"{row['title_en']}: whole dataset as {fmt.value.upper()}; add start= and "
        "end= (ISO 8601) for a time range.",
        "format": "Parquet" if fmt is Format.PARQUET else fmt.value.upper(),
        "mimetype": _MIMETYPES[fmt],
        "size": None,
        "hash": "",
        "state": "active",
        "created": ckan_time(row["created_at"]),
        "last_modified": ckan_time(row["modified_at"]),
        "metadata_modified": ckan_time(row["modified_at"]),
        "position": position,
        "url_type": None,
        "resource_type": "file",
        "datastore_active": False,
        "cache_url": None,
        "mimetype_inner": None,
    }


def licence_id(row: Mapping[str, Any]) -> str:
    return str(row["licence"]) if row["licence"] in LICENCES else "notspecified"


def package(row: Mapping[str, Any], dept: Mapping[str, Any], base_url: str) -> dict[str, Any]:
    """The CKAN package dict of one catalog row (from ``catalog.datasets``)."""
    lic = licence_id(row)
    stats = row["statistics"]
    tags = [
        {
            "id": stable_id("tag", t),
            "name": t,
            "display_name": t,
            "state": "active",
            "vocabulary_id": None,
        }
        for t in row["tags"]
    ]
    extras_map = {
        "resource_code": row["resource_code"],
        "title_en": row["title_en"],
        "description_en": row["description_en"],
        "classification": row["classification"],
        "sharing_type": row["sharing_type"],
        "sharing_condition": row["sharing_condition"],
        "open_type": row["open_type"],
        "update_cycle": row["update_cycle"],
        "responsibility": row["responsibility"],
        "attribution": row["attribution"],
        "temporal_start": ckan_time(stats["first_time"]) or "",
        "temporal_end": ckan_time(stats["last_time"]) or "",
        "series": str(stats["series"]),
        "sites": str(stats["sites"]),
        "observations": str(stats["observations"]),
    }
    resources = [resource(row, f, i, base_url) for i, f in enumerate(Format)]
    return {
        "id": row["uuid"],
        "name": row["name"],
        "title": row["title_zh"],
        "notes": "\n\n".join(x for x in (row["description_zh"], row["description_en"]) if x),
        "url": f"{base_url}api/v1/datasets/{row['name']}",
        "version": None,
        "author": dept["name_zh"],
        "author_email": None,
        "maintainer": dept["name_zh"],
        "maintainer_email": None,
        "license_id": lic,
        "license_title": LICENCES[lic]["title"],
        "license_url": LICENCES[lic]["url"],
        "isopen": bool(LICENCES[lic]["open"]),
        "state": "active",
        "type": "dataset",
        "private": row["classification"] == "restricted",
        "owner_org": stable_id("department", dept["code"]),
        "organization": organization(dept),
        "groups": [group(t) for t in row["topics"]],
        "tags": tags,
        "extras": [{"key": k, "value": v} for k, v in extras_map.items()],
        **{k: v for k, v in extras_map.items() if k not in ("title_en", "description_en")},
        "metadata_created": ckan_time(row["created_at"]),
        "metadata_modified": ckan_time(row["modified_at"]),
        "creator_user_id": None,
        "num_resources": len(resources),
        "num_tags": len(tags),
        "relationships_as_subject": [],
        "relationships_as_object": [],
        "resources": resources,
    }

"""CKAN Action API (CKAN 2.x) at ``/api/3/action/{action}`` and ``/api/action/{action}``.

Conformance: the envelope ``{help, success, result}``; errors ``{help, success: false, error:
{__type, message}}`` with CKAN's ``__type`` strings and status codes (Not Found Error 404,
Authorization Error 401/403, Validation Error 409, Search Query Error 400); an unknown action
and a GET of an action with side effects are 400 with a bare JSON string, as CKAN answers; GET
and POST (JSON or form) for side-effect-free actions; unknown parameters are ignored; numbers
and booleans are accepted as strings (``ckanapi -g``); JSONP ``callback`` on GET.

Actions: package_list, package_search (``q fq fq_list rows start sort facet facet.field
facet.limit facet.mincount include_private``), package_show, resource_show,
current_package_list_with_resources, organization_list/show, group_list/show, tag_list,
license_list, status_show, help_show, site_read and package_patch (stewards). Organizations are
the departments, groups the topics. Not supported: the create/update/delete actions other than
package_patch, users, activity streams, DataStore, resource views, Solr syntax beyond the
``fq`` subset of :mod:`ecodata.catalog.search`.
"""

from __future__ import annotations

import inspect
import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel

from ecodata import __version__
from ecodata.api import ckan_packages as shape
from ecodata.api.auth import resolve
from ecodata.catalog import datasets as catalog
from ecodata.catalog.search import SearchQueryError, doc_of, search
from ecodata.catalog.seed import TOPICS
from ecodata.errors import AuthError, EcodataError, InputError, NotFoundError, PermissionDeniedError
from ecodata.security import accounts
from ecodata.security.access import restriction_for
from ecodata.security.principal import Principal
from ecodata.settings import Settings
from ecodata.store.stores import Stores

router = APIRouter(tags=["ckan"])

ROWS_MAX = 1000  # ckan.search.rows_max
_CALLBACK = re.compile(r"^[A-Za-z_$][\w$.]{0,99}$")


class CkanValidationError(InputError):
    """CKAN ``Validation Error`` (409): field → messages."""

    def __init__(self, fields: dict[str, list[str]]) -> None:
        super().__init__("; ".join(f"{k}: {' '.join(v)}" for k, v in fields.items()))
        self.fields = fields


@dataclass
class Call:
    """One action call: who, with what, against which stores."""

    stores: Stores
    settings: Settings
    principal: Principal
    params: dict[str, Any]
    base_url: str

    def rows(self) -> list[dict[str, Any]]:
        engine = self.stores.registry.engine
        return catalog.datasets(engine, restriction_for(engine, self.principal))

    def departments(self) -> dict[str, dict[str, Any]]:
        return {d["code"]: d for d in accounts.departments(self.stores.registry.engine)}

    def packages(self, *, include_private: bool = True) -> list[tuple[dict[str, Any], Any]]:
        depts = self.departments()
        out = []
        for row in self.rows():
            if row["classification"] == "restricted" and not include_private:
                continue
            out.append((shape.package(row, depts[row["department_code"]], self.base_url), row))
        return out

    # -- parameters: CKAN accepts strings for everything ------------------------------------

    def integer(self, name: str, default: int, low: int = 0, high: int | None = None) -> int:
        value = self.params.get(name, default)
        if value in (None, ""):
            return default
        try:
            number = int(str(value))
        except ValueError:
            raise CkanValidationError({name: ["Invalid integer"]}) from None
        if number < low or (high is not None and number > high):
            limit = f"between {low} and {high}" if high is not None else f"at least {low}"
            raise CkanValidationError({name: [f"Must be {limit}"]})
        return number

    def boolean(self, name: str, default: bool) -> bool:
        value = self.params.get(name, default)
        if isinstance(value, bool):
            return value
        text = str(value).strip().lower()
        if text in ("true", "1", "yes", "on"):
            return True
        if text in ("false", "0", "no", "off", ""):
            return False
        raise CkanValidationError({name: ["Value must be a boolean"]})

    def text(self, name: str, default: str = "") -> str:
        value = self.params.get(name, default)
        if isinstance(value, list):
            value = value[-1] if value else default
        return str(value) if value is not None else default

    def strings(self, name: str) -> list[str]:
        value = self.params.get(name)
        if value in (None, ""):
            return []
        if isinstance(value, str):
            try:
                value = json.loads(value)
            except ValueError:
                value = [value]
        if isinstance(value, str):
            value = [value]
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise CkanValidationError({name: ["Must be a list of strings"]})
        return value

    def required(self, name: str) -> str:
        value = self.text(name)
        if not value:
            raise CkanValidationError({name: ["Missing value"]})
        return value


# -- actions ----------------------------------------------------------------------------------


def package_list(call: Call) -> list[str]:
    """Names of the public datasets, sorted by name (``limit``, ``offset``)."""
    names = sorted(p["name"] for p, _ in call.packages(include_private=False))
    offset = call.integer("offset", 0)
    limit = call.integer("limit", len(names), 0)
    return names[offset : offset + limit]


def package_search(call: Call) -> dict[str, Any]:
    """Search datasets: ``q`` (Chinese and English full text), ``fq`` / ``fq_list`` (Solr-like
    filters), ``rows`` (≤ 1000), ``start``, ``sort``, ``facet.field``, ``facet.limit``,
    ``facet.mincount``, ``include_private``."""
    packages = call.packages(include_private=call.boolean("include_private", False))
    by_id = {p["id"]: p for p, _ in packages}
    docs = [doc_of(row) for _, row in packages]
    fq = " ".join([call.text("fq"), *call.strings("fq_list")])
    facet_fields = call.strings("facet.field") if call.boolean("facet", True) else []
    sort = call.text("sort") or "score desc, metadata_modified desc"
    result = search(
        docs,
        q=call.text("q"),
        fq=fq,
        sort=sort,
        start=call.integer("start", 0),
        rows=call.integer("rows", 10, 0, ROWS_MAX),
        facet_fields=facet_fields,
        facet_limit=call.integer("facet.limit", 50, -1),
        facet_mincount=call.integer("facet.mincount", 1),
    )
    search_facets = {
        name: {
            "title": name,
            "items": [
                {"name": value, "display_name": _display(name, value, packages), "count": n}
                for value, n in counts.items()
            ],
        }
        for name, counts in result.facets.items()
    }
    return {
        "count": result.count,
        "sort": sort,
        "facets": result.facets,
        "search_facets": search_facets,
        "results": [by_id[doc.key] for doc, _ in result.hits],
    }


def _display(field: str, value: str, packages: list[Any]) -> str:
    for pkg, _ in packages:
        if field == "organization" and pkg["organization"]["name"] == value:
            return str(pkg["organization"]["title"])
        if field == "groups":
            for g in pkg["groups"]:
                if g["name"] == value:
                    return str(g["title"])
    return value


def _package(call: Call, key: str) -> dict[str, Any]:
    for pkg, _ in call.packages():
        if key in (pkg["id"], pkg["name"]):
            return pkg
    try:
        catalog.dataset(call.stores.registry.engine, key)
    except NotFoundError:
        raise NotFoundError(f"Dataset not found: {key}") from None
    if not call.principal.authenticated:  # exists, but is restricted
        raise AuthError(f"User not authorized to read package {key}")
    raise PermissionDeniedError(f"User {call.principal.name} not authorized to read package {key}")


def package_show(call: Call) -> dict[str, Any]:
    """One dataset by ``id`` or name."""
    return _package(call, call.required("id"))


def resource_show(call: Call) -> dict[str, Any]:
    """One resource (a download of a dataset) by ``id``."""
    key = call.required("id")
    for pkg, _ in call.packages():
        for res in pkg["resources"]:
            if res["id"] == key:
                return dict(res)
    raise NotFoundError(f"Resource was not found: {key}")


def current_package_list_with_resources(call: Call) -> list[dict[str, Any]]:
    """Public datasets with their resources, most recently modified first."""
    packages = sorted(
        (p for p, _ in call.packages(include_private=False)),
        key=lambda p: p["metadata_modified"],
        reverse=True,
    )
    offset = call.integer("offset", 0)
    limit = call.integer("limit", len(packages))
    return packages[offset : offset + limit]


def _listing(call: Call, items: list[dict[str, Any]]) -> list[Any]:
    sort = call.text("sort", "name asc").split()
    key = sort[0] if sort else "name"
    if key not in ("name", "title", "package_count"):
        raise CkanValidationError({"sort": [f"Cannot sort by {key}"]})
    items.sort(key=lambda i: i.get(key) or "", reverse=len(sort) > 1 and sort[1] == "desc")
    offset = call.integer("offset", 0)
    full = call.boolean("all_fields", False)
    limit = call.integer("limit", 1000 if not full else 25, 0)
    page = items[offset : offset + limit]
    if not full:
        return [i["name"] for i in page]
    if not call.boolean("include_dataset_count", True):
        for i in page:
            i.pop("package_count", None)
    return page


def organization_list(call: Call) -> list[Any]:
    """Departments (names, or dicts with ``all_fields``)."""
    counts: dict[str, int] = {}
    for pkg, _ in call.packages(include_private=False):
        name = pkg["organization"]["name"]
        counts[name] = counts.get(name, 0) + 1
    items = [shape.organization(d, counts.get(c, 0)) for c, d in call.departments().items()]
    return _listing(call, items)


def group_list(call: Call) -> list[Any]:
    """Topics (names, or dicts with ``all_fields``)."""
    counts: dict[str, int] = {}
    for pkg, _ in call.packages(include_private=False):
        for g in pkg["groups"]:
            counts[g["name"]] = counts.get(g["name"], 0) + 1
    items = [shape.group(name, counts.get(name, 0)) for name in TOPICS]
    return _listing(call, items)


def organization_show(call: Call) -> dict[str, Any]:
    """One department by ``id`` or name, with its datasets if ``include_datasets``."""
    key = call.required("id")
    packages = call.packages(include_private=False)
    for code, dept in call.departments().items():
        org = shape.organization(dept)
        if key in (org["id"], code):
            mine = [p for p, _ in packages if p["organization"]["name"] == code]
            org["package_count"] = len(mine)
            if call.boolean("include_datasets", False):
                org["packages"] = mine
            return org
    raise NotFoundError(f"Organization not found: {key}")


def group_show(call: Call) -> dict[str, Any]:
    """One topic by ``id`` or name, with its datasets if ``include_datasets``."""
    key = call.required("id")
    packages = call.packages(include_private=False)
    for name in TOPICS:
        item = shape.group(name)
        if key in (item["id"], name):
            mine = [p for p, _ in packages if any(g["name"] == name for g in p["groups"])]
            item["package_count"] = len(mine)
            if call.boolean("include_datasets", False):
                item["packages"] = mine
            return item
    raise NotFoundError(f"Group not found: {key}")


def tag_list(call: Call) -> list[Any]:
    """Tags of the public datasets (``query`` filters by substring; ``all_fields``)."""
    if call.text("vocabulary_id"):
        return []
    tags: dict[str, dict[str, Any]] = {}
    for pkg, _ in call.packages(include_private=False):
        for tag in pkg["tags"]:
            tags[tag["name"]] = tag
    wanted = call.text("query").lower()
    names = sorted(n for n in tags if wanted in n.lower())
    return [tags[n] for n in names] if call.boolean("all_fields", False) else names


def license_list(call: Call) -> list[dict[str, Any]]:
    """The licences the catalog uses."""
    return [
        {
            "id": key,
            "title": lic["title"],
            "url": lic["url"],
            "od_conformance": "approved" if lic["open"] else "not reviewed",
            "osd_conformance": "not reviewed",
            "status": "active",
        }
        for key, lic in shape.LICENCES.items()
    ]


def status_show(call: Call) -> dict[str, Any]:
    """Site information."""
    return {
        "site_title": "ecodata 生态环境数据目录",
        "site_description": "Catalog of ecological-environment monitoring data",
        "site_url": call.base_url.rstrip("/"),
        "ckan_version": "2.10.0",
        "ecodata_version": __version__,
        "locale_default": "zh_Hans_CN",
        "extensions": ["dcat"],
        "error_emails_to": None,
    }


def help_show(call: Call) -> str:
    """The documentation of an action (``name``)."""
    name = call.required("name")
    action = ACTIONS.get(name)
    if action is None:
        raise NotFoundError(f"Action function not found: {name}")
    return inspect.cleandoc(action.function.__doc__ or "")


def site_read(_call: Call) -> bool:
    """Whether the site may be read: always."""
    return True


def package_patch(call: Call) -> dict[str, Any]:
    """Change fields of a dataset (stewards): ``title``, ``notes``, ``tags`` [{name}], and the
    catalog fields ``classification``, ``sharing_type``, ``sharing_condition``, ``open_type``,
    ``update_cycle``."""
    key = call.required("id")
    pkg = _package(call, key)
    changes: dict[str, Any] = {}
    if "title" in call.params:
        changes["title_zh"] = call.text("title")
    if "notes" in call.params:
        changes["description_zh"] = call.text("notes")
    if "tags" in call.params:
        tags = call.params["tags"]
        if not isinstance(tags, list) or not all(isinstance(t, dict) and "name" in t for t in tags):
            raise CkanValidationError({"tags": ["Must be a list of {name: …} objects"]})
        changes["tags"] = [str(t["name"]) for t in tags]
    for name in (
        "classification",
        "sharing_type",
        "sharing_condition",
        "open_type",
        "update_cycle",
    ):
        if name in call.params:
            changes[name] = call.text(name)
    try:
        catalog.update(call.stores.registry.engine, call.principal, pkg["name"], changes)
    except (AuthError, PermissionDeniedError, NotFoundError):
        raise
    except InputError as exc:
        raise CkanValidationError({"__all__": [str(exc)]}) from None
    return _package(call, pkg["name"])


@dataclass(frozen=True)
class Action:
    function: Callable[[Call], Any]
    side_effect_free: bool = True


ACTIONS: dict[str, Action] = {
    f.__name__: Action(f)
    for f in (
        package_list,
        package_search,
        package_show,
        resource_show,
        current_package_list_with_resources,
        organization_list,
        organization_show,
        group_list,
        group_show,
        tag_list,
        license_list,
        status_show,
        help_show,
        site_read,
    )
} | {"package_patch": Action(package_patch, side_effect_free=False)}


# -- HTTP -------------------------------------------------------------------------------------

_ERRORS: list[tuple[type[EcodataError], int, str]] = [
    (NotFoundError, 404, "Not Found Error"),
    (AuthError, 401, "Authorization Error"),
    (PermissionDeniedError, 403, "Authorization Error"),
    (CkanValidationError, 409, "Validation Error"),
    (SearchQueryError, 400, "Search Query Error"),
    (InputError, 409, "Validation Error"),
]
_PREFIX = {
    "Not Found Error": "Not found",
    "Authorization Error": "Access denied",
    "Search Query Error": "Search Query is invalid",
    "Validation Error": "",
}


class Envelope(BaseModel):
    help: str
    success: bool
    result: Any = None
    error: dict[str, Any] | None = None


def _bad_request(message: str) -> JSONResponse:
    return JSONResponse(f"Bad request - {message}", 400)


async def _params(request: Request) -> dict[str, Any] | JSONResponse:
    if request.method == "GET":
        params: dict[str, Any] = {}
        for key in request.query_params:
            values = request.query_params.getlist(key)
            params[key] = values if len(values) > 1 else values[0]
        return params
    body = await request.body()
    kind = request.headers.get("content-type", "")
    if "form" in kind:
        form = await request.form()
        return {k: v for k, v in form.items() if isinstance(v, str)}
    if not body.strip():
        return {}
    try:
        parsed = json.loads(body)
    except (ValueError, UnicodeDecodeError) as exc:
        return _bad_request(f"JSON Error: Error decoding JSON data. Error: {exc}")
    if not isinstance(parsed, dict):
        return _bad_request("JSON Error: Request data JSON decoded to a non-dict")
    return parsed


async def handle(request: Request, action: str) -> Response:
    help_url = f"{request.base_url}api/3/action/help_show?name={action}"
    found = ACTIONS.get(action)
    if found is None:
        return JSONResponse(f"Bad request: Action name not known: {action}", 400)
    if request.method == "GET" and not found.side_effect_free:
        return _bad_request("JSON Error: Invalid request. Please use POST method for your request")
    params = await _params(request)
    if isinstance(params, JSONResponse):
        return params
    callback = params.pop("callback", None) if request.method == "GET" else None
    params.pop("_", None)  # jQuery cache buster
    try:
        principal = resolve(request, ckan=True)
        call = Call(
            request.app.state.stores,
            request.app.state.settings,
            principal,
            params,
            str(request.base_url),
        )
        result = found.function(call)
    except EcodataError as exc:
        return _error(exc, help_url)
    body = {"help": help_url, "success": True, "result": result}
    if isinstance(callback, str) and _CALLBACK.match(callback):
        text = f"{callback}({json.dumps(body, ensure_ascii=False, default=str)});"
        return Response(text, media_type="application/javascript")
    return JSONResponse(body)


def _error(exc: EcodataError, help_url: str) -> JSONResponse:
    status, name = next(
        ((code, label) for kind, code, label in _ERRORS if isinstance(exc, kind)),
        (500, "Internal Server Error"),
    )
    error: dict[str, Any] = {"__type": name}
    if isinstance(exc, CkanValidationError):
        error.update(exc.fields)
    else:
        prefix = _PREFIX.get(name, "")
        error["message"] = f"{prefix}: {exc}" if prefix else str(exc)
    return JSONResponse({"help": help_url, "success": False, "error": error}, status)


_RESPONSES: dict[int | str, dict[str, Any]] = {
    200: {"model": Envelope, "description": "CKAN envelope: success with the action's result"},
    400: {
        "description": "Unknown action, GET of an action with side effects, bad JSON, or a "
        "Search Query Error"
    },
    401: {"description": "Authorization Error (not signed in or bad key)"},
    403: {"description": "Authorization Error (signed in without the rights)"},
    404: {"description": "Not Found Error"},
    409: {"description": "Validation Error"},
}


def _action_route(path: str, method: str, version: str) -> None:
    async def call_action(request: Request, action: str) -> Response:
        return await handle(request, action)

    call_action.__doc__ = f"Call a CKAN action ({version}) with {method}."
    router.add_api_route(
        path,
        call_action,
        methods=[method],
        responses=_RESPONSES,
        operation_id=f"ckan_{version}_{method.lower()}",
    )


for _path, _version in (("/api/3/action/{action}", "v3"), ("/api/action/{action}", "latest")):
    for _method in ("GET", "POST"):
        _action_route(_path, _method, _version)

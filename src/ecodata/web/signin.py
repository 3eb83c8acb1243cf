"""Signing in and out of the web UI. The form checks the password with the same core functions as
``POST /api/v1/token`` (OAuth 2.0 password grant) and keeps the login token in an HttpOnly cookie
that lives as long as the token (``security.token_minutes``). Every attempt is audited."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from ecodata.errors import AuthError
from ecodata.security import accounts, audit, tokens
from ecodata.security.principal import Principal
from ecodata.web.page_data import stores_of
from ecodata.web.page_route import PageRoute
from ecodata.web.rendering import render, settings_of
from ecodata.web.session import COOKIE, client_of

router = APIRouter(include_in_schema=False, route_class=PageRoute)


def safe_next(target: str | None) -> str:
    """Only local paths are followed after signing in (no open redirect)."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return "/"
    return target


@router.get("/login", response_class=HTMLResponse)
def login_form(
    request: Request, next: Annotated[str | None, Query(max_length=2000)] = None
) -> HTMLResponse:
    return render(request, "login.html", {"next": safe_next(next), "error": None})


@router.post("/login", response_class=HTMLResponse)
def login(
    request: Request,
    username: Annotated[str, Form(max_length=100)],
    password: Annotated[str, Form(max_length=1000)],
    next: Annotated[str | None, Form(max_length=2000)] = None,
) -> Response:
    settings = settings_of(request)
    engine = stores_of(request).registry.engine
    client = client_of(request)
    try:
        principal = accounts.principal_for_password(engine, username, password, "token")
    except AuthError as exc:
        audit.record(engine, Principal(username[:100], None, client=client), "auth.login",
                     username, outcome="failed", detail={"via": "web"})  # fmt: skip
        return render(
            request,
            "login.html",
            {"next": safe_next(next), "error": str(exc), "username": username},
            status=401,
        )
    minutes = settings.security.token_minutes
    token = tokens.issue(principal.name, settings.secret(), minutes)
    audit.record(engine, principal.at(client), "auth.login", principal.name, detail={"via": "web"})
    response = RedirectResponse(safe_next(next), status_code=303)
    response.set_cookie(
        COOKIE,
        token,
        max_age=minutes * 60,
        httponly=True,
        samesite="lax",
        secure=request.url.scheme == "https",
    )
    return response


@router.post("/logout")
def logout() -> Response:
    response = RedirectResponse("/", status_code=303)
    response.delete_cookie(COOKIE)
    return response

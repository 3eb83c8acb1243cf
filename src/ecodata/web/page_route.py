"""Routes of HTML pages: errors become pages (a sign-in redirect for 401, an error page for 403,
404 and 400) instead of the API's JSON error bodies."""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from typing import Any
from urllib.parse import quote

from fastapi import Request, Response
from fastapi.responses import RedirectResponse
from fastapi.routing import APIRoute

from ecodata.errors import AuthError, InputError, NotFoundError, PermissionDeniedError
from ecodata.web.rendering import render

_STATUS: list[tuple[type[Exception], int, str]] = [
    (NotFoundError, 404, "error.not_found"),
    (PermissionDeniedError, 403, "error.forbidden"),
    (InputError, 400, "error.bad_request"),
]


class PageRoute(APIRoute):
    """An APIRoute whose errors are rendered for people."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def page_handler(request: Request) -> Response:
            try:
                return await handler(request)
            except AuthError:
                target = request.url.path
                if request.url.query:
                    target += f"?{request.url.query}"
                return RedirectResponse(f"/login?next={quote(target, safe='')}", status_code=303)
            except (NotFoundError, PermissionDeniedError, InputError) as exc:
                for kind, status, key in _STATUS:
                    if isinstance(exc, kind):
                        return render(
                            request,
                            "error.html",
                            {"status": status, "heading": key, "message": str(exc)},
                            status=status,
                        )
                raise

        return page_handler

"""The marketers' dashboard: an admin key entered once, then live KPIs.

The page's script polls ``GET /v1/dashboard`` (see :mod:`shopstream.api.dashboard`), which
takes the same signed cookie.
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from starlette.responses import RedirectResponse, Response

from shopstream.api.sessions import ADMIN_COOKIE, admin_session, clear_session, sign_in_admin
from shopstream.web.rendering import read_form, render

router = APIRouter(prefix="/dashboard", include_in_schema=False)


@router.get("")
async def dashboard(request: Request) -> Response:
    if not admin_session(request):
        return render(request, "dashboard/sign_in.html", {"error": None})
    return render(request, "dashboard/app.html", {"config": {"refreshSeconds": 2}})


@router.post("/sign-in")
async def sign_in(request: Request) -> Response:
    form = await read_form(request)
    response = RedirectResponse("/dashboard", status_code=303)
    if not sign_in_admin(request, response, form.get("key", "").strip()):
        error = "That is not an admin key."
        return render(request, "dashboard/sign_in.html", {"error": error}, status=401)
    return response


@router.post("/sign-out")
async def sign_out() -> Response:
    response = RedirectResponse("/dashboard", status_code=303)
    clear_session(response, ADMIN_COOKIE)
    return response

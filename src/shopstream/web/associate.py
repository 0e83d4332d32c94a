"""The store-associate app: sign-in to one store, then that store's page.

The page is a shell; its script reads everything from ``/v1/associate/stores/{store}/...``,
which checks the same session (see :mod:`shopstream.api.associate`).
"""

from __future__ import annotations

import time

from fastapi import APIRouter, Request
from starlette.responses import RedirectResponse, Response

from shopstream.api.sessions import (
    ASSOCIATE_COOKIE,
    AssociateSession,
    associate_session,
    clear_session,
    sign_in_associate,
)
from shopstream.api.shop import engine_of
from shopstream.web.rendering import read_form, render

router = APIRouter(prefix="/associate", include_in_schema=False)


def _sign_in_page(
    request: Request, *, error: str | None = None, status: int = 200, store_id: str = ""
) -> Response:
    stores = [{"id": s.id, "name": s.name} for s in engine_of(request).catalog.stores()]
    context = {
        "stores": stores,
        "error": error,
        "store_id": store_id,
        "configured": len(request.app.state.associates) > 0,
    }
    return render(request, "associate/sign_in.html", context, status=status)


@router.get("")
async def start(request: Request) -> Response:
    """The sign-in form, or the signed-in associate's store."""
    session = associate_session(request)
    if session is not None:
        return RedirectResponse(f"/associate/stores/{session.store_id}", status_code=303)
    return _sign_in_page(request)


@router.post("/sign-in")
async def sign_in(request: Request) -> Response:
    form = await read_form(request)
    store_id, associate_id, pin = (
        form.get(k, "").strip() for k in ("store_id", "associate_id", "pin")
    )
    associate = request.app.state.associates.authenticate(
        store_id, associate_id, pin, now=time.monotonic()
    )
    if associate is None:
        error = "That associate id, store and PIN do not match."
        return _sign_in_page(request, error=error, status=401, store_id=store_id)
    response = RedirectResponse(f"/associate/stores/{associate.store_id}", status_code=303)
    sign_in_associate(
        request, response, AssociateSession(associate.id, associate.name, associate.store_id)
    )
    return response


@router.post("/sign-out")
async def sign_out() -> Response:
    response = RedirectResponse("/associate", status_code=303)
    clear_session(response, ASSOCIATE_COOKIE)
    return response


@router.get("/stores/{store_id}")
async def store_page(request: Request, store_id: str) -> Response:
    session = associate_session(request)
    if session is None:
        return RedirectResponse("/associate", status_code=303)
    if session.store_id != store_id:
        message = f"You are signed in at {session.store_id}; this is {store_id}'s view."
        return render(
            request, "error.html", {"title": "Not your store", "message": message}, status=403
        )
    store = engine_of(request).catalog.store(store_id)  # type: ignore[arg-type]
    config = {
        "storeId": store_id,
        "storeName": store.name if store else store_id,
        "associate": {"id": session.associate_id, "name": session.name},
    }
    return render(request, "associate/app.html", {"config": config, "session": session})

"""The people's side: the store-associate app, the marketers' dashboard and the demo storefront.

Pages are Jinja2 templates (the ``web`` extra) rendered by thin routers; everything they show
comes through the API: the pages' scripts call its JSON endpoints, and the storefront's server
side reads the catalogue through :mod:`shopstream.api.shop`. Static files are served under
``/static/``: our tracker ``shopstream.js``, the pages' scripts and styles, and Chart.js
vendored from npm (``static/vendor/``).

- ``/associate``: a tablet app for store associates, who sign in to one store with their id
  and PIN (``associates_file``; see :mod:`shopstream.api.associates`); a signed cookie keeps
  the session. They can open only their own store's view, and every profile they open is
  audit-logged (``GET /v1/audit``).
- ``/dashboard``: live KPIs for marketers, after an admin key is entered once (kept as a
  signed cookie holding the key's fingerprint, never the key).
- ``/shop``: the demo storefront. **Served only with the ``demo`` setting on**
  (``SHOPSTREAM_DEMO=1``, or ``app.state.demo = True``): its pages carry a write key and a
  server key so that the browser can send events and ask for recommendations, as a
  retailer's site would with keys of its own. Never turn it on where strangers can reach it;
  a real site sends events with a write key only, and asks for recommendations from its
  server.
"""

from __future__ import annotations

from fastapi import FastAPI
from starlette.staticfiles import StaticFiles

from shopstream.web import associate, dashboard, shop
from shopstream.web.rendering import STATIC_DIR


def include(app: FastAPI) -> None:
    """Add the pages and static files to ``app``."""
    app.include_router(shop.router)
    app.include_router(associate.router)
    app.include_router(dashboard.router)
    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")


__all__ = ("include",)

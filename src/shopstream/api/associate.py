"""The associate app's API: one store's view of customers, stock and who is nearby.

Every route is under ``/v1/associate/stores/{store_id}`` and needs the signed-in associate
of that store (:func:`~shopstream.api.sessions.require_associate`): 401 without a session,
403 for another store's view. Opening a customer is audit-logged before anything is shown.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from typing import Annotated, Any

import orjson
from fastapi import APIRouter, Query, Request
from starlette.responses import StreamingResponse

from shopstream.api.errors import ProblemError
from shopstream.api.responses import JSON, camelize
from shopstream.api.sessions import AssociateSession, require_associate
from shopstream.catalog import ONLINE, Store
from shopstream.core import CustomerId, ProductId, StoreId, utcnow
from shopstream.engine import Engine
from shopstream.events import IdType
from shopstream.identity import UnknownCustomer
from shopstream.profiles import AuditEntry, PresenceChange, present_at
from shopstream.recommend import Placement, RecommendRequest

logger = logging.getLogger(__name__)

router = APIRouter(prefix="/v1/associate/stores/{store_id}", tags=["associate"])

_KNOWN = frozenset(
    {IdType.USER_ID, IdType.EMAIL, IdType.PHONE, IdType.LOYALTY_ID, IdType.CARD_TOKEN}
)
_PHONE_CHARS = frozenset("+0123456789 ()-.")
_LOOKUP_LIMIT = 20
_STREAM_SECONDS = 300.0  # then the browser's EventSource reconnects
_KEEPALIVE_SECONDS = 15.0


def _store_context(request: Request, store_id: str) -> tuple[Engine, AssociateSession, Store]:
    session = require_associate(request, store_id)
    engine: Engine = request.app.state.engine
    store = engine.catalog.store(StoreId(store_id))
    if store is None:
        raise ProblemError(404, "catalog.unknown-store", f"no store {store_id!r}", field="storeId")
    return engine, session, store


async def _audit(
    engine: Engine, session: AssociateSession, customer_id: CustomerId, action: str
) -> None:
    entry = AuditEntry(
        utcnow(), session.associate_id, "associate", customer_id, action, StoreId(session.store_id)
    )
    await engine.audit.record(entry)


def _known_customer(engine: Engine, customer_id: str) -> CustomerId:
    """The customer (404 when there is none)."""
    cid = CustomerId(customer_id)
    engine.graph.identifiers_of(cid)  # raises UnknownCustomer: a 404
    return cid


def _shelf(engine: Engine, store: Store, product_id: str) -> dict[str, Any]:
    """A product as an associate sees it: stock here and the zone where it is."""
    catalog = engine.catalog
    product = catalog.product(ProductId(product_id))
    zone = catalog.zone_for(store.id, product.category) if product is not None else None
    return {
        "product_id": product_id,
        "name": product.name if product else product_id,
        "brand": product.brand if product else None,
        "price": product.price if product else None,
        "category": " > ".join(product.category) if product else None,
        "stock_here": catalog.available(ProductId(product_id), store.id),
        "zone": {"id": zone.id, "name": zone.name} if zone else None,
    }


def _name(traits: dict[str, object]) -> str | None:
    parts = [traits.get(k) for k in ("first_name", "last_name")]
    full = " ".join(p for p in parts if isinstance(p, str) and p)
    name = traits.get("name")
    return full or (name if isinstance(name, str) and name else None)


# -- look-up ---------------------------------------------------------------------------------


def _lookup(engine: Engine, text: str) -> list[CustomerId]:
    """Customers by loyalty id, email, phone, user id, or else by name."""
    candidates: list[tuple[str, str]] = []
    if "@" in text:
        candidates.append((IdType.EMAIL, text))
    elif set(text) <= _PHONE_CHARS and sum(c.isdigit() for c in text) >= 7:
        candidates.append((IdType.PHONE, text))
    candidates += [
        (IdType.LOYALTY_ID, text),
        (IdType.LOYALTY_ID, text.upper()),
        (IdType.USER_ID, text),
    ]
    found: list[CustomerId] = []
    for id_type, value in candidates:
        try:
            customer_id = engine.customer(id_type, value)
        except (UnknownCustomer, ValueError):
            continue
        if customer_id not in found:
            found.append(customer_id)
    if not found and "@" not in text:
        found = engine.search_customers(text, _LOOKUP_LIMIT)
    return found[:_LOOKUP_LIMIT]


def _summary(engine: Engine, store: Store, customer_id: CustomerId) -> dict[str, Any]:
    profile = engine.profiles.get(customer_id)
    traits = dict(profile.traits or {}) if profile else {}
    visits = (profile.visits or {}).get(store.id) if profile else None
    return {
        "customer_id": customer_id,
        "name": _name(traits),
        "loyalty_id": traits.get("loyalty_id"),
        "email": traits.get("email"),
        "orders": profile.order_count if profile else 0,
        "visits_here": visits.count if visits else 0,
        "here_now": bool(profile and profile.store_id == store.id),
    }


@router.get("/customers")
async def customers(
    request: Request, store_id: str, q: Annotated[str, Query(min_length=1, max_length=200)]
) -> JSON:
    """Find customers by loyalty id, email, phone or name."""
    engine, _, store = _store_context(request, store_id)
    found = _lookup(engine, q.strip())
    return JSON({"customers": [camelize(_summary(engine, store, c)) for c in found]})


# -- one customer ------------------------------------------------------------------------------


@router.get("/customers/{customer_id}")
async def customer(request: Request, store_id: str, customer_id: str) -> JSON:
    """The customer as this store sees them; the view is audit-logged first."""
    engine, session, store = _store_context(request, store_id)
    cid = _known_customer(engine, customer_id)
    await _audit(engine, session, cid, "profile.view")
    return JSON(camelize(_store_view(engine, store, engine.profile(cid))))


def _store_view(engine: Engine, store: Store, view: dict[str, Any]) -> dict[str, Any]:
    view.pop("merges", None)
    traits = view.get("traits") or {}
    shelf = {pid: _shelf(engine, store, pid) for pid in _products_of(view)}
    view["name"] = _name(traits)
    if view.get("cart"):
        view["cart"]["lines"] = [
            {**shelf[line["product_id"]], "quantity": line["quantity"]}
            for line in view["cart"]["lines"]
        ]
    view["wishlist"] = [shelf[pid] for pid in view.get("wishlist", [])]
    view["recently_viewed"] = [
        {**shelf[item["product_id"]], "at": item["at"]} for item in view.get("recently_viewed", [])
    ]
    for order in view.get("orders", []):
        where = engine.catalog.store(StoreId(order["store_id"])) if order["store_id"] else None
        order["store_name"] = where.name if where else None
        for item in order["items"]:
            item["name"] = shelf[item["product_id"]]["name"]
    presence = view.get("presence")
    if presence:
        here = presence["store_id"] == store.id
        zone = store.zone(presence["zone_id"]) if here and presence["zone_id"] else None
        presence.update(here=here, zone_name=zone.name if zone else None)
    view["store"] = {"id": store.id, "name": store.name}
    return view


def _products_of(view: dict[str, Any]) -> set[str]:
    ids = {line["product_id"] for line in (view.get("cart") or {}).get("lines", [])}
    ids.update(view.get("wishlist", []))
    ids.update(item["product_id"] for item in view.get("recently_viewed", []))
    for order in view.get("orders", []):
        ids.update(item["product_id"] for item in order["items"])
    return ids


@router.get("/customers/{customer_id}/recommendations")
async def recommendations(
    request: Request,
    store_id: str,
    customer_id: str,
    limit: Annotated[int, Query(ge=1, le=50)] = 8,
) -> JSON:
    """Recommendations for the customer in this store (placement ``associate``), with the
    stock here and the zone where each product is; logged as an exposure like any other."""
    engine, session, store = _store_context(request, store_id)
    cid = _known_customer(engine, customer_id)
    await _audit(engine, session, cid, "recommendations.view")
    ask = RecommendRequest(placement=Placement.ASSOCIATE, limit=limit, store_id=store.id)
    decision_id, items = engine.recommend(cid, ask, channel="store")
    shown = [
        {"score": item.score, "reason": item.reason, "in_stock": item.in_stock,
         **_shelf(engine, store, item.product_id)}
        for item in items
    ]  # fmt: skip
    return JSON({"decisionId": decision_id, "items": camelize(shown)})


# -- catalogue -----------------------------------------------------------------------------------


@router.get("/products")
async def products(
    request: Request, store_id: str, q: Annotated[str, Query(min_length=1, max_length=200)]
) -> JSON:
    """Search the catalogue, with stock here, online and in the other stores."""
    engine, _, store = _store_context(request, store_id)
    items = []
    for product in engine.catalog.search(q, 20):
        levels = engine.catalog.stock_by_location(product.id)
        others = [
            {"store_id": location, "name": found.name, "quantity": quantity}
            for location, quantity in sorted(levels.items())
            if location not in (store.id, ONLINE)
            and quantity > 0
            and (found := engine.catalog.store(location)) is not None
        ]
        items.append(
            {
                **_shelf(engine, store, product.id),
                "stock_online": engine.catalog.available(product.id, None),
                "other_stores": others,
            }
        )
    return JSON({"products": camelize(items)})


# -- customers nearby ----------------------------------------------------------------------------


def _nearby_card(
    engine: Engine, store: Store, customer_id: CustomerId, change: PresenceChange | None
) -> dict[str, Any] | None:
    """What the feed shows of a known customer in this store; ``None`` for anonymous ones."""
    try:
        identifiers = engine.graph.identifiers_of(customer_id)
    except UnknownCustomer:
        return None
    if not any(i.type in _KNOWN for i in identifiers):
        return None
    profile = engine.profiles.get(customer_id)
    if profile is None:
        return None
    traits = profile.traits or {}
    zone_id = change.zone_id if change else profile.zone_id
    zone = store.zone(zone_id) if zone_id else None
    visits = (profile.visits or {}).get(store.id)
    return camelize(
        {
            "customer_id": customer_id,
            "name": _name(traits) or "A known customer",
            "loyalty_id": traits.get("loyalty_id"),
            "entered": change.entered if change else True,
            "at": change.at if change else None,
            "zone": {"id": zone.id, "name": zone.name} if zone else None,
            "visits_here": visits.count if visits else 0,
            "cart_items": sum((profile.cart or {}).values()),
            "orders": profile.order_count,
        }
    )


def _sse(event: str, data: dict[str, Any]) -> bytes:
    return b"event: " + event.encode() + b"\ndata: " + orjson.dumps(data) + b"\n\n"


@router.get("/nearby")
async def nearby(request: Request, store_id: str) -> StreamingResponse:
    """Server-sent events: ``present`` for each known customer in the store when the feed
    opens, then ``enter`` and ``exit`` as known customers come and go or change zone."""
    engine, _, store = _store_context(request, store_id)

    async def stream() -> AsyncIterator[bytes]:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + _STREAM_SECONDS
        with engine.presence.subscribe() as changes:
            yield b"retry: 2000\n\n"
            for customer_id in present_at(engine.profiles, store.id, utcnow())[:50]:
                card = _nearby_card(engine, store, customer_id, None)
                if card is not None:
                    yield _sse("present", card)
            while loop.time() < deadline:
                try:
                    change = await asyncio.wait_for(changes.get(), _KEEPALIVE_SECONDS)
                except TimeoutError:
                    yield b": keep-alive\n\n"
                    continue
                if change.store_id != store.id:
                    continue
                card = _nearby_card(engine, store, change.customer_id, change)
                if card is not None:
                    yield _sse("enter" if change.entered else "exit", card)

    headers = {"Cache-Control": "no-cache", "X-Accel-Buffering": "no"}
    return StreamingResponse(stream(), media_type="text/event-stream", headers=headers)

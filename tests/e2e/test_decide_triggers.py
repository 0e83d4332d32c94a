"""Every trigger type end to end through HTTP: events in through ``/v1/batch``, the
activation written to the outbox (``GET /v1/outbox``) and, for the same trigger, no action
when consent is withdrawn, when the channel's daily cap is reached, or in quiet hours.

One real server for the module, with a short absence window (1 s) and a fast clock tick, and
fresh customers per scenario. In each test the customers who must get nothing act before
the one who must get something, so once the latter's activation is in the outbox the
others' events (and timers, which fire in due order) have been processed too.
"""

from __future__ import annotations

import contextlib
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from shopstream.events import Identifier, IdType
from shopstream.identity import canonical_id
from shopstream.testing import Namespace, ServerProcess, scaled_out, scaleout_namespace, zone_at

pytestmark = pytest.mark.e2e

TRIGGERS = """\
triggers:
  - id: big-order
    type: event
    on: Order Completed
    if: "properties.total >= 100"
    offers: [thanks]
  - id: cart-abandonment
    type: absence
    on: Product Added
    absent: [Order Completed]
    within: 1s
    offers: [cart-note, cart-10]
  - id: browse-abandonment
    type: absence
    on: Product Viewed
    if: "properties.category == 'Garden'"
    absent: [Product Added]
    within: 1s
    offers: [browse-note]
  - id: aisle
    type: proximity
    min_affinity: 0.2
    offers: [aisle-push]
  - id: gold
    type: segment_entry
    segment: gold
    offers: [gold-note]
  - id: restock
    type: back_in_stock
    offers: [stock-note]
  - id: cheaper
    type: price_drop
    min_drop: 0.1
    offers: [price-note]
"""
OFFERS = """\
eligibility:
  caps: {push: 1, email: 1}
  quiet_hours: {start: "22:00", end: "06:00", channels: [push, email]}
offers:
  - {id: thanks, kind: message, channels: [push], content: {title: Thanks}}
  - {id: cart-note, kind: message, channels: [email], content: {title: Your cart}}
  - {id: cart-10, channels: [email], discount: {percent: 10}, budget: 100}
  - {id: browse-note, kind: recommendation, channels: [email]}
  - {id: aisle-push, channels: [push], discount: {percent: 15}}
  - {id: gold-note, kind: message, channels: [email]}
  - {id: stock-note, kind: message, channels: [push]}
  - {id: price-note, kind: message, channels: [push]}
"""
SEGMENTS = """\
segments:
  - id: gold
    when: "traits.tier == 'gold'"
"""
KETTLE = {"product_id": "kettle", "name": "Glass kettle", "category": "Home > Kitchen",
          "price": 39.0}  # fmt: skip


@pytest.fixture(scope="module", params=["embedded", "scaleout"])
def server(
    tmp_path_factory: pytest.TempPathFactory, request: pytest.FixtureRequest
) -> Iterator[ServerProcess]:
    """One server for the trigger tests, on each backend in turn."""
    root: Path = tmp_path_factory.mktemp("decide-e2e")
    config = root / "decide"
    config.mkdir()
    for kind, text in (("triggers", TRIGGERS), ("offers", OFFERS), ("segments", SEGMENTS)):
        (config / f"{kind}.yaml").write_text(text)
    process = ServerProcess(
        root / "data",
        extra_env={"SHOPSTREAM_DECIDE_TICK_SECONDS": "0.1"},
        extra_args=["--config-dir", str(config)],
    )
    with contextlib.ExitStack() as stack:
        if request.param == "scaleout":
            scaled_out(process, stack.enter_context(scaleout_namespace()))
        yield stack.enter_context(_with_stores(process))


@contextlib.contextmanager
def _with_stores(process: ServerProcess) -> Iterator[ServerProcess]:
    with process as running:
        stores = {"stores": [{"id": "s1", "name": "Chiado", "lat": 38.7, "lon": -9.1,
                              "zones": [{"id": "z-kitchen", "name": "Kitchen",
                                         "categories": ["Home > Kitchen"]},
                                        {"id": "z-garden", "name": "Garden",
                                         "categories": ["Garden"]}]}]}  # fmt: skip
        response = httpx.put(running.url + "/v1/stores", json=stores,
                             headers=running.admin_headers())  # fmt: skip
        assert response.status_code == 200, response.text
        yield running


class Shop:
    """Sends events for named shoppers and reads the outbox."""

    def __init__(self, server: ServerProcess) -> None:
        self.server = server
        self.run = uuid.uuid4().hex[:8]

    def user(self, name: str) -> str:
        return f"{name}-{self.run}"

    def customer(self, name: str) -> str:
        return canonical_id(Identifier(IdType.USER_ID, self.user(name)))

    def send(self, *events: dict[str, Any]) -> None:
        batch = []
        for event in events:
            event = {"type": "track", **event}
            if "user" in event:
                event["userId"] = self.user(event.pop("user"))
            batch.append(event)
        response = httpx.post(self.server.url + "/v1/batch", json={"batch": batch},
                              auth=(self.server.write_key, ""))  # fmt: skip
        assert response.status_code == 200, response.text

    def identify(self, name: str, **traits: Any) -> None:
        self.send({"type": "identify", "user": name, "traits": {"timezone": zone_at(12), **traits}})

    def track(self, who: str, event: str, /, **properties: Any) -> None:
        self.send({"user": who, "event": event, "properties": properties})

    def activations(self, trigger: str, name: str) -> list[dict[str, Any]]:
        response = httpx.get(self.server.url + "/v1/outbox", params={"limit": 1000},
                             headers=self.server.admin_headers())  # fmt: skip
        assert response.status_code == 200, response.text
        customer = self.customer(name)
        return [e for e in response.json()["entries"]
                if e["triggerId"] == trigger and e["customerId"] == customer]  # fmt: skip

    def wait_for(
        self, trigger: str, name: str, count: int = 1, timeout: float = 10.0
    ) -> list[dict[str, Any]]:
        deadline = time.monotonic() + timeout
        while True:
            found = self.activations(trigger, name)
            if len(found) >= count or time.monotonic() > deadline:
                return found
            time.sleep(0.05)


def scenario(
    server: ServerProcess,
    trigger: str,
    cause: Callable[[Shop, str, int], None],
    *,
    consent: dict[str, bool],
    prepare: Callable[[Shop, str], None] = lambda shop, name: None,
) -> dict[str, Any]:
    """Run ``cause`` for four shoppers; the fired one's activation is returned."""
    shop = Shop(server)
    shop.identify("capped")
    shop.identify("withdrawn", consent=consent)
    shop.identify("quiet", timezone=zone_at(2))
    shop.identify("fired")
    for name in ("capped", "withdrawn", "quiet", "fired"):
        prepare(shop, name)
    cause(shop, "capped", 1)
    first = shop.wait_for(trigger, "capped")
    assert len(first) == 1, f"{trigger} did not fire for the shopper about to be capped"
    cause(shop, "withdrawn", 1)
    cause(shop, "quiet", 1)
    cause(shop, "capped", 2)
    cause(shop, "fired", 1)
    [fired] = shop.wait_for(trigger, "fired")
    assert shop.activations(trigger, "withdrawn") == [], "consent withdrawn, yet it fired"
    assert shop.activations(trigger, "quiet") == [], "in quiet hours, yet it fired"
    assert len(shop.activations(trigger, "capped")) == 1, "over the daily cap, yet it fired"
    assert fired["decisionId"].startswith("d_")
    assert 0.0 < fired["payload"]["propensity"] <= 1.0
    assert fired["payload"]["trigger"]["id"] == trigger
    return fired


def test_event_trigger(server: ServerProcess) -> None:
    def order(shop: Shop, name: str, n: int) -> None:
        shop.track(name, "Order Completed", order_id=f"o-{name}-{n}", total=150.0,
                   products=[{"product_id": "kettle", "quantity": 1, "price": 150.0}])  # fmt: skip

    fired = scenario(server, "big-order", order, consent={"push": False})
    assert fired["channel"] == "push"
    assert fired["offerId"] == "thanks"
    assert fired["payload"]["trigger"]["event"] == "Order Completed"


def test_cart_abandonment(server: ServerProcess) -> None:
    def add(shop: Shop, name: str, n: int) -> None:
        shop.track(name, "Product Added", **KETTLE, quantity=n)

    fired = scenario(server, "cart-abandonment", add, consent={"email": False})
    assert fired["channel"] == "email"
    assert fired["offerId"] in ("cart-note", "cart-10")
    # The bandit ranked both eligible offers, each with its propensity.
    assert {r["id"] for r in fired["payload"]["ranked"]} == {"cart-note", "cart-10"}

    # Buying within the window: nothing.
    shop = Shop(server)
    shop.identify("buyer")
    shop.track("buyer", "Product Added", **KETTLE, quantity=1)
    shop.track("buyer", "Order Completed", order_id="o-b", total=39.0,
               products=[{"product_id": "kettle", "quantity": 1}])  # fmt: skip
    shop.identify("later")
    shop.track("later", "Product Added", **KETTLE, quantity=1)
    assert len(shop.wait_for("cart-abandonment", "later")) == 1
    assert shop.activations("cart-abandonment", "buyer") == []


def test_browse_abandonment(server: ServerProcess) -> None:
    def view(shop: Shop, name: str, n: int) -> None:
        shop.track(name, "Product Viewed", product_id=f"rake-{n}", name="Rake", category="Garden")

    fired = scenario(server, "browse-abandonment", view, consent={"email": False})
    assert fired["offerId"] == "browse-note"
    assert fired["kind"] == "recommendation"


def test_proximity(server: ServerProcess) -> None:
    def likes_kitchen(shop: Shop, name: str) -> None:
        for _ in range(3):
            shop.track(name, "Product Viewed", **KETTLE)

    def enter(shop: Shop, name: str, n: int) -> None:
        shop.track(name, "Store Zone Entered", store_id="s1", zone_id="z-kitchen")

    fired = scenario(server, "aisle", enter, consent={"push": False}, prepare=likes_kitchen)
    about = fired["payload"]["trigger"]
    assert (about["store_id"], about["zone_id"], about["category"]) == (
        "s1", "z-kitchen", "Home/Kitchen",
    )  # fmt: skip

    # A zone whose category the shopper has no affinity for: nothing.
    shop = Shop(server)
    shop.identify("kitchen-fan")
    likes_kitchen(shop, "kitchen-fan")
    shop.track("kitchen-fan", "Store Zone Entered", store_id="s1", zone_id="z-garden")
    shop.identify("again")
    likes_kitchen(shop, "again")
    shop.track("again", "Store Zone Entered", store_id="s1", zone_id="z-kitchen")
    assert len(shop.wait_for("aisle", "again")) == 1
    assert shop.activations("aisle", "kitchen-fan") == []


def test_segment_entry(server: ServerProcess) -> None:
    def gold(shop: Shop, name: str, n: int) -> None:
        if n > 1:  # leave the segment, to enter it again
            shop.send({"type": "identify", "user": name, "traits": {"tier": "silver"}})
        shop.send({"type": "identify", "user": name, "traits": {"tier": "gold"}})

    fired = scenario(server, "gold", gold, consent={"email": False})
    assert fired["payload"]["trigger"]["segment"] == "gold"


def test_back_in_stock(server: ServerProcess) -> None:
    def wish(shop: Shop, name: str) -> None:
        shop.track(name, "Product Added to Wishlist", product_id=f"lamp-{shop.user(name)}",
                   name="Lamp", category="Home > Lighting", price=60.0)  # fmt: skip

    def restock(shop: Shop, name: str, n: int) -> None:
        product = f"lamp-{shop.user(name)}"
        shop.send(
            {"anonymousId": "stock-feed", "event": "Inventory Updated",
             "properties": {"product_id": product, "online": True, "quantity": 0}},
            {"anonymousId": "stock-feed", "event": "Inventory Updated",
             "properties": {"product_id": product, "online": True, "quantity": 4}},
        )  # fmt: skip

    fired = scenario(server, "restock", restock, consent={"push": False}, prepare=wish)
    assert fired["payload"]["trigger"]["quantity"] == 4


def test_price_drop(server: ServerProcess) -> None:
    def wish(shop: Shop, name: str) -> None:
        shop.track(name, "Product Added to Wishlist", product_id=f"chair-{shop.user(name)}",
                   name="Chair", category="Home > Furniture", price=100.0)  # fmt: skip

    def cheaper(shop: Shop, name: str, n: int) -> None:
        shop.send({"anonymousId": f"other-{shop.run}", "event": "Product Viewed",
                   "properties": {"product_id": f"chair-{shop.user(name)}",
                                  "price": 100.0 - 20.0 * n}})  # fmt: skip

    fired = scenario(server, "cheaper", cheaper, consent={"push": False}, prepare=wish)
    about = fired["payload"]["trigger"]
    assert (about["old_price"], about["price"]) == (100.0, 80.0)


@pytest.mark.parametrize("backend", ["embedded", "scaleout"], indirect=True)
def test_timers_survive_a_restart_and_a_crash_writes_nothing_twice(
    tmp_path: Path, scaleout: Namespace | None
) -> None:
    config = tmp_path / "decide"
    config.mkdir()
    (config / "triggers.yaml").write_text(TRIGGERS.replace("within: 1s", "within: 2s"))
    (config / "offers.yaml").write_text(OFFERS)
    (config / "segments.yaml").write_text(SEGMENTS)
    server = ServerProcess(
        tmp_path / "data",
        extra_env={"SHOPSTREAM_DECIDE_TICK_SECONDS": "0.1"},
        extra_args=["--config-dir", str(config)],
    )
    if scaleout is not None:
        scaled_out(server, scaleout)
    with server:
        shop = Shop(server)
        shop.identify("ana")
        shop.track("ana", "Product Added", **KETTLE, quantity=1)
        assert shop.activations("cart-abandonment", "ana") == []
    # Stopped (state saved) with the timer armed; it fires after the restart.
    server.start()
    try:
        [first] = shop.wait_for("cart-abandonment", "ana")
        server.kill()  # a crash: the state saved is from before the timer fired
        server.start()
        time.sleep(1.0)  # the log is replayed at start; give the runtime a few ticks too
        assert shop.activations("cart-abandonment", "ana") == [first]
    finally:
        server.stop()

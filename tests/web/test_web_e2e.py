"""The people's side in a real headless Chromium against a real server, one test per journey:
a shopper on the demo storefront, an associate in the New York store, a marketer's dashboard.

The server runs in demo mode with the simulator's catalogue, stores and stock. Screenshots go
to ``test-artifacts/`` (look at them: the tests check what a page says, not how it looks).
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from itertools import islice
from pathlib import Path
from typing import Any

import httpx
import pytest
from playwright.sync_api import Browser, Locator, Page, expect, sync_playwright
from playwright.sync_api import TimeoutError as PlaywrightTimeoutError

from shopstream.decide.config import examples
from shopstream.deliver import example_channels
from shopstream.simulate import Catalogue, Simulator, generate_shoppers
from shopstream.testing import ServerProcess, scaled_out, scaleout_namespace, zone_at
from shopstream.testing.web import ASSOCIATES, catalogue_bodies, write_associates

pytestmark = pytest.mark.e2e

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
NYC_ID, _, NYC, NYC_PIN = ASSOCIATES[0]
SHOPPER = {"first_name": "Ana", "last_name": "Testwell", "email": "ana.testwell@example.com"}
KETTLE, SHEET = "p00001", "p00038"  # in stock online and in New York; kitchen and bedding


def eventually(
    fetch: Callable[[], Any], check: Callable[[Any], bool], timeout: float = 10.0
) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        value = fetch()
        if check(value) or time.monotonic() > deadline:
            return value
        time.sleep(0.05)


def shot(page: Page, name: str) -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / f"web-{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


@pytest.fixture(scope="module", params=["embedded", "scaleout"])
def server(
    tmp_path_factory: pytest.TempPathFactory, catalogue: Catalogue, request: pytest.FixtureRequest
) -> Iterator[ServerProcess]:
    """The demo-mode server the journeys run against, on each backend in turn."""
    root = tmp_path_factory.mktemp("web-e2e")
    associates = write_associates(root / "associates.yaml")
    example_config(root / "data" / "decide")
    process = ServerProcess(root / "data", demo=True, associates_file=associates)
    with contextlib.ExitStack() as stack:
        if request.param == "scaleout":
            scaled_out(process, stack.enter_context(scaleout_namespace()))
        yield stack.enter_context(_stocked(process, catalogue))


@contextlib.contextmanager
def _stocked(process: ServerProcess, catalogue: Catalogue) -> Iterator[ServerProcess]:
    with process as running:
        for path, body in catalogue_bodies(catalogue).items():
            response = httpx.put(
                running.url + path, json=body, headers=running.admin_headers(), timeout=30
            )
            assert response.status_code == 200, response.text
        _crowd(running, catalogue)
        yield running


def example_config(directory: Path) -> None:
    """What ``shopstream demo`` writes (triggers, offers, segments, channels), and an
    experiment on the thank-you trigger."""
    directory.mkdir(parents=True)
    for kind, text in examples().items():
        (directory / f"{kind}.yaml").write_text(text, encoding="utf-8")
    (directory / "channels.yaml").write_text(example_channels(), encoding="utf-8")
    start = (datetime.now(UTC) - timedelta(days=1)).strftime("%Y-%m-%dT%H:%M:%SZ")
    (directory / "experiments.yaml").write_text(
        "experiments:\n"
        "  - id: thanks-test\n"
        "    salt: e2e\n"
        "    variants: {control: 1, thanked: 1}\n"
        "    control: control\n"
        f"    start: {start}\n"
        "    exposure: {triggers: [big-order-thanks]}\n",
        encoding="utf-8",
    )


def _crowd(server: ServerProcess, catalogue: Catalogue, events: int = 2000) -> None:
    """The simulator's shoppers over the last couple of minutes: what recommendations learn
    from, and what the dashboard starts from."""
    shoppers = generate_shoppers(catalogue, 200, seed=7)
    start = datetime.now(UTC) - timedelta(seconds=events / 20)
    raws = [raw for _, raw in islice(Simulator(7, catalogue, shoppers, start).live(20.0), events)]
    with httpx.Client(base_url=server.url, auth=(server.write_key, ""), timeout=30) as http:
        for i in range(0, len(raws), 250):
            response = http.post("/v1/batch", json={"batch": raws[i : i + 250]})
            assert response.status_code == 200, response.text


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    if not CHROMIUM.exists():
        pytest.fail("these tests need Debian's chromium: apt-get install -y chromium")
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield launched
        launched.close()


def recs_settled(page: Page) -> dict[str, str | None]:
    """The widget once it answered: its state, decision id and products."""
    widget = page.locator("#recs")
    expect(widget).not_to_have_attribute("data-state", "loading", timeout=10_000)
    return {
        "state": widget.get_attribute("data-state"),
        "decision": widget.get_attribute("data-decision-id"),
        "items": widget.get_attribute("data-items"),
    }


def recs_changed(page: Page, previous: str | None) -> dict[str, str | None]:
    """Wait for the widget to render a new answer (another decision id)."""
    if previous is not None:
        expect(page.locator("#recs")).not_to_have_attribute(
            "data-decision-id", previous, timeout=10_000
        )
    return recs_settled(page)


@pytest.fixture(scope="module")
def shopper(server: ServerProcess, browser: Browser) -> Iterator[dict[str, Any]]:
    """A shopper's visit to the storefront: what the pages showed along the way."""
    context = browser.new_context(viewport={"width": 1280, "height": 900}, base_url=server.url)
    page = context.new_page()
    seen: dict[str, Any] = {}

    page.goto("/shop")
    expect(page.locator(".product-card").first).to_be_visible()
    seen["home"] = recs_settled(page)
    seen["screens"] = [shot(page, "shop-home")]
    page.select_option("#store-picker", NYC)
    page.click("#account-button")
    page.fill("#account-form input[name=first_name]", SHOPPER["first_name"])
    page.fill("#account-form input[name=last_name]", SHOPPER["last_name"])
    page.fill("#account-form input[name=email]", SHOPPER["email"])
    page.click("#account-submit")
    expect(page.locator("#account-button")).to_have_text("Hi, Ana")

    page.goto("/shop?category=Home/Kitchen")
    expect(page.locator("#page-title")).to_contain_text("Kitchen")
    seen["screens"].append(shot(page, "shop-category"))

    page.goto(f"/shop/products/{KETTLE}")
    seen["kettle"] = recs_settled(page)
    expect(page.locator("#store-availability")).to_contain_text("in stock at New York")
    seen["screens"].append(shot(page, "shop-product"))
    page.click("#add-to-cart")
    expect(page.locator("#cart-count")).to_have_text("1")
    seen["kettle_after_add"] = recs_changed(page, seen["kettle"]["decision"])

    page.goto("/shop/cart")
    expect(page.locator(".cart-line")).to_have_count(1)
    page.click("#checkout")
    page.click("#place-order")
    expect(page.locator("#order-done")).to_contain_text("is placed")
    expect(page.locator("#cart-count")).to_have_text("0")
    seen["screens"].append(shot(page, "shop-order"))

    page.goto(f"/shop/products/{SHEET}")
    seen["sheet"] = recs_settled(page)
    page.click("#add-to-cart")
    expect(page.locator("#cart-count")).to_have_text("1")
    recs_changed(page, seen["sheet"]["decision"])
    seen["screens"].append(shot(page, "shop-product-2"))
    seen["anonymous_id"] = page.evaluate("shopstream.anonymousId()")
    seen["user_id"] = page.evaluate("shopstream.userId()")
    context.close()  # the tracker beacons what is left when the page goes
    yield seen


def get_json(server: ServerProcess, path: str) -> dict[str, Any]:
    response = httpx.get(server.url + path, headers=server.admin_headers(), timeout=10)
    return response.json() if response.status_code == 200 else {}


def test_a_shopper_browses_buys_and_the_events_land_in_her_profile(
    server: ServerProcess, shopper: dict[str, Any]
) -> None:
    path = f"/v1/profiles/anonymousId/{shopper['anonymous_id']}"
    profile = eventually(
        lambda: get_json(server, path),
        lambda p: len(p.get("orders", [])) == 1 and p["cart"]["lines"],
    )
    assert profile["traits"]["first_name"] == "Ana"
    assert {"type": "userId", "value": shopper["user_id"]} in profile["identifiers"]
    assert [line["productId"] for line in profile["cart"]["lines"]] == [SHEET]
    [order] = profile["orders"]
    assert order["channel"] == "web"
    assert [item["productId"] for item in order["items"]] == [KETTLE]
    assert {v["productId"] for v in profile["recentlyViewed"]} >= {KETTLE, SHEET}
    assert profile["channels"] == {"web": profile["eventCount"]}

    events = [e["event"] for e in get_json(server, path + "/events?limit=200")["events"]]
    names = [e.get("event") or e["type"] for e in events]
    for expected in (
        "page",
        "identify",
        "Product Viewed",
        "Product Added",
        "Cart Viewed",
        "Checkout Started",
        "Order Completed",
        "Product List Viewed",
    ):
        assert expected in names, expected
    for event in events:
        assert event["context"]["library"]["name"] == "shopstream.js"
        assert event["context"]["page"]["path"].startswith("/shop")
        assert event["messageId"] and event["anonymousId"] == shopper["anonymous_id"]
    assert len({e["messageId"] for e in events}) == len(events)

    # The widget answered on every page, and again after each add to cart.
    assert shopper["kettle"]["state"] == shopper["sheet"]["state"] == "ready"
    assert shopper["kettle"]["items"] != shopper["sheet"]["items"]
    assert KETTLE not in shopper["kettle"]["items"].split(",")
    assert shopper["kettle_after_add"]["decision"] != shopper["kettle"]["decision"]


def search_until_found(page: Page, text: str, results: Locator, timeout: float = 20.0) -> None:
    """Search again, as an associate would, until the shopper is found. Under load the first
    Enter can come before the page's script took over the form (the browser then submits it
    natively and reloads the page, empty)."""
    deadline = time.monotonic() + timeout
    while True:
        page.fill("#lookup", text)
        page.press("#lookup", "Enter")
        try:
            results.first.wait_for(timeout=1_000)
            return
        except PlaywrightTimeoutError:
            if time.monotonic() > deadline:
                raise


def test_an_associate_finds_the_shopper_and_sees_her_arrive(
    server: ServerProcess, browser: Browser, shopper: dict[str, Any]
) -> None:
    context = browser.new_context(viewport={"width": 1180, "height": 820}, base_url=server.url)
    page = context.new_page()
    page.goto("/associate")
    page.select_option("#store_id", NYC)
    page.fill("#associate_id", NYC_ID)
    page.fill("#pin", NYC_PIN)
    shot(page, "associate-sign-in")
    page.click("#sign-in")
    expect(page).to_have_url(f"{server.url}/associate/stores/{NYC}")

    search_until_found(page, "testwell", page.locator("#lookup-results .result"))
    page.locator("#lookup-results .result").first.click()
    expect(page.locator("#customer-name")).to_have_text("Ana Testwell")
    cart = page.locator("#customer-cart .product-row")
    expect(cart).to_have_count(1)
    expect(cart).to_contain_text("here · Home > Bedding")  # stock here, and its zone
    expect(page.locator("#customer-orders")).to_contain_text("Stainless steel kettle")
    recs = page.locator("#customer-recs")
    expect(recs).to_have_attribute("data-state", "ready", timeout=10_000)
    expect(recs.locator(".badge-ok").first).to_contain_text(" here · ")
    shot(page, "associate-customer")

    # She walks into the store and the kitchen: the feed shows her, with the zone.
    entered = [
        {
            "type": "track",
            "userId": shopper["user_id"],
            "event": "Store Entered",
            "properties": {"store_id": NYC},
            "context": {"channel": "store"},
        },
        {
            "type": "track",
            "userId": shopper["user_id"],
            "event": "Store Zone Entered",
            "properties": {"store_id": NYC, "zone_id": "z-home-kitchen"},
            "context": {"channel": "store"},
        },
    ]
    expect(page.locator("#nearby-status")).to_have_class("live-dot on")
    sent = httpx.post(
        server.url + "/v1/batch", json={"batch": entered}, auth=(server.write_key, ""), timeout=10
    )
    assert sent.status_code == 200
    card = page.locator("#nearby-list .nearby-card", has_text="Ana Testwell")
    expect(card).to_contain_text("Home > Kitchen", timeout=10_000)
    expect(card).to_contain_text("1 in cart")
    # She loves kitchenware: the in-store-affinity trigger alerts this store's associates.
    alert = page.locator("#alerts-list .alert-card[data-trigger='in-store-affinity']")
    expect(alert).to_have_count(1, timeout=10_000)
    expect(alert).to_contain_text("Ana")
    expect(alert).to_contain_text("loves this zone's category")
    expect(alert).to_contain_text("z-home-kitchen")
    shot(page, "associate-nearby")

    page.click("#tab-catalogue")
    page.fill("#catalogue-q", "kettle")
    page.press("#catalogue-q", "Enter")
    expect(page.locator("#catalogue-results tbody tr").first).to_contain_text("kettle")
    shot(page, "associate-catalogue")

    other = page.goto("/associate/stores/s-chi")
    assert other is not None and other.status == 403
    entries = get_json(server, "/v1/audit")["entries"]
    assert {(e["actor"], e["storeId"], e["action"]) for e in entries} >= {
        (NYC_ID, NYC, "profile.view"),
        (NYC_ID, NYC, "recommendations.view"),
    }
    context.close()


def test_a_marketer_watches_the_dashboard_move(
    server: ServerProcess, browser: Browser, shopper: dict[str, Any]
) -> None:
    context = browser.new_context(viewport={"width": 1440, "height": 960}, base_url=server.url)
    page = context.new_page()
    page.goto("/dashboard")
    page.fill("#key", server.admin_key)
    page.click("#sign-in")
    dash = page.locator("#dash")
    expect(dash).not_to_have_attribute("data-updates", "0", timeout=10_000)
    orders = page.locator("#kpi-orders")
    before = int(orders.get_attribute("data-value") or 0)
    assert before >= 1  # the shopper's order, and the crowd's
    funnel_before = page.evaluate("Chart.getChart('funnel-chart').data.datasets[0].data")
    updates = int(dash.get_attribute("data-updates") or 0)
    expect(dash).not_to_have_attribute("data-campaign-updates", "0", timeout=10_000)
    thanks = page.locator("#triggers-table tr[data-trigger='big-order-thanks']")
    fired_before = int(thanks.get_attribute("data-fired") or 0)
    greet = page.locator("#triggers-table tr[data-trigger='in-store-affinity'] td").nth(3)
    assert int(greet.get_attribute("data-value") or 0) >= 1  # Ana's alert, delivered
    points = page.locator("#offers-table tr[data-offer='thank-you-points'] td")
    sends_before = int(points.nth(2).get_attribute("data-value") or 0)
    experiment = page.locator("#experiments [data-experiment='thanks-test']")
    customers_before = int(experiment.get_attribute("data-customers") or 0)

    burst: list[dict[str, Any]] = []
    for i in range(30):
        channel = ("web", "app", "store")[i % 3]
        burst.append(
            {
                "type": "track",
                "anonymousId": f"burst-{i % 10}",
                "event": "Product Viewed",
                "properties": {"product_id": f"p{1 + i % 5:05d}"},
                "context": {"channel": channel},
            }
        )
    for i in range(6):  # a term nobody searched for before: it is rising
        burst.append(
            {
                "type": "track",
                "anonymousId": f"burst-{i}",
                "event": "Products Searched",
                "properties": {"query": "pickleball paddle"},
                "context": {"channel": "web"},
            }
        )
    burst.append(
        {
            "type": "track",
            "anonymousId": "burst-1",
            "event": "Order Completed",
            "properties": {
                "order_id": "burst-o1",
                "total": 120.0,
                "products": [{"product_id": "p00002"}],
            },
            "context": {"channel": "pos"},
        }
    )
    for i in range(4):  # big spenders where it is midday: email's quiet hours don't apply
        burst.append({"type": "identify", "userId": f"big-spender-{i}",
                      "traits": {"timezone": zone_at(12)}})  # fmt: skip
    for i in range(4):  # big orders: big-order-thanks fires, and they enter the experiment
        burst.append(
            {
                "type": "track",
                "userId": f"big-spender-{i}",
                "event": "Order Completed",
                "properties": {"order_id": f"big-o{i}", "total": 250.0 + i,
                               "products": [{"product_id": "p00003"}]},
                "context": {"channel": "web"},
            }
        )  # fmt: skip
    sent = httpx.post(
        server.url + "/v1/batch", json={"batch": burst}, auth=(server.write_key, ""), timeout=10
    )
    assert sent.status_code == 200

    expect(thanks).to_have_attribute("data-fired", str(fired_before + 4), timeout=15_000)
    expect(points.nth(2)).to_have_attribute("data-value", str(sends_before + 4))
    expect(experiment).to_have_attribute("data-customers", str(customers_before + 4))
    assert experiment.locator("tr[data-arm]").count() == 2
    assert page.evaluate("Chart.getChart('exp-thanks-test-conversion').data.labels") == [
        "thanked − control"
    ]
    # Ana's order came after the recommendations served to her on the web: credited to it.
    assert "web" in page.evaluate("Chart.getChart('channels-chart').data.labels")

    expect(orders).not_to_have_attribute("data-value", str(before), timeout=10_000)
    assert int(orders.get_attribute("data-value") or 0) >= before + 1
    expect(dash).not_to_have_attribute("data-updates", str(updates))
    assert float(page.locator("#kpi-eps").get_attribute("data-value") or 0) > 0
    channels = page.evaluate("Chart.getChart('rates-chart').data.datasets.map(d => d.label)")
    assert {"web", "app", "pos"} <= set(channels)
    funnel = page.evaluate("Chart.getChart('funnel-chart').data.datasets[0].data")
    assert funnel[0] >= funnel_before[0] + 10  # ten new shoppers viewed a product
    assert funnel[3] >= funnel_before[3] + 1
    expect(page.locator("#rising-products li[data-key]").first).to_be_visible()
    expect(page.locator("#rising-searches li[data-key='pickleball paddle']")).to_have_count(1)
    shot(page, "dashboard")
    context.close()

"""Eligibility, one rule at a time: each excluded action says why."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from shopstream.catalog import Catalog, Store
from shopstream.core import CustomerId, ProductId, StoreId
from shopstream.decide.config import DecideConfig
from shopstream.decide.eligibility import judge, time_zone
from shopstream.decide.facts import Facts
from shopstream.decide.ledger import Ledger
from shopstream.profiles import Profile, ProfileRules, Purpose

NOON = datetime(2026, 3, 2, 12, tzinfo=UTC)
OFFERS = """\
eligibility:
  caps: {email: 1, default: 2}
  quiet_hours: {start: "22:00", end: "07:00", channels: [push]}
  opt_in: [sms]
  suppress_segments: [churned]
offers:
  - {id: any, channels: [email, push, sms, web]}
  - {id: kettle, channels: [web], products: [k1, k2]}
  - {id: budgeted, channels: [web], budget: 10, cost: 4}
  - {id: spring, channels: [web], start: 2026-03-20T00:00:00Z}
  - {id: no-vips, channels: [web], exclude_segments: [vip]}
  - {id: loyal, channels: [web], eligibility: "order_count >= 2"}
"""
SEGMENTS = "segments:\n  - {id: vip, when: 'true'}\n  - {id: churned, when: 'false'}\n"
CONFIG = DecideConfig.build({"offers": OFFERS, "segments": SEGMENTS})
C = CustomerId("c1")


def verdict(
    offer: str,
    channels: tuple[str, ...] = (),
    *,
    profile: Profile | None = None,
    ledger: Ledger | None = None,
    catalog: Catalog | None = None,
    segments: frozenset[str] = frozenset(),
    zone: str = "UTC",
    now: datetime = NOON,
) -> tuple[tuple[str, ...], str]:
    facts = Facts(C, profile, now=now.timestamp(), rules=ProfileRules(), zone=ZoneInfo(zone))
    v = judge(CONFIG.offers[offer], channels, facts, config=CONFIG, ledger=ledger or Ledger(),
              catalog=catalog if catalog is not None else Catalog(), in_segment=segments.__contains__)  # fmt: skip
    return v.channels, v.reason


def consenting(**purposes: bool) -> Profile:
    profile = Profile(C)
    profile.consent = {Purpose(p): (granted, 0.0) for p, granted in purposes.items()}
    return profile


def test_consent_per_channel_purpose() -> None:
    profile = consenting(email=False, sms=True)
    assert verdict("any", ("email", "push", "sms"), profile=profile) == (
        ("push", "sms"),
        "eligible",
    )
    withdrawn = consenting(personalization=False)
    assert verdict("any", profile=withdrawn) == ((), "consent withdrawn for personalization")


def test_opt_in_channels_need_consent_given() -> None:
    assert verdict("any", ("sms",)) == ((), "no consent given for sms")
    assert verdict("any", ("sms",), profile=consenting(sms=True))[0] == ("sms",)


def test_caps_count_per_customer_channel_and_local_day() -> None:
    ledger = Ledger()
    ledger.record(C, "email", "2026-03-02", "any", 1.0)
    assert verdict("any", ("email",), ledger=ledger) == ((), "email cap reached (1 a day)")
    # the next local day the cap is fresh; in Tokyo it already is at 20:00 UTC
    assert verdict("any", ("email",), ledger=ledger, zone="Asia/Tokyo",
                   now=datetime(2026, 3, 2, 20, tzinfo=UTC))[0] == ("email",)  # fmt: skip
    ledger.record(C, "web", "2026-03-02", "any", 1.0)
    ledger.record(C, "web", "2026-03-02", "any", 1.0)
    assert verdict("any", ("web",), ledger=ledger) == ((), "web cap reached (2 a day)")


@pytest.mark.parametrize(("zone", "quiet"), [("UTC", False), ("Pacific/Auckland", True)])
def test_quiet_hours_in_the_customers_time_zone(zone: str, quiet: bool) -> None:
    channels, reason = verdict("any", ("push",), zone=zone)  # noon UTC is 01:00 in Auckland
    assert (channels == ()) == quiet
    if quiet:
        assert reason == "quiet hours for push (01:00 in Pacific/Auckland)"


def test_the_time_zone_is_the_customers_else_their_stores() -> None:
    catalog = Catalog()
    catalog.upsert_stores([Store(StoreId("s1"), "Tokyo", 35.7, 139.7, "Asia/Tokyo")])
    profile = Profile(C)
    assert time_zone(profile, catalog, "UTC").key == "UTC"
    profile.store_id = StoreId("s1")
    assert time_zone(profile, catalog, "UTC").key == "Asia/Tokyo"
    profile.traits = {"timezone": "Europe/Lisbon"}
    assert time_zone(profile, catalog, "UTC").key == "Europe/Lisbon"


def test_stock_budget_dates_segments_and_rules() -> None:
    catalog = Catalog()
    online = StoreId("online")
    catalog.set_stock([(online, ProductId("k1"), 0), (online, ProductId("mug"), 5)])
    assert verdict("kettle", catalog=catalog) == ((), "out of stock")
    catalog.set_stock([(online, ProductId("k2"), 3)])
    assert verdict("kettle", catalog=catalog)[0] == ("web",)

    ledger = Ledger()
    ledger.record(C, "web", "2026-03-01", "budgeted", 4.0)
    ledger.record(C, "web", "2026-03-01", "budgeted", 4.0)
    assert verdict("budgeted", ledger=ledger) == ((), "budget spent (8 of 10)")

    assert verdict("spring") == ((), "offer starts 2026-03-20T00:00:00+00:00")
    assert verdict("no-vips", segments=frozenset({"vip"})) == ((), "suppressed: in segment vip")
    assert verdict("any", segments=frozenset({"churned"})) == ((), "suppressed: in segment churned")
    assert verdict("loyal") == ((), "not eligible: order_count >= 2")
    suppressed = Profile(C)
    suppressed.traits = {"suppressed": True}
    assert verdict("any", profile=suppressed) == ((), "customer suppressed")

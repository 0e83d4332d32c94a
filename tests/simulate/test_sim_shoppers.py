"""Simulated shoppers: identities, consent, habits, hidden tastes and daily rhythms."""

from __future__ import annotations

import math
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from shopstream.events import Channel, normalize_phone
from shopstream.simulate import DailyRhythm, generate_catalogue, generate_shoppers

CATALOGUE = generate_catalogue(11, products=400, stores=4)
NEW_YORK = ZoneInfo("America/New_York")


def test_same_seed_same_shoppers() -> None:
    assert generate_shoppers(CATALOGUE, 50, seed=1) == generate_shoppers(CATALOGUE, 50, seed=1)
    assert generate_shoppers(CATALOGUE, 50, seed=1) != generate_shoppers(CATALOGUE, 50, seed=2)


def test_known_shoppers_have_accounts_and_the_others_stay_anonymous() -> None:
    shoppers = generate_shoppers(CATALOGUE, 1000, seed=3, known=0.6)
    known = [s for s in shoppers if s.known]
    assert 0.55 < len(known) / len(shoppers) < 0.65
    for shopper in known:
        assert shopper.email and shopper.email.endswith("@example.com")
        assert set(shopper.traits()) >= {"email", "first_name", "last_name", "consent"}
        if shopper.phone:
            assert normalize_phone(shopper.phone) == shopper.phone
    for shopper in shoppers:
        if not shopper.known:
            assert shopper.email is shopper.phone is shopper.loyalty_id is None
            assert not shopper.consent["email"] and not shopper.consent["sms"]
    assert any(s.loyalty_id for s in known) and any(s.loyalty_id is None for s in known)
    for field in ("user_id", "email", "phone", "loyalty_id", "web_anonymous_id", "card_token"):
        values = [getattr(s, field) for s in shoppers if getattr(s, field)]
        assert len(values) == len(set(values)), field


def test_habits_consent_and_home_stores_fit_what_each_shopper_has() -> None:
    shoppers = generate_shoppers(CATALOGUE, 500, seed=4)
    stores = {s.id: s for s in CATALOGUE.stores}
    for shopper in shoppers:
        assert math.isclose(sum(shopper.channels.values()), 1.0)
        assert shopper.timezone == stores[shopper.home_store].timezone
        if shopper.app is None:
            assert shopper.channels[Channel.APP] == 0 and not shopper.consent["push"]
        assert set(shopper.consent) == {"personalization", "ads", "push", "email", "sms"}
        assert shopper.sessions_per_day > 0
    assert {s.home_store for s in shoppers} == set(stores)
    assert any(s.app for s in shoppers) and any(s.app is None for s in shoppers)


def test_tastes_are_concentrated_on_a_few_categories() -> None:
    shoppers = generate_shoppers(CATALOGUE, 300, seed=5)
    for shopper in shoppers:
        shares = shopper.taste.categories
        assert set(shares) == set(CATALOGUE.categories)
        assert math.isclose(sum(shares.values()), 1.0)
        top3 = sum(sorted(shares.values(), reverse=True)[:3])
        assert top3 > 3 / len(shares)
        assert 1 <= len(shopper.taste.brands) <= 4
    mean_top3 = sum(
        sum(sorted(s.taste.categories.values(), reverse=True)[:3]) for s in shoppers
    ) / len(shoppers)
    assert mean_top3 > 0.5


def test_affinity_prefers_favourite_categories_liked_brands_and_lower_prices() -> None:
    shopper = generate_shoppers(CATALOGUE, 1, seed=6)[0]
    taste = shopper.taste
    favourite = max(taste.categories, key=lambda c: taste.categories[c])
    least = min(taste.categories, key=lambda c: taste.categories[c])
    a = CATALOGUE.in_category(favourite)[0]
    b = CATALOGUE.in_category(least)[0]
    ref_a, ref_b = CATALOGUE.reference_price(favourite), CATALOGUE.reference_price(least)
    assert taste.affinity(a, ref_a, price=ref_a) > taste.affinity(b, ref_b, price=ref_b)
    assert taste.affinity(a, ref_a, price=ref_a / 2) > taste.affinity(a, ref_a, price=ref_a)


@pytest.mark.parametrize(("count", "known"), [(-1, 0.5), (10, 1.5)])
def test_bad_arguments_are_refused(count: int, known: float) -> None:
    with pytest.raises(ValueError, match="must be"):
        generate_shoppers(CATALOGUE, count, seed=1, known=known)


def test_rhythm_peaks_at_lunch_and_evening_and_on_weekends() -> None:
    rhythm = DailyRhythm()

    def local(day: int, hour: int) -> datetime:
        return datetime(2026, 3, day, hour, tzinfo=NEW_YORK)

    tuesday = [rhythm.intensity(local(3, hour)) for hour in range(24)]
    saturday = [rhythm.intensity(local(7, hour)) for hour in range(24)]
    assert min(tuesday[12:14] + tuesday[18:21]) > 10 * max(tuesday[3:5])
    assert sum(saturday) > sum(tuesday)
    week = sum(rhythm.intensity(local(2 + d, h)) for d in range(7) for h in range(24))
    assert math.isclose(week / (7 * 24), 1.0)
    assert rhythm.is_open(local(3, 9)) and not rhythm.is_open(local(3, 21))
    with pytest.raises(ValueError, match="hourly must be 24"):
        DailyRhythm(hourly=(1.0,) * 23)

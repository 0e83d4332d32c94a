"""Finding customers by name as an associate types it."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from shopstream.core import CustomerId
from shopstream.events import parse_message
from shopstream.profiles import Profiles, search_by_name

T0 = datetime(2026, 3, 1, tzinfo=UTC)


def profiles_of(*people: tuple[str, dict[str, str]]) -> Profiles:
    profiles = Profiles()
    for offset, (user, traits) in enumerate(people):
        at = T0 + timedelta(minutes=offset)
        message = parse_message(
            {"type": "identify", "userId": user, "traits": traits, "timestamp": at.isoformat()},
            source="s",
            received_at=at,
        )
        profiles.apply(CustomerId(user), message, offset=offset, now=at)
    return profiles


PEOPLE = profiles_of(
    ("u1", {"first_name": "José", "last_name": "Núñez"}),
    ("u2", {"first_name": "Josephine", "last_name": "Baker"}),
    ("u3", {"name": "Jo March"}),
    ("u4", {"email": "nobody@example.com"}),
)


def test_names_match_by_word_prefix_without_case_or_accents() -> None:
    assert search_by_name(PEOPLE, "jose nunez") == ["u1"]
    assert search_by_name(PEOPLE, "BAK") == ["u2"]
    assert search_by_name(PEOPLE, "march jo") == ["u3"]


def test_exact_words_rank_first_then_the_most_recently_seen() -> None:
    assert search_by_name(PEOPLE, "jo") == ["u3", "u2", "u1"]
    assert search_by_name(PEOPLE, "jose") == ["u1", "u2"]
    assert search_by_name(PEOPLE, "jo", limit=1) == ["u3"]


def test_nothing_is_found_for_nothing() -> None:
    assert search_by_name(PEOPLE, "   ") == []
    assert search_by_name(PEOPLE, "nobody") == []
    assert search_by_name(PEOPLE, "jo", limit=0) == []

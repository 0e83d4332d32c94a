"""Finding customers by name, as a store associate types it.

Identifiers (loyalty id, email, phone) are looked up in the identity graph; names are not
identifiers, so they are matched here against the profiles' traits (``first_name``,
``last_name``, ``name``). The scan is linear in the number of profiles: fine for a store's
lookups on one box; a name index is the next step when a retailer has millions.
"""

from __future__ import annotations

import unicodedata

from shopstream.core import CustomerId
from shopstream.profiles.collection import Profiles

_NAME_TRAITS = ("first_name", "last_name", "firstName", "lastName", "name")


def _fold(text: str) -> str:
    """Lower case without accents: ``"José"`` matches ``"jose"``."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def name_tokens(traits: dict[str, object] | None) -> list[str]:
    """The folded words of a customer's name traits."""
    if not traits:
        return []
    words: list[str] = []
    for key in _NAME_TRAITS:
        value = traits.get(key)
        if isinstance(value, str):
            words.extend(_fold(value).split())
    return words


def search_by_name(profiles: Profiles, text: str, limit: int = 20) -> list[CustomerId]:
    """Customers whose name has a word starting with each word of ``text``.

    Exact word matches rank before prefix matches, then the most recently seen first.

    Examples:
        >>> from datetime import UTC, datetime
        >>> from shopstream.events import parse_message
        >>> t = datetime(2026, 3, 1, tzinfo=UTC)
        >>> profiles = Profiles()
        >>> for offset, (user, first, last) in enumerate(
        ...         [("u1", "Ana", "Silva"), ("u2", "Anabel", "Sousa"), ("u3", "Ben", "Silva")]):
        ...     m = parse_message({"type": "identify", "userId": user,
        ...         "traits": {"first_name": first, "last_name": last}}, source="s", received_at=t)
        ...     _ = profiles.apply(CustomerId(user), m, offset=offset, now=t)
        >>> search_by_name(profiles, "ana")
        ['u1', 'u2']
        >>> search_by_name(profiles, "silva b")
        ['u3']
    """
    wanted = _fold(text).split()
    if not wanted or limit <= 0:
        return []
    found: list[tuple[int, float, CustomerId]] = []
    for customer_id in profiles:
        profile = profiles.get(customer_id)
        if profile is None:
            continue
        words = name_tokens(profile.traits)
        if not words:
            continue
        exact = 0
        for part in wanted:
            if part in words:
                exact += 1
            elif not any(word.startswith(part) for word in words):
                break
        else:
            found.append((-exact, -profile.last_seen, customer_id))
    found.sort()
    return [customer_id for _, _, customer_id in found[:limit]]

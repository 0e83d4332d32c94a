"""Normalisation of identifiers, channels and timestamps.

Every function here is pure and idempotent: normalising a normalised value changes nothing.
Being pure, the costly one is memoised: ``phonenumbers`` takes about 100 µs to read a phone
number, and shoppers come back. Hashes are not (a microsecond each, and a memo of them would
keep raw card tokens in memory, which are hashed on arrival so as never to be kept).
"""

from __future__ import annotations

from datetime import UTC, datetime
from functools import lru_cache
from typing import Any

import phonenumbers

from shopstream.core import sha256_hex
from shopstream.events.vocabulary import Channel

_WEB_LIBRARIES = frozenset(
    {
        "analytics.js",
        "analytics-next",
        "@segment/analytics-next",
        "rudder-analytics",
        "shopstream.js",
        "RudderLabs JavaScript SDK",
    }
)
_APP_LIBRARIES = frozenset(
    {
        "analytics-ios",
        "analytics-android",
        "analytics-swift",
        "analytics-kotlin",
        "analytics-react-native",
        "analytics_flutter",
        "rudder-ios-library",
        "com.rudderstack.android.sdk.core",
        "rudder-sdk-flutter",
    }
)


def normalize_email(raw: str) -> str:
    """Trim and lower-case an e-mail address.

    Examples:
        >>> normalize_email("  Ana.Silva@Example.COM ")
        'ana.silva@example.com'
    """
    return raw.strip().lower()


@lru_cache(maxsize=8192)
def normalize_phone(raw: str, default_region: str = "US") -> str:
    """Format a phone number as E.164; numbers without ``+`` use ``default_region``.

    Raises:
        ValueError: the text is not a possible phone number.

    Examples:
        >>> normalize_phone("(415) 555-0132")
        '+14155550132'
        >>> normalize_phone("+44 20 7946 0958")
        '+442079460958'
    """
    try:
        number = phonenumbers.parse(raw, default_region)
    except phonenumbers.NumberParseException as exc:
        msg = f"not a phone number: {exc}"
        raise ValueError(msg) from None
    if not phonenumbers.is_possible_number(number):
        msg = "not a possible phone number"
        raise ValueError(msg)
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def hash_identifier(normalized: str) -> str:
    """The key the identity graph stores for an email, phone or card token."""
    return sha256_hex(normalized)


def derive_channel(
    context: dict[str, Any], message_type: str, hint: Channel | None = None
) -> Channel:
    """``context.channel`` when it names a channel, else the message's top-level hint, else a
    guess from the sending library."""
    declared = context.get("channel")
    if isinstance(declared, str):
        try:
            return Channel(declared.lower())
        except ValueError:
            pass
    if hint is not None:
        return hint
    library = context.get("library")
    name = library.get("name", "") if isinstance(library, dict) else ""
    if isinstance(name, str):
        if name in _WEB_LIBRARIES or ("javascript" in name.lower() and "node" not in name.lower()):
            return Channel.WEB
        if name in _APP_LIBRARIES:
            return Channel.APP
    if message_type == "screen" or isinstance(context.get("app"), dict):
        return Channel.APP
    if isinstance(context.get("userAgent"), str) and isinstance(context.get("page"), dict):
        return Channel.WEB
    return Channel.SERVER


def as_utc(moment: datetime) -> datetime:
    """Naive datetimes are taken to be UTC; aware ones are converted to UTC."""
    if moment.tzinfo is None:
        return moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)


def correct_skew(
    original: datetime | None, sent_at: datetime | None, received_at: datetime
) -> datetime:
    """Segment's clock-skew correction: ``receivedAt - (sentAt - originalTimestamp)``.

    Without ``sentAt`` the client's clock cannot be judged, so its timestamp is kept; without
    any client timestamp the event happened when it arrived.
    """
    if original is None:
        return received_at
    if sent_at is None:
        return original
    return received_at - (sent_at - original)

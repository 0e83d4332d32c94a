"""Hypothesis strategies for Shopstream's invariants.

Raw strategies (``segment_messages``, ``emails``, ``phones``, ``contexts``, ...) draw what a
client sends: JSON-ready dicts and strings, not yet normalised. ``keyed_messages`` draws parsed
messages whose ``(source, messageId)`` come from small pools, so repeats are common: the
shape the event log's dedupe has to survive.

Examples:
    >>> from hypothesis import given
    >>> @given(segment_messages())
    ... def test_parses(raw): ...
"""

from __future__ import annotations

import string
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import phonenumbers
from hypothesis import strategies as st

from shopstream.events import Channel, EventName, Message, MessageType, parse_message

__all__ = (
    "CHANNEL_LIBRARIES",
    "channel_names",
    "contexts",
    "emails",
    "iso_times",
    "json_values",
    "keyed_messages",
    "mutated_messages",
    "phones",
    "segment_messages",
    "timestamps",
    "track_events",
)

JSONValue = Any

# (library name, the channel it implies) for libraries derive_channel knows, plus server ones.
CHANNEL_LIBRARIES: tuple[tuple[str, Channel], ...] = (
    ("analytics.js", Channel.WEB),
    ("@segment/analytics-next", Channel.WEB),
    ("RudderLabs JavaScript SDK", Channel.WEB),
    ("analytics-ios", Channel.APP),
    ("analytics-kotlin", Channel.APP),
    ("com.rudderstack.android.sdk.core", Channel.APP),
    ("analytics-python", Channel.SERVER),
    ("analytics-node", Channel.SERVER),
    ("rudderstack-node-javascript", Channel.SERVER),
)

_PHONE_REGIONS = ("US", "CA", "GB", "DE", "FR", "BR", "IN", "JP", "AU", "MX", "ES", "NL")
_ID_CHARS = string.ascii_letters + string.digits + "-_:."
_text = st.text(st.characters(codec="utf-8", exclude_characters="\x00"), max_size=24)
_ids = st.text(_ID_CHARS, min_size=1, max_size=24)


def timestamps(min_year: int = 2000, max_year: int = 2100) -> st.SearchStrategy[datetime]:
    """Timezone-aware datetimes, in UTC or at a whole-minute offset within ±14 h."""
    offsets = st.integers(-14 * 60, 14 * 60).map(lambda m: timezone(timedelta(minutes=m)))
    return st.datetimes(
        min_value=datetime(min_year, 1, 1),  # noqa: DTZ001 - hypothesis takes naive bounds
        max_value=datetime(max_year, 12, 31),  # noqa: DTZ001
        timezones=st.just(UTC) | offsets,
    )


def iso_times() -> st.SearchStrategy[str]:
    """ISO-8601 times as SDKs write them: with an offset, or in UTC with ``Z``."""
    return timestamps().flatmap(
        lambda moment: st.sampled_from(
            [moment.isoformat(), moment.astimezone(UTC).isoformat().replace("+00:00", "Z")]
        )
    )


def emails() -> st.SearchStrategy[str]:
    """E-mail addresses as people type them: mixed case, stray whitespace around them."""
    local = st.text(string.ascii_letters + string.digits + "._%+-", min_size=1, max_size=20)
    domain = st.text(string.ascii_letters + string.digits, min_size=1, max_size=12)
    tld = st.sampled_from(["com", "COM", "co.uk", "Shop", "de"])
    pad = st.sampled_from(["", " ", "  ", "\t", "\n"])
    return st.builds(lambda a, lo, do, t, b: f"{a}{lo}@{do}.{t}{b}", pad, local, domain, tld, pad)


@st.composite
def phones(draw: st.DrawFn, default_region: str = "US") -> str:
    """Possible phone numbers of several countries, written in E.164, international form or,
    for ``default_region``, national form (``(201) 555-0123``)."""
    region = draw(st.sampled_from(_PHONE_REGIONS))
    example = phonenumbers.example_number_for_type(region, phonenumbers.PhoneNumberType.MOBILE)
    if example is None:  # every region above has one; a phonenumbers update could change it
        msg = f"phonenumbers has no example mobile number for {region}"
        raise LookupError(msg)
    national = str(example.national_number)
    tail = draw(st.text(string.digits, min_size=4, max_size=4))
    number = phonenumbers.PhoneNumber(
        country_code=example.country_code, national_number=int(national[:-4] + tail)
    )
    formats = [phonenumbers.PhoneNumberFormat.E164, phonenumbers.PhoneNumberFormat.INTERNATIONAL]
    if region == default_region:
        formats.append(phonenumbers.PhoneNumberFormat.NATIONAL)
    written = phonenumbers.format_number(number, draw(st.sampled_from(formats)))
    return draw(st.sampled_from(["", " "])) + written


def channel_names() -> st.SearchStrategy[str]:
    """Channel names as a client may declare them, in any case."""
    return st.sampled_from(list(Channel)).flatmap(
        lambda c: st.sampled_from([c.value, c.value.upper(), c.value.title()])
    )


@st.composite
def contexts(draw: st.DrawFn) -> dict[str, JSONValue]:
    """A message ``context``: maybe a channel (known or not), library, app, page, device."""
    context: dict[str, JSONValue] = {}
    if draw(st.booleans()):
        context["channel"] = draw(channel_names() | st.sampled_from(["kiosk", "", "tv"]))
    if draw(st.booleans()):
        name = draw(st.sampled_from([n for n, _ in CHANNEL_LIBRARIES]) | _ids)
        context["library"] = {"name": name, "version": "1.0.0"}
    if draw(st.booleans()):
        context["app"] = {"name": "Shop", "version": "3.2"}
    if draw(st.booleans()):
        context["userAgent"] = "Mozilla/5.0"
        context["page"] = {"path": "/p/1", "url": "https://shop.example/p/1"}
    if draw(st.booleans()):
        context["device"] = {"id": draw(_ids), "type": "ios"}
    if draw(st.booleans()):
        context["ip"] = "203.0.113.7"
    return context


def json_values(max_leaves: int = 12) -> st.SearchStrategy[JSONValue]:
    """Any JSON value (64-bit integers, finite floats, UTF-8 text)."""
    scalars = (
        st.none()
        | st.booleans()
        | st.integers(-(2**63), 2**63 - 1)
        | st.floats(allow_nan=False, allow_infinity=False)
        | _text
    )
    return st.recursive(
        scalars,
        lambda inner: st.lists(inner, max_size=4) | st.dictionaries(_text, inner, max_size=4),
        max_leaves=max_leaves,
    )


def _prices() -> st.SearchStrategy[float]:
    return st.floats(min_value=0, max_value=100_000, allow_nan=False, allow_infinity=False)


@st.composite
def _product(draw: st.DrawFn) -> dict[str, JSONValue]:
    item: dict[str, JSONValue] = {"product_id": draw(_ids | st.integers(1, 10**9))}
    if draw(st.booleans()):
        item["price"] = draw(_prices())
    if draw(st.booleans()):
        item["quantity"] = draw(st.integers(0, 100))
    if draw(st.booleans()):
        item["category"] = draw(_text)
    return item


@st.composite
def track_events(draw: st.DrawFn) -> tuple[str, dict[str, JSONValue]]:
    """``(event, properties)``: a known event with valid properties, or a custom event."""
    simple = st.dictionaries(st.text(string.ascii_lowercase + "_", min_size=1, max_size=10),
                             st.none() | st.booleans() | st.integers(-1000, 1000) | _text,
                             max_size=3)  # fmt: skip
    kind = draw(st.sampled_from(["product", "order", "cart", "search", "store", "zone",
                                 "inventory", "signal", "consent", "other", "custom"]))  # fmt: skip
    props: dict[str, JSONValue]
    if kind == "product":
        names = [EventName.PRODUCT_VIEWED, EventName.PRODUCT_ADDED, EventName.PRODUCT_REMOVED,
                 EventName.PRODUCT_ADDED_TO_WISHLIST]  # fmt: skip
        event, props = draw(st.sampled_from(names)), draw(_product())
    elif kind == "order":
        event = draw(st.sampled_from([EventName.ORDER_COMPLETED, EventName.ORDER_REFUNDED]))
        props = {"order_id": draw(_ids), "total": draw(_prices()), "currency": "EUR",
                 "products": draw(st.lists(_product(), max_size=3))}  # fmt: skip
    elif kind == "cart":
        event = draw(st.sampled_from([EventName.CART_VIEWED, EventName.CHECKOUT_STARTED]))
        props = {"cart_id": draw(_ids), "products": draw(st.lists(_product(), max_size=3))}
    elif kind == "search":
        event, props = EventName.PRODUCTS_SEARCHED, {"query": draw(_text)}
    elif kind == "store":
        event = draw(st.sampled_from([EventName.STORE_ENTERED, EventName.STORE_EXITED]))
        props = {"store_id": draw(_ids)}
    elif kind == "zone":
        event, props = EventName.STORE_ZONE_ENTERED, {"store_id": draw(_ids), "zone_id": "z1"}
    elif kind == "inventory":
        where = draw(st.sampled_from([{"store_id": draw(_ids)}, {"online": True}]))
        props = {"product_id": draw(_ids), "quantity": draw(st.integers(-5, 500)), **where}
        event = EventName.INVENTORY_UPDATED
    elif kind == "signal":
        event, props = EventName.SIGNAL_RECEIVED, {"kind": "weather", "region": "north"}
    elif kind == "consent":
        event = EventName.CONSENT_UPDATED
        props = {"purpose": draw(st.sampled_from(["email", "sms"])), "granted": draw(st.booleans())}
    elif kind == "other":  # in the vocabulary, without typed properties
        event, props = draw(st.sampled_from([EventName.PROMOTION_VIEWED, EventName.AD_CLICKED,
                                             EventName.EMAIL_OPENED])), draw(simple)  # fmt: skip
    else:
        event, props = "Custom " + draw(st.text(string.ascii_letters, max_size=12)), draw(simple)
    return str(event), props


@st.composite
def _traits(draw: st.DrawFn, card_tokens: bool) -> dict[str, JSONValue]:
    traits: dict[str, JSONValue] = {}
    if draw(st.booleans()):
        traits["email"] = draw(emails())
    if draw(st.booleans()):
        traits["phone"] = draw(phones())
    if draw(st.booleans()):
        traits[draw(st.sampled_from(["loyalty_id", "loyaltyId"]))] = draw(_ids)
    if card_tokens and draw(st.booleans()):
        traits[draw(st.sampled_from(["card_token", "cardToken"]))] = draw(_ids)
    if draw(st.booleans()):
        traits["name"] = draw(_text)
    return traits


@st.composite
def segment_messages(
    draw: st.DrawFn,
    types: Sequence[str] = tuple(MessageType),
    *,
    card_tokens: bool = True,
    message_ids: st.SearchStrategy[str] | None = None,
) -> dict[str, JSONValue]:
    """A valid Segment message as a client sends it (JSON-ready, not normalised).

    Args:
        types: the message types to draw from.
        card_tokens: whether traits may carry a POS card token (hashed and removed on parse,
            so a parsed message with one is not a fixed point of parsing).
        message_ids: where ``messageId`` comes from; by default, ids that rarely repeat.
    """
    kind = draw(st.sampled_from(list(types)))
    raw: dict[str, JSONValue] = {"type": kind}
    who = draw(st.sampled_from(["userId", "anonymousId", "both"]))
    if who != "anonymousId":
        raw["userId"] = draw(_ids | st.integers(1, 10**12))
    if who != "userId":
        raw["anonymousId"] = draw(_ids)
    if message_ids is not None or draw(st.booleans()):
        raw["messageId"] = draw(message_ids if message_ids is not None else _ids)
    if draw(st.booleans()):
        raw["timestamp"] = draw(iso_times())
    if draw(st.booleans()):
        raw["sentAt"] = draw(iso_times())
    context = draw(contexts())
    if draw(st.booleans()):
        context["traits"] = draw(_traits(card_tokens))
    raw["context"] = context
    if kind == "track":
        raw["event"], raw["properties"] = draw(track_events())
        if draw(st.booleans()):
            raw["properties"]["email"] = draw(emails())
    elif kind in ("identify", "group"):
        raw["traits"] = draw(_traits(card_tokens))
        if kind == "group":
            raw["groupId"] = draw(_ids)
    elif kind in ("page", "screen"):
        raw["name"] = draw(_text)
        raw["properties"] = {"path": "/"}
    else:
        raw["previousId"] = draw(_ids)
    return raw


# Keys worth breaking: every field the models and typed properties read.
_MUTABLE_KEYS = ("type", "userId", "anonymousId", "messageId", "timestamp", "sentAt",
                 "originalTimestamp", "receivedAt", "context", "event", "properties", "traits",
                 "groupId", "previousId", "integrations", "channel", "identities")  # fmt: skip
_TIME_KEYS = ("timestamp", "sentAt", "originalTimestamp", "receivedAt")
# The calendar's edges, where converting to UTC or correcting skew leaves datetime's range.
_EDGE_TIMES = ("0001-01-01T00:00:00+01:00", "0001-01-01T00:00:00Z", "9999-12-31T23:59:59-01:00",
               "9999-12-31T23:59:59Z", "1970-01-01T00:00:00Z")  # fmt: skip


@st.composite
def mutated_messages(draw: st.DrawFn) -> dict[str, JSONValue]:
    """A valid message with one field (or one typed property) replaced by any JSON value."""
    raw = draw(segment_messages())
    bag = raw
    if isinstance(raw.get("properties"), dict) and raw["properties"] and draw(st.booleans()):
        bag = raw["properties"]
    key = draw(st.sampled_from(sorted(set(bag) | set(_MUTABLE_KEYS))))
    values = json_values()
    if key in _TIME_KEYS:  # any time at all: year 1 to 9999, at any offset
        offsets = st.integers(-14 * 60, 14 * 60).map(lambda m: timezone(timedelta(minutes=m)))
        values = (
            st.sampled_from(_EDGE_TIMES)
            | st.datetimes(timezones=offsets).map(datetime.isoformat)
            | values
        )
    bag[key] = draw(values)
    return raw


def keyed_messages(
    sources: Sequence[str] = ("web", "pos"),
    message_ids: Sequence[str] = tuple(f"m{i}" for i in range(8)),
    received_at: datetime = datetime(2026, 1, 1, tzinfo=UTC),
) -> st.SearchStrategy[Message]:
    """Parsed messages whose ``(source, messageId)`` come from small pools (repeats likely)."""
    return st.builds(
        lambda raw, source: parse_message(raw, source=source, received_at=received_at),
        segment_messages(message_ids=st.sampled_from(list(message_ids))),
        st.sampled_from(list(sources)),
    )

"""Unit tests of ``parse_message``: each message type, channels, identities, errors."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from shopstream.events import (
    Alias,
    Channel,
    Group,
    Identifier,
    Identify,
    IdType,
    InvalidEvent,
    Page,
    Screen,
    Track,
    hash_identifier,
    parse_message,
)

RECEIVED = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


def parse(raw: object, **options: Any) -> Any:
    options.setdefault("source", "web")
    options.setdefault("received_at", RECEIVED)
    return parse_message(raw, **options)


def rejects(raw: object, **options: Any) -> InvalidEvent:
    with pytest.raises(InvalidEvent) as caught:
        parse(raw, **options)
    return caught.value


# -- each message type --------------------------------------------------------------------


def test_track() -> None:
    message = parse(
        {"type": "track", "event": "Product Viewed", "userId": "u1", "messageId": "m1",
         "properties": {"product_id": 42, "price": "19.90", "color": "red"}}
    )  # fmt: skip
    assert isinstance(message, Track)
    assert message.event == "Product Viewed"
    # Typed properties are coerced; unknown ones pass through.
    assert message.properties == {"product_id": "42", "price": 19.9, "color": "red"}
    assert message.source == "web"
    assert message.message_id == "m1"
    assert message.dedupe_key == ("web", "m1")


def test_a_custom_event_keeps_its_properties_as_sent() -> None:
    props = {"price": "not checked", "nested": {"a": [1, 2]}}
    message = parse(
        {"type": "track", "event": "Banner Seen", "anonymousId": "a", "properties": props}
    )
    assert message.properties == props


def test_identify() -> None:
    message = parse({"type": "identify", "userId": "u1", "traits": {"name": "Ana", "plan": "gold"}})
    assert isinstance(message, Identify)
    assert message.traits == {"name": "Ana", "plan": "gold"}


@pytest.mark.parametrize(("kind", "model"), [("page", Page), ("screen", Screen)])
def test_page_and_screen(kind: str, model: type) -> None:
    message = parse({"type": kind, "anonymousId": "a1", "name": "Home", "category": "Shop",
                     "properties": {"path": "/"}})  # fmt: skip
    assert isinstance(message, model)
    assert (message.name, message.category, message.properties) == ("Home", "Shop", {"path": "/"})


def test_group() -> None:
    message = parse({"type": "group", "userId": "u1", "groupId": "acme", "traits": {"size": 9}})
    assert isinstance(message, Group)
    assert message.group_id == "acme"


def test_alias() -> None:
    message = parse({"type": "alias", "userId": "u1", "previousId": "anon-7"})
    assert isinstance(message, Alias)
    assert message.previous_id == "anon-7"


def test_the_endpoint_names_the_type_when_the_body_does_not() -> None:
    assert isinstance(parse({"userId": "u1", "traits": {}}, default_type="identify"), Identify)
    # A type in the body wins over the endpoint's default.
    assert isinstance(parse({"type": "page", "userId": "u1"}, default_type="track"), Page)


def test_a_message_id_is_made_when_none_is_sent() -> None:
    first = parse({"type": "page", "anonymousId": "a"})
    second = parse({"type": "page", "anonymousId": "a"})
    assert first.message_id
    assert first.message_id != second.message_id


def test_numbers_given_for_ids_become_strings() -> None:
    message = parse({"type": "track", "event": "e", "userId": 42, "messageId": 7})
    assert (message.user_id, message.message_id) == ("42", "7")


def test_a_blank_anonymous_id_counts_as_none() -> None:
    message = parse({"type": "page", "userId": "u1", "anonymousId": "  "})
    assert message.anonymous_id is None
    assert message.identities == [Identifier(IdType.USER_ID, "u1")]


# -- time ---------------------------------------------------------------------------------


def test_timestamps_are_skew_corrected_with_sent_at() -> None:
    # The client's clock is 10 minutes fast: it says it sent at 12:10 what we got at 12:00.
    message = parse({"type": "page", "anonymousId": "a", "timestamp": "2026-03-01T12:09:00Z",
                     "sentAt": "2026-03-01T12:10:00Z"})  # fmt: skip
    assert message.original_timestamp == datetime(2026, 3, 1, 12, 9, tzinfo=UTC)
    assert message.timestamp == RECEIVED - timedelta(minutes=1)
    assert message.received_at == RECEIVED


def test_the_batch_sent_at_applies_when_the_message_has_none() -> None:
    sent = RECEIVED + timedelta(hours=1)
    message = parse({"type": "page", "anonymousId": "a", "timestamp": "2026-03-01T12:59:00Z"},
                    sent_at=sent)  # fmt: skip
    assert message.timestamp == RECEIVED - timedelta(minutes=1)


def test_offsets_and_naive_times_become_utc() -> None:
    message = parse({"type": "page", "anonymousId": "a", "timestamp": "2026-03-01T14:00:00+02:00"})
    assert message.timestamp == datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
    naive = parse({"type": "page", "anonymousId": "a", "timestamp": "2026-03-01T12:00:00"})
    assert naive.timestamp == datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


def test_without_a_client_time_the_event_happened_on_arrival() -> None:
    message = parse({"type": "page", "anonymousId": "a", "sentAt": "2026-03-01T13:00:00Z"})
    assert message.timestamp == RECEIVED
    # Logged as sent at sentAt, so parsing the logged form again cannot move it.
    assert message.original_timestamp == datetime(2026, 3, 1, 13, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("times", "field"),
    [
        ({"timestamp": "0001-01-01T00:00:00+01:00"}, "timestamp"),
        ({"timestamp": "9999-12-31T23:59:59-01:00"}, "timestamp"),
        ({"originalTimestamp": "0001-01-01T00:30:00+01:00"}, "originalTimestamp"),
        ({"sentAt": "0001-01-01T00:00:00+01:00"}, "sentAt"),
        ({"timestamp": "0001-01-01T00:00:00Z", "sentAt": "9999-12-31T00:00:00Z"}, "timestamp"),
        ({"timestamp": "9999-12-31T00:00:00Z", "sentAt": "0001-01-01T00:00:00Z"}, "timestamp"),
    ],
)
def test_times_out_of_range_are_invalid_not_a_crash(times: dict[str, str], field: str) -> None:
    error = rejects({"type": "page", "anonymousId": "a", **times}, path="batch[2].")
    assert error.field == f"batch[2].{field}"
    assert "1-9999" in error.message


# -- channel ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("context", "kind", "channel"),
    [
        ({"channel": "pos"}, "track", Channel.POS),
        ({"channel": "EMAIL", "library": {"name": "analytics.js"}}, "track", Channel.EMAIL),
        ({"channel": "kiosk", "library": {"name": "analytics.js"}}, "track", Channel.WEB),
        ({"library": {"name": "analytics.js"}}, "track", Channel.WEB),
        ({"library": {"name": "RudderLabs JavaScript SDK"}}, "track", Channel.WEB),
        ({"library": {"name": "my-javascript-tag"}}, "track", Channel.WEB),
        ({"library": {"name": "analytics-node-javascript"}}, "track", Channel.SERVER),
        ({"library": {"name": "analytics-ios"}}, "track", Channel.APP),
        ({"library": {"name": "com.rudderstack.android.sdk.core"}}, "track", Channel.APP),
        ({}, "screen", Channel.APP),
        ({"app": {"name": "Shop"}}, "track", Channel.APP),
        ({"userAgent": "Mozilla/5.0", "page": {"path": "/"}}, "page", Channel.WEB),
        ({"library": {"name": "analytics-python"}}, "track", Channel.SERVER),
        ({}, "identify", Channel.SERVER),
        ({"library": "not an object", "channel": 5}, "track", Channel.SERVER),
    ],
)
def test_channel(context: dict[str, Any], kind: str, channel: Channel) -> None:
    extra = {"event": "e"} if kind == "track" else {}
    message = parse({"type": kind, "anonymousId": "a", "context": context, **extra})
    assert message.channel is channel


# -- identities ---------------------------------------------------------------------------


def test_email_and_phone_are_normalised_and_hashed() -> None:
    message = parse({"type": "identify", "userId": "u1",
                     "traits": {"email": " Ana.Silva@Example.COM ", "phone": "(415) 555-0132"}})  # fmt: skip
    assert message.traits == {"email": "ana.silva@example.com", "phone": "+14155550132"}
    assert message.identities == [
        Identifier(IdType.USER_ID, "u1"),
        Identifier(IdType.EMAIL, hash_identifier("ana.silva@example.com")),
        Identifier(IdType.PHONE, hash_identifier("+14155550132")),
    ]


def test_phones_without_a_country_use_the_configured_region() -> None:
    message = parse({"type": "identify", "userId": "u1", "traits": {"phone": "020 7946 0958"}},
                    phone_region="GB")  # fmt: skip
    assert message.traits["phone"] == "+442079460958"


@pytest.mark.parametrize("key", ["cardToken", "card_token"])
def test_a_card_token_is_hashed_and_never_kept_raw(key: str) -> None:
    message = parse({"type": "track", "event": "Order Completed", "userId": "u1",
                     "properties": {"order_id": "o1", key: "tok_4242"}})  # fmt: skip
    assert Identifier(IdType.CARD_TOKEN, hash_identifier("tok_4242")) in message.identities
    assert key not in message.properties
    assert b"tok_4242" not in message.model_dump_json().encode()


def test_identifiers_in_context_traits_device_and_loyalty() -> None:
    message = parse({"type": "track", "event": "Store Entered", "anonymousId": "a1",
                     "properties": {"store_id": "s1", "loyalty_id": 991},
                     "context": {"traits": {"email": "A@B.CO", "loyaltyId": "L-7"},
                                 "device": {"id": "dev-1"}}})  # fmt: skip
    assert message.identities == [
        Identifier(IdType.ANONYMOUS_ID, "a1"),
        Identifier(IdType.EMAIL, hash_identifier("a@b.co")),
        Identifier(IdType.LOYALTY_ID, "L-7"),
        Identifier(IdType.LOYALTY_ID, "991"),
        Identifier(IdType.DEVICE_ID, "dev-1"),
    ]
    assert message.context["traits"]["email"] == "a@b.co"


def test_a_repeated_identifier_is_listed_once() -> None:
    message = parse({"type": "identify", "userId": "u1", "traits": {"email": "a@b.co"},
                     "context": {"traits": {"email": "A@B.CO"}}})  # fmt: skip
    assert message.identities == [
        Identifier(IdType.USER_ID, "u1"),
        Identifier(IdType.EMAIL, hash_identifier("a@b.co")),
    ]


def test_alias_links_the_previous_id() -> None:
    # previousId is keyed as the anonymous id the shopper had before signing in.
    known = parse({"type": "alias", "userId": "u1", "previousId": "anon-7"})
    assert known.identities == [
        Identifier(IdType.USER_ID, "u1"),
        Identifier(IdType.ANONYMOUS_ID, "anon-7"),
    ]
    anonymous = parse({"type": "alias", "anonymousId": "a2", "previousId": "a1"})
    assert anonymous.identities == [
        Identifier(IdType.ANONYMOUS_ID, "a2"),
        Identifier(IdType.ANONYMOUS_ID, "a1"),
    ]


def test_parsing_leaves_the_callers_dicts_alone() -> None:
    # A batch's shared context is one dict under many messages: each must see the card token.
    shared = {"traits": {"cardToken": "tok_1", "email": "A@B.CO"}}
    first = parse({"type": "page", "userId": "u1", "context": shared})
    second = parse({"type": "page", "userId": "u2", "context": shared})
    token = Identifier(IdType.CARD_TOKEN, hash_identifier("tok_1"))
    assert token in first.identities
    assert token in second.identities
    assert shared == {"traits": {"cardToken": "tok_1", "email": "A@B.CO"}}


# -- errors name the field ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "field"),
    [
        ("not an object", "batch[3]"),
        ({"type": "purchase", "userId": "u"}, "batch[3].type"),
        ({"type": 5, "userId": "u"}, "batch[3].type"),
        ({"type": "track", "event": "e"}, "batch[3].userId"),
        ({"type": "track", "userId": "u"}, "batch[3].event"),
        ({"type": "track", "userId": "u", "event": ["x"]}, "batch[3].event"),
        ({"type": "alias", "userId": "u"}, "batch[3].previousId"),
        ({"type": "group", "userId": "u"}, "batch[3].groupId"),
        ({"type": "page", "userId": "u", "timestamp": "yesterday"}, "batch[3].timestamp"),
        ({"type": "page", "userId": "u", "context": []}, "batch[3].context"),
        ({"type": "identify", "userId": "u", "traits": {"email": "nope"}}, "batch[3].traits.email"),
        ({"type": "identify", "userId": "u", "traits": {"email": 5}}, "batch[3].traits.email"),
        ({"type": "identify", "userId": "u", "traits": {"phone": "12"}}, "batch[3].traits.phone"),
        ({"type": "identify", "userId": "u", "traits": {"loyalty_id": True}},
         "batch[3].traits.loyalty_id"),
        ({"type": "page", "userId": "u", "context": {"traits": {"cardToken": [1]}}},
         "batch[3].context.traits.cardToken"),
        ({"type": "track", "userId": "u", "event": "Product Viewed", "properties": {}},
         "batch[3].properties.product_id"),
        ({"type": "track", "userId": "u", "event": "Product Viewed",
          "properties": {"product_id": "p", "price": "NaN"}}, "batch[3].properties.price"),
        ({"type": "track", "userId": "u", "event": "Order Completed",
          "properties": {"order_id": "o", "products": [{"price": 1}]}},
         "batch[3].properties.products.0.product_id"),
        ({"type": "track", "userId": "u", "event": "Inventory Updated",
          "properties": {"product_id": "p", "quantity": 3}}, "batch[3].properties.store_id"),
    ],
)  # fmt: skip
def test_errors_name_the_field(raw: object, field: str) -> None:
    error = rejects(raw, path="batch[3].")
    assert error.field == field
    assert error.message.startswith(field + ": ")


def test_a_single_message_error_names_the_field_without_a_prefix() -> None:
    assert rejects({"type": "track", "event": "e"}).field == "userId"
    assert rejects([1, 2]).field == "body"


@pytest.mark.parametrize(
    ("props", "ok"),
    [
        ({"product_id": "p", "quantity": 3, "store_id": "s1"}, True),
        ({"product_id": "p", "quantity": 3, "online": True}, True),
        ({"product_id": "p", "quantity": 3, "online": False}, False),
        ({"product_id": "p", "quantity": 3}, False),
    ],
)
def test_inventory_updates_say_where(props: dict[str, Any], ok: bool) -> None:
    raw = {"type": "track", "userId": "u", "event": "Inventory Updated", "properties": props}
    if ok:
        assert parse(raw).properties == props
    else:
        assert rejects(raw).field == "properties.store_id"

"""Invariants of normalisation (STYLE rule 26): idempotence, and exact, monotone skew correction."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import orjson
from hypothesis import given
from hypothesis import strategies as st

from shopstream.events import (
    Channel,
    IdType,
    correct_skew,
    derive_channel,
    hash_identifier,
    message_from_json,
    message_to_json,
    normalize_email,
    normalize_phone,
    parse_message,
)
from shopstream.testing import (
    channel_names,
    contexts,
    emails,
    phones,
    segment_messages,
    timestamps,
)

RECEIVED = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


@given(emails())
def test_email_normalisation_is_idempotent(email: str) -> None:
    once = normalize_email(email)
    assert normalize_email(once) == once
    assert once == once.strip().lower()


@given(phones())
def test_phone_normalisation_is_idempotent(phone: str) -> None:
    once = normalize_phone(phone)
    assert normalize_phone(once) == once
    assert once.startswith("+")
    assert once[1:].isdigit()


@given(phones(default_region="GB"))
def test_phone_normalisation_is_idempotent_in_any_region(phone: str) -> None:
    once = normalize_phone(phone, "GB")
    # E.164 carries its country, so the region no longer matters.
    assert normalize_phone(once, "US") == normalize_phone(once, "GB") == once


@given(contexts(), st.sampled_from(["track", "identify", "page", "screen", "group", "alias"]))
def test_channel_derivation_is_idempotent(context: dict[str, Any], kind: str) -> None:
    channel = derive_channel(context, kind)
    assert derive_channel({**context, "channel": channel.value}, kind) == channel


@given(channel_names(), contexts())
def test_a_declared_channel_wins_in_any_case(name: str, context: dict[str, Any]) -> None:
    assert derive_channel({**context, "channel": name}, "track") == Channel(name.lower())


@given(segment_messages(card_tokens=False), timestamps())
def test_parse_dump_parse_is_a_fixed_point(raw: dict[str, Any], later: datetime) -> None:
    first = parse_message(raw, source="web", received_at=RECEIVED)
    logged = orjson.loads(message_to_json(first))
    # Parsed again later, elsewhere: the logged receivedAt, time and identities all hold.
    again = parse_message(logged, source="web", received_at=later)
    assert again == first
    assert message_to_json(again) == message_to_json(first)


@given(segment_messages())
def test_the_logged_form_reads_back_as_the_same_message(raw: dict[str, Any]) -> None:
    message = parse_message(raw, source="web", received_at=RECEIVED)
    assert message_from_json(message_to_json(message)) == message


@given(segment_messages())
def test_contact_details_are_normalised_and_hashed(raw: dict[str, Any]) -> None:
    message = parse_message(raw, source="web", received_at=RECEIVED)
    hashed = {i.value for i in message.identities if i.type in (IdType.EMAIL, IdType.PHONE)}
    bags = [message.context.get("traits") or {}]
    bags.append(getattr(message, "traits", {}))
    bags.append(getattr(message, "properties", {}))
    for bag in bags:
        if "email" in bag:
            assert bag["email"] == normalize_email(bag["email"])
            assert hash_identifier(bag["email"]) in hashed
        if "phone" in bag:
            assert bag["phone"] == normalize_phone(bag["phone"])
            assert hash_identifier(bag["phone"]) in hashed
        assert "cardToken" not in bag
        assert "card_token" not in bag


@given(timestamps(), timestamps(), timestamps())
def test_skew_correction_is_exact(original: datetime, sent: datetime, received: datetime) -> None:
    corrected = correct_skew(original, sent, received)
    assert corrected - received == original - sent


@given(timestamps(), timestamps(), timestamps(), timestamps())
def test_skew_correction_is_monotone_in_the_client_timestamp(
    a: datetime, b: datetime, sent: datetime, received: datetime
) -> None:
    early, late = sorted((a, b))
    assert correct_skew(early, sent, received) <= correct_skew(late, sent, received)
    assert correct_skew(early, None, received) <= correct_skew(late, None, received)


@given(timestamps(), timestamps())
def test_without_a_client_time_the_event_happened_on_arrival(
    sent: datetime, received: datetime
) -> None:
    assert correct_skew(None, sent, received) == received
    assert correct_skew(None, None, received) == received


@given(segment_messages(), timestamps(), timestamps(), timestamps())
def test_parsed_messages_are_skew_corrected_exactly(
    raw: dict[str, Any], original: datetime, sent: datetime, received: datetime
) -> None:
    raw = {**raw, "timestamp": original.isoformat(), "sentAt": sent.isoformat()}
    raw.pop("originalTimestamp", None)
    message = parse_message(raw, source="web", received_at=received)
    assert message.timestamp is not None
    assert message.original_timestamp is not None
    assert message.sent_at is not None
    assert message.timestamp - received == message.original_timestamp - message.sent_at
    assert message.original_timestamp == original
    assert message.timestamp.tzinfo is UTC


@given(segment_messages(), timestamps(), st.integers(0, 10**9), timestamps())
def test_parsed_skew_correction_is_monotone(
    raw: dict[str, Any], original: datetime, later_ms: int, sent: datetime
) -> None:
    later = original + timedelta(milliseconds=later_ms)
    times = [
        parse_message(
            {**raw, "timestamp": moment.isoformat(), "sentAt": sent.isoformat()},
            source="web",
            received_at=RECEIVED,
        ).timestamp
        for moment in (original, later)
    ]
    assert times[0] is not None
    assert times[1] is not None
    assert times[0] <= times[1]
    assert times[1] - times[0] == later - original

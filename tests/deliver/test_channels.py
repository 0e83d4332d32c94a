"""Each channel adapter against a real HTTP receiver on loopback."""

from __future__ import annotations

import dataclasses
import hashlib
import logging
from collections.abc import Iterator
from datetime import UTC, datetime

import httpx
import pytest

from shopstream.core import CustomerId, StoreId
from shopstream.decide import Activation
from shopstream.deliver import (
    AlertBoard,
    AssociateChannel,
    AudienceChannel,
    MemoryAudiences,
    MessageChannel,
    MessageTemplate,
    Outcome,
    Recipient,
    WebhookChannel,
)
from shopstream.testing import WebhookSink

SECRET = "whsec_channels"
T0 = datetime(2026, 11, 25, 10, tzinfo=UTC)
ADA = Recipient(
    CustomerId("c1"),
    {"first_name": "Ada", "email": "Ada@Example.com", "phone": "+1 415 555 0132",
     "push_token": "tok-1"},
    {"email": True, "sms": True, "push": False},
    [{"id": "p1", "name": "Trail boots", "price": 89.0}, {"id": "p2", "name": "Wool socks",
                                                          "price": 12.5}],
)  # fmt: skip


def activation(key: str = "k1", channel: str = "webhook", **payload: object) -> Activation:
    return Activation(key, CustomerId("c1"), channel, "offer", "cart-abandon", "10off", "d1",
                      {"items": ["p1", "p2"], **payload}, T0)  # fmt: skip


@pytest.fixture
def sink() -> Iterator[WebhookSink]:
    statuses = {"gone": 410, "busy": 503, "slow-down": 429}
    with WebhookSink(SECRET, respond=lambda key, attempt: statuses.get(key, 200)) as running:
        yield running


async def test_webhook_posts_the_activation_signed_with_its_key(sink: WebhookSink) -> None:
    async with httpx.AsyncClient() as client:
        channel = WebhookChannel(sink.url, SECRET, client)
        receipt = await channel.send(activation(), ADA)
        assert receipt.outcome is Outcome.DELIVERED
        [arrival] = sink.arrivals
        assert arrival.key == "k1"
        assert arrival.body["triggerId"] == "cart-abandon"
        assert arrival.body["payload"]["items"] == ["p1", "p2"]
        assert sink.bad_signatures == 0
        # With the wrong secret the receiver refuses it: a rejection, not a retry.
        forged = await WebhookChannel(sink.url, "not-the-secret", client).send(
            activation("k2"), ADA
        )
        assert (forged.outcome, sink.bad_signatures) == (Outcome.REJECT, 1)


async def test_webhook_answers_map_to_retry_or_reject(sink: WebhookSink) -> None:
    async with httpx.AsyncClient() as client:
        channel = WebhookChannel(sink.url, SECRET, client)
        assert (await channel.send(activation("gone"), ADA)).outcome is Outcome.REJECT
        busy = await channel.send(activation("busy"), ADA)
        assert (busy.outcome, busy.detail) == (Outcome.RETRY, "503 from the receiver")
        assert (await channel.send(activation("slow-down"), ADA)).outcome is Outcome.RETRY
        down = WebhookChannel("http://127.0.0.1:9/nothing", SECRET, client)
        assert (await down.send(activation(), ADA)).outcome is Outcome.RETRY


def templates() -> dict[str, MessageTemplate]:
    return {
        "default": MessageTemplate.compile({
            "subject": "{{ traits.first_name | default('Hello') }}, still thinking it over?",
            "body": "{% for item in items %}{{ item.name }}: ${{ '%.2f' | format(item.price) }}\n"
                    "{% endfor %}Use {{ offer_id }} at checkout.",
        }),
        "sms-short": MessageTemplate.compile({"body": "{{ items | length }} items wait for you"}),
    }  # fmt: skip


async def test_email_renders_profile_fields_and_items_for_the_provider(
    sink: WebhookSink, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    async with httpx.AsyncClient() as client:
        email = MessageChannel("email", sink.url, SECRET, templates(), client)
        receipt = await email.send(activation(), ADA)
    assert receipt.outcome is Outcome.SENT
    body = sink.arrivals[0].body
    assert body["to"] == "Ada@Example.com"
    assert body["subject"] == "Ada, still thinking it over?"
    assert body["body"] == "Trail boots: $89.00\nWool socks: $12.50\nUse 10off at checkout."
    assert (body["key"], body["channel"], body["offerId"]) == ("k1", "email", "10off")
    assert "Ada@Example.com" not in caplog.text  # contact details are never logged


async def test_sms_picks_the_named_template_and_push_needs_consent(sink: WebhookSink) -> None:
    async with httpx.AsyncClient() as client:
        sms = MessageChannel("sms", sink.url, SECRET, templates(), client)
        assert (await sms.send(activation(template="sms-short"), ADA)).outcome is Outcome.SENT
        assert sink.arrivals[0].body == {**sink.arrivals[0].body, "to": "+1 415 555 0132",
                                         "body": "2 items wait for you"}  # fmt: skip
        push = MessageChannel("push", sink.url, SECRET, templates(), client)
        refused = await push.send(activation("k2"), ADA)
        assert (refused.outcome, refused.detail) == (Outcome.REJECT, "consent to push refused")
        nobody = Recipient(CustomerId("c2"), {}, {"email": True})
        email = MessageChannel("email", sink.url, SECRET, templates(), client)
        missing = await email.send(activation("k3"), nobody)
        assert missing.detail == "the profile has no email trait"
        never_asked = await email.send(activation("k4"), Recipient(CustomerId("c3")))
        assert never_asked.detail == "consent to email not given"
    assert len(sink.arrivals) == 1


async def test_the_sandbox_refuses_templates_that_reach_into_python(sink: WebhookSink) -> None:
    evil = {"default": MessageTemplate.compile(
        {"body": "{{ traits.__class__.__mro__[1].__subclasses__() }}"})}  # fmt: skip
    async with httpx.AsyncClient() as client:
        email = MessageChannel("email", sink.url, SECRET, evil, client)
        receipt = await email.send(activation(), ADA)
    assert receipt.outcome is Outcome.REJECT
    assert receipt.detail.startswith("the template failed to render: SecurityError")
    assert sink.arrivals == []


async def test_audience_changes_are_recorded_and_posted_with_hashed_contacts(
    sink: WebhookSink,
) -> None:
    store = MemoryAudiences()
    async with httpx.AsyncClient() as client:
        channel = AudienceChannel(store, client, sink.url, SECRET)
        added = activation("k1", "audience", audience="lapsed-vip", member=True)
        assert (await channel.send(added, ADA)).outcome is Outcome.DELIVERED
        assert store.members("lapsed-vip") == ["c1"]
        removed = activation("k2", "audience", audience="lapsed-vip", member=False)
        assert (await channel.send(removed, ADA)).outcome is Outcome.DELIVERED
        assert store.audiences() == {}
        bad = await channel.send(activation("k3", "audience"), ADA)
        assert bad.outcome is Outcome.REJECT
    first, second = (a.body for a in sink.arrivals)
    assert (first["change"], second["change"]) == ("added", "removed")
    assert first["emailSha256"] == hashlib.sha256(b"ada@example.com").hexdigest()
    assert first["phoneSha256"] == hashlib.sha256(b"+14155550132").hexdigest()
    assert "Ada" not in str(first)


async def test_decide_shaped_payloads_reach_templates_and_the_alert_board(
    sink: WebhookSink,
) -> None:
    payload = {"trigger": {"id": "aisle", "type": "proximity", "store_id": "s12",
                           "zone_id": "shoes"},
               "offer": {"id": "aisle-15", "content": {"title": "15% off in Shoes"},
                         "discount": {"percent": 15}}}  # fmt: skip
    decided = Activation("k9", CustomerId("c1"), "email", "offer", "aisle", "aisle-15", "d9",
                         payload, T0)  # fmt: skip
    by_offer = {
        "aisle-15": MessageTemplate.compile({
            "subject": "{{ content.title }}",
            "body": "{{ payload.offer.discount.percent }}% for {{ traits.first_name }}"}),
        "default": MessageTemplate.compile({"subject": "wrong", "body": "wrong"}),
    }  # fmt: skip
    async with httpx.AsyncClient() as client:
        email = MessageChannel("email", sink.url, SECRET, by_offer, client)
        assert (await email.send(decided, ADA)).outcome is Outcome.SENT
    body = sink.arrivals[0].body
    assert (body["subject"], body["body"]) == ("15% off in Shoes", "15% for Ada")
    board = AlertBoard()
    alert = dataclasses.replace(decided, channel="associate")
    assert (await AssociateChannel(board).send(alert, ADA)).outcome is Outcome.DELIVERED
    [posted] = board.alerts(StoreId("s12"))
    assert (posted.name, posted.offer_id) == ("Ada", "aisle-15")
    missing = dataclasses.replace(alert, key="k10", payload={"offer": {"id": "x"}})
    assert (await AssociateChannel(board).send(missing, ADA)).outcome is Outcome.REJECT

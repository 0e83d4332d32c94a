"""Triggers, offers and segments as YAML: every error says file, line and field."""

from __future__ import annotations

import pytest

from shopstream.decide import InvalidConfig
from shopstream.decide.config import DecideConfig, TriggerType, examples

OFFERS = """\
offers:
  - id: ten
    channels: [email]
"""
SEGMENTS = """\
segments:
  - id: vip
    when: "order_count >= 3"
"""


def build(
    triggers: str = "triggers: []\n", offers: str = OFFERS, segments: str = SEGMENTS
) -> DecideConfig:
    return DecideConfig.build({"triggers": triggers, "offers": offers, "segments": segments})


def test_the_shipped_examples_validate() -> None:
    config = DecideConfig.build(examples())
    assert {t.type for t in config.triggers} == set(TriggerType)
    assert config.counted == {"Product Viewed"}  # what count() reads is all that is kept


def test_on_stays_a_string_and_durations_are_seconds() -> None:
    config = build("""\
triggers:
  - id: cart
    type: absence
    on: Product Added
    absent: [Order Completed]
    within: 30m
    offers: [ten]
""")
    [trigger] = config.triggers
    assert trigger.on == "Product Added"  # YAML 1.1 would read the key `on` as true
    assert trigger.within == 1800.0


@pytest.mark.parametrize(
    ("kind", "text", "where", "says"),
    [
        (
            "triggers",
            "triggers:\n  - id: a\n    type: absence\n    on: X\n    offers: [ten]\n",
            "triggers.yaml:2: triggers[0]:",
            "needs 'absent'",
        ),
        (
            "triggers",
            "triggers:\n  - id: a\n    type: event\n    on: X\n    offers: [ten, nope]\n",
            "triggers.yaml:5: triggers[0].offers[1]:",
            "unknown offer 'nope' (known: ten)",
        ),
        (
            "triggers",
            'triggers:\n  - id: a\n    type: event\n    on: X\n    if: "spend > 1"\n    offers: [ten]\n',
            "triggers.yaml:5: triggers[0].if:",
            "unknown name 'spend'",
        ),
        (
            "triggers",
            "triggers:\n  - id: a\n    type: event\n    on: X\n    offers: [ten]\n    wihtin: 1m\n",
            "triggers.yaml:6: triggers[0].wihtin:",
            "not a known key",
        ),
        (
            "triggers",
            "triggers:\n  - id: a\n    type: absence\n    on: X\n    absent: [Y]\n    within: soon\n    offers: [ten]\n",
            "triggers.yaml:6: triggers[0].within:",
            "a duration such as 45s",
        ),
        (
            "triggers",
            "triggers:\n  - id: a\n    type: teleport\n    offers: [ten]\n",
            "triggers.yaml:3: triggers[0].type:",
            "Input should be",
        ),
        (
            "triggers",
            "triggers:\n  - id: a\n    type: segment_entry\n    segment: whales\n    offers: [ten]\n",
            "triggers.yaml:4: triggers[0].segment:",
            "unknown segment 'whales'",
        ),
        ("triggers", "triggers: [\n", "triggers.yaml:2:", "not valid YAML"),
        (
            "offers",
            "offers:\n  - id: ten\n    channels: [email]\n  - id: ten\n    channels: [sms]\n",
            "offers.yaml:4: offers[1].id:",
            "'ten' is defined twice",
        ),
        (
            "offers",
            "offers:\n  - id: ten\n    channels: [fax]\n",
            "offers.yaml:3: offers[0].channels[0]:",
            "Input should be",
        ),
        (
            "offers",
            "offers:\n  - id: ten\n    channels: [email]\n    start: 2026-03-01T00:00:00Z\n    end: 2026-02-01T00:00:00Z\n",
            "offers.yaml:2: offers[0]:",
            "must be after start",
        ),
        (
            "offers",
            "eligibility:\n  timezone: Mars/Olympus\noffers: []\n",
            "offers.yaml:2: eligibility.timezone:",
            "an IANA time zone",
        ),
        (
            "offers",
            "eligibility:\n  caps: {fax: 1}\noffers: []\n",
            "offers.yaml:2: eligibility.caps:",
            "caps name channels",
        ),
        (
            "offers",
            "offers:\n  - id: ten\n    channels: [email]\n    discount: {percent: 10, amount: 5}\n",
            "offers.yaml:4: offers[0].discount:",
            "either 'percent' or 'amount'",
        ),
        (
            "segments",
            'segments:\n  - id: vip\n    when: "order_count >="\n',
            "segments.yaml:3: segments[0].when:",
            "at column 15",
        ),
        ("segments", "- id: vip\n", "segments.yaml:1: (document):", "expected a mapping"),
    ],
)
def test_errors_give_file_line_and_field(kind: str, text: str, where: str, says: str) -> None:
    texts = {"triggers": "triggers: []\n", "offers": OFFERS, "segments": SEGMENTS, kind: text}
    with pytest.raises(InvalidConfig) as caught:
        DecideConfig.build(texts)
    assert str(caught.value).startswith(where), str(caught.value)
    assert says in str(caught.value)
    assert caught.value.file == f"{kind}.yaml"
    assert caught.value.line == int(where.split(":")[1])


def test_an_offer_still_named_by_a_trigger_cannot_go() -> None:
    config = build("triggers:\n  - id: a\n    type: event\n    on: X\n    offers: [ten]\n")
    with pytest.raises(
        InvalidConfig, match=r"triggers.yaml:5: triggers\[0\].offers\[0\]: unknown offer 'ten'"
    ):
        config.with_text("offers", "offers: []\n")

"""Load the three YAML files into one checked :class:`DecideConfig`.

Every error names the file, the line and the field (``triggers.yaml:12: triggers[1].within:
...``): pydantic's error locations and the expression compiler's are mapped back to the
YAML nodes they came from, and references between files (a trigger's offers and segment,
an offer's excluded segments) are checked too.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from importlib import resources
from typing import Any

from pydantic import BaseModel, ValidationError

from shopstream.decide.config.models import (
    Offer,
    OffersFile,
    Segment,
    SegmentsFile,
    Trigger,
    TriggersFile,
)
from shopstream.decide.config.source import Path_, Source, parse
from shopstream.decide.errors import InvalidExpression, UnknownConfigKind
from shopstream.decide.expressions import Compiled, compile_expression
from shopstream.decide.facts import NAMES, counted_events

KINDS = ("triggers", "offers", "segments")
_MODELS: Mapping[str, type[BaseModel]] = {
    "triggers": TriggersFile,
    "offers": OffersFile,
    "segments": SegmentsFile,
}
EMPTY = {"triggers": "triggers: []\n", "offers": "offers: []\n", "segments": "segments: []\n"}


def examples() -> dict[str, str]:
    """The example triggers, offers and segments the demo ships (``decide/examples``)."""
    folder = resources.files("shopstream.decide") / "examples"
    return {kind: (folder / f"{kind}.yaml").read_text(encoding="utf-8") for kind in KINDS}


def check_kind(kind: str) -> str:
    if kind not in KINDS:
        msg = f"configuration kind must be one of {', '.join(KINDS)}; got {kind!r}"
        raise UnknownConfigKind(msg, field="kind")
    return kind


def _validate(kind: str, source: Source) -> Any:
    data = source.data if source.data is not None else {}
    if not isinstance(data, dict):
        raise source.error(
            (), f"expected a mapping with a '{kind}' list; got {type(data).__name__}"
        )
    try:
        return _MODELS[kind].model_validate(data)
    except ValidationError as exc:
        error = exc.errors()[0]
        path: Path_ = tuple(error["loc"])
        message = error["msg"].removeprefix("Value error, ")
        if error["type"] == "extra_forbidden":
            message = "is not a known key (misspelt?)"
        raise source.error(path, message) from None


def _compile(source: Source, path: Path_, text: str | None) -> Compiled | None:
    if text is None:
        return None
    try:
        return compile_expression(text, NAMES)
    except InvalidExpression as exc:
        raise source.error(path, exc.message) from None


@dataclass(frozen=True, slots=True)
class DecideConfig:
    """Triggers, offers, segments and the eligibility rules, validated together."""

    texts: Mapping[str, str]
    triggers: tuple[Trigger, ...] = ()
    offers: Mapping[str, Offer] = field(default_factory=dict)
    segments: Mapping[str, Segment] = field(default_factory=dict)
    offers_file: OffersFile = field(default_factory=OffersFile)
    conditions: Mapping[str, Compiled] = field(default_factory=dict)  # trigger id -> if
    eligibility_rules: Mapping[str, Compiled] = field(default_factory=dict)  # offer id
    segment_rules: Mapping[str, Compiled] = field(default_factory=dict)
    counted: frozenset[str] = frozenset()
    # Triggers by the event that starts them, and absence triggers by the events that
    # cancel them: looked up once per event instead of scanning every trigger.
    started_by: Mapping[str, tuple[Trigger, ...]] = field(default_factory=dict)
    # Each offer's discount as JSON (None without one), made once, not per answer.
    discounts: Mapping[str, dict[str, Any] | None] = field(default_factory=dict)
    cancelled_by: Mapping[str, tuple[Trigger, ...]] = field(default_factory=dict)

    @classmethod
    def build(
        cls, texts: Mapping[str, str], files: Mapping[str, str] | None = None
    ) -> DecideConfig:
        """Validate the three texts (missing ones are empty); ``files`` names them in errors.

        Raises:
            InvalidConfig: the first problem, with file, line and field.
        """
        files = files or {}
        texts = {kind: texts.get(kind) or EMPTY[kind] for kind in KINDS}
        sources = {kind: parse(texts[kind], files.get(kind, f"{kind}.yaml")) for kind in KINDS}
        triggers: TriggersFile = _validate("triggers", sources["triggers"])
        offers_file: OffersFile = _validate("offers", sources["offers"])
        segments_file: SegmentsFile = _validate("segments", sources["segments"])
        src_t, src_o, src_s = sources["triggers"], sources["offers"], sources["segments"]

        segments = _unique(src_s, "segments", segments_file.segments)
        offers = _unique(src_o, "offers", offers_file.offers)
        _unique(src_t, "triggers", triggers.triggers)
        segment_rules = {
            s.id: _compile(src_s, ("segments", i, "when"), s.when)
            for i, s in enumerate(segments_file.segments)
        }
        counted: set[str] = set()
        for s in segments_file.segments:
            counted |= counted_events(s.when)
        conditions: dict[str, Compiled] = {}
        for i, trigger in enumerate(triggers.triggers):
            for j, offer_id in enumerate(trigger.offers):
                if offer_id not in offers:
                    raise src_t.error(
                        ("triggers", i, "offers", j), _unknown("offer", offer_id, offers)
                    )
            if trigger.segment is not None and trigger.segment not in segments:
                raise src_t.error(
                    ("triggers", i, "segment"), _unknown("segment", trigger.segment, segments)
                )
            condition = _compile(src_t, ("triggers", i, "if"), trigger.if_)
            if condition is not None:
                conditions[trigger.id] = condition
                counted |= counted_events(trigger.if_ or "")
        eligibility_rules: dict[str, Compiled] = {}
        for i, offer in enumerate(offers_file.offers):
            for j, segment_id in enumerate(offer.exclude_segments):
                if segment_id not in segments:
                    raise src_o.error(
                        ("offers", i, "exclude_segments", j),
                        _unknown("segment", segment_id, segments),
                    )
            rule = _compile(src_o, ("offers", i, "eligibility"), offer.eligibility)
            if rule is not None:
                eligibility_rules[offer.id] = rule
                counted |= counted_events(offer.eligibility or "")
        for j, segment_id in enumerate(offers_file.eligibility.suppress_segments):
            if segment_id not in segments:
                raise src_o.error(
                    ("eligibility", "suppress_segments", j),
                    _unknown("segment", segment_id, segments),
                )
        enabled = tuple(t for t in triggers.triggers if t.enabled)
        started: dict[str, list[Trigger]] = {}
        cancelled: dict[str, list[Trigger]] = {}
        for trigger in enabled:
            if trigger.starts_on is not None:
                started.setdefault(trigger.starts_on, []).append(trigger)
            for name in trigger.absent:
                cancelled.setdefault(name, []).append(trigger)
        return cls(
            texts=texts,
            triggers=enabled,
            started_by={k: tuple(v) for k, v in started.items()},
            discounts={
                o.id: o.discount.model_dump(exclude_none=True) if o.discount else None
                for o in offers.values()
            },
            cancelled_by={k: tuple(v) for k, v in cancelled.items()},
            offers=offers,
            segments=segments,
            offers_file=offers_file,
            conditions=conditions,
            eligibility_rules=eligibility_rules,
            segment_rules={k: v for k, v in segment_rules.items() if v is not None},
            counted=frozenset(counted),
        )  # fmt: skip

    def with_text(self, kind: str, text: str, file: str | None = None) -> DecideConfig:
        """This configuration with one kind's text replaced (validated as a whole)."""
        check_kind(kind)
        return DecideConfig.build({**self.texts, kind: text}, {kind: file or f"{kind}.yaml"})

    def items(self, kind: str) -> list[dict[str, Any]]:
        """The validated entries of one kind, as JSON-able values (what the API shows)."""
        check_kind(kind)
        if kind == "triggers":
            return [
                t.model_dump(mode="json", by_alias=True, exclude_none=True) for t in self.triggers
            ]
        if kind == "segments":
            return [s.model_dump(mode="json") for s in self.segments.values()]
        return [o.model_dump(mode="json", exclude_none=True) for o in self.offers.values()]


def _unique(source: Source, kind: str, entries: list[Any]) -> dict[str, Any]:
    seen: dict[str, Any] = {}
    for i, entry in enumerate(entries):
        if entry.id in seen:
            raise source.error((kind, i, "id"), f"{entry.id!r} is defined twice")
        seen[entry.id] = entry
    return seen


def _unknown(what: str, name: str, known: Mapping[str, object]) -> str:
    listed = ", ".join(sorted(known)) or "none are defined"
    return f"unknown {what} {name!r} (known: {listed})"

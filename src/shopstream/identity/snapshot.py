"""The JSON form of an identity graph, so a processor can persist it with its log offset.

The form is canonical: two graphs in the same state give equal snapshots, which is how
graphs compare. Identifiers are written ``"type:value"`` and customer ids are left out of
``customers`` (each is the canonical id of its first, highest-priority identifier).
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Mapping
from typing import NamedTuple, TypedDict

from shopstream.core import CustomerId
from shopstream.identity.errors import InvalidSnapshot
from shopstream.identity.keys import customer_of_key, key_from_text, key_to_text
from shopstream.identity.merges import (
    Merge,
    MergeJson,
    Refusal,
    RefusalJson,
    merge_from_json,
    merge_to_json,
    refusal_from_json,
    refusal_to_json,
)

VERSION = 1


class GraphSnapshot(TypedDict):
    version: int
    offset: int
    clock: float | None
    customers: list[list[str]]
    links: list[list[str]]
    merges: list[MergeJson]
    history: dict[str, list[str]]
    idle: dict[str, float]
    forbidden: list[list[str]]
    refusals: list[RefusalJson]


class GraphParts(NamedTuple):
    """The graph's structures, as :class:`~.graph.IdentityGraph` holds them."""

    offset: int
    clock: float | None
    members: dict[CustomerId, list[str]]
    links: dict[str, str]
    merges: dict[str, Merge]
    merges_of: dict[CustomerId, list[str]]
    idle: OrderedDict[CustomerId, float]
    forbidden: dict[str, set[str]]
    refusals: list[Refusal]


def dump(parts: GraphParts) -> GraphSnapshot:
    """The canonical JSON-serialisable form of ``parts``."""
    merges = parts.merges
    return GraphSnapshot(
        version=VERSION,
        offset=parts.offset,
        clock=parts.clock,
        customers=sorted([key_to_text(k) for k in sorted(m)] for m in parts.members.values()),
        links=sorted([key_to_text(k), key_to_text(p)] for k, p in parts.links.items()),
        merges=[merge_to_json(merges[merge_id]) for merge_id in sorted(merges)],
        history={
            customer_id: sorted(ids, key=lambda i: (merges[i].offset, merges[i].loser))
            for customer_id, ids in sorted(parts.merges_of.items())
        },
        idle=dict(parts.idle),
        forbidden=sorted(
            [key_to_text(a), key_to_text(b)]
            for a, partners in parts.forbidden.items()
            for b in partners
            if a < b
        ),
        refusals=[refusal_to_json(refusal) for refusal in parts.refusals],
    )


def load(data: Mapping[str, object] | GraphSnapshot) -> GraphParts:
    """The structures a snapshot describes.

    Raises:
        InvalidSnapshot: the snapshot is of another version or malformed.
    """
    if data.get("version") != VERSION:
        msg = f"identity snapshot version must be {VERSION}; got {data.get('version')!r}"
        raise InvalidSnapshot(msg, field="version")
    try:
        return _load(data)  # type: ignore[arg-type]
    except (KeyError, TypeError, ValueError) as exc:
        msg = f"identity snapshot is malformed: {exc!r}"
        raise InvalidSnapshot(msg) from None


def _load(data: GraphSnapshot) -> GraphParts:
    members: dict[CustomerId, list[str]] = {}
    for texts in data["customers"]:
        keys = [key_from_text(text) for text in texts]
        members[customer_of_key(keys[0])] = keys
    forbidden: dict[str, set[str]] = {}
    for first, second in data["forbidden"]:
        a, b = key_from_text(first), key_from_text(second)
        forbidden.setdefault(a, set()).add(b)
        forbidden.setdefault(b, set()).add(a)
    merges = [merge_from_json(item) for item in data["merges"]]
    return GraphParts(
        offset=int(data["offset"]),
        clock=None if data["clock"] is None else float(data["clock"]),
        members=members,
        links={key_from_text(k): key_from_text(p) for k, p in data["links"]},
        merges={merge.id: merge for merge in merges},
        merges_of={CustomerId(c): list(ids) for c, ids in data["history"].items()},
        idle=OrderedDict((CustomerId(c), float(t)) for c, t in data["idle"].items()),
        forbidden=forbidden,
        refusals=[refusal_from_json(item) for item in data["refusals"]],
    )

"""The identity graph: identifiers -> canonical customer id, merges, guardrails and splits.

``IdentityGraph`` is the pure, synchronous core; ``IdentityStore`` is the async protocol
backends implement and ``MemoryIdentityStore`` the embedded one.
"""

from __future__ import annotations

from shopstream.identity.errors import (
    IdentityError,
    InvalidIdentityInput,
    InvalidSnapshot,
    UnknownCustomer,
    UnknownMerge,
)
from shopstream.identity.graph import IdentityGraph
from shopstream.identity.keys import ANONYMOUS_TYPES, PRIORITY, canonical_id
from shopstream.identity.merges import Merge, Refusal, RefusalReason, Resolution, Side, Split
from shopstream.identity.rules import DEFAULT_CAPS, IdentityRules
from shopstream.identity.snapshot import GraphSnapshot
from shopstream.identity.store import IdentityStore, MemoryIdentityStore

__all__ = (
    "ANONYMOUS_TYPES",
    "DEFAULT_CAPS",
    "PRIORITY",
    "GraphSnapshot",
    "IdentityError",
    "IdentityGraph",
    "IdentityRules",
    "IdentityStore",
    "InvalidIdentityInput",
    "InvalidSnapshot",
    "MemoryIdentityStore",
    "Merge",
    "Refusal",
    "RefusalReason",
    "Resolution",
    "Side",
    "Split",
    "UnknownCustomer",
    "UnknownMerge",
    "canonical_id",
)

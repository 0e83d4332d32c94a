"""Reading an activation's payload, whoever wrote it.

Decide's triggers write ``{"trigger": {"id", "type", "store_id", "product_id", ...},
"offer": {"id", "content", "discount"}, ...}``; a hand-written activation may put the same
names at the top level. :func:`payload_value` finds a name at the top, then in ``offer.content``,
then in ``trigger``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any


def payload_value(payload: Mapping[str, Any], name: str) -> Any:
    """The value of ``name`` in ``payload`` (see the module docstring); ``None`` if absent.

    Examples:
        >>> payload_value({"trigger": {"store_id": "s1"}, "offer": {"content": {"store_id": "s2"}}},
        ...        "store_id")
        's2'
    """
    if name in payload:
        return payload[name]
    for outer, inner in (("offer", "content"), ("trigger", None)):
        part = payload.get(outer)
        if isinstance(part, Mapping) and inner is not None:
            part = part.get(inner)
        if isinstance(part, Mapping) and name in part:
            return part[name]
    return None


def offer_content(payload: Mapping[str, Any]) -> Mapping[str, Any]:
    """The offer's content (decide's ``offer.content``), or the payload itself."""
    offer = payload.get("offer")
    found = offer.get("content") if isinstance(offer, Mapping) else None
    return found if isinstance(found, Mapping) else payload

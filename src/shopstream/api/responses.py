"""A JSON response rendered with orjson (fast, and it knows datetimes)."""

from __future__ import annotations

from typing import Any

import orjson
from starlette.responses import Response


class JSON(Response):
    media_type = "application/json"

    def render(self, content: Any) -> bytes:
        return orjson.dumps(content)


# Values under these keys are data keyed by the retailer's own names (trait names, store ids,
# channel names, attribute names): they are passed through as they are.
_OPAQUE = frozenset({"traits", "attributes", "stock", "channels"})


def camel(name: str) -> str:
    """``product_id`` -> ``productId``: camelCase exists only on the wire."""
    head, *rest = name.split("_")
    return head + "".join(part[:1].upper() + part[1:] for part in rest)


def camelize(value: Any) -> Any:
    """Rename the keys of nested dicts to camelCase, leaving opaque maps untouched."""
    if isinstance(value, dict):
        return {camel(k): (v if k in _OPAQUE else camelize(v)) for k, v in value.items()}
    if isinstance(value, list):
        return [camelize(v) for v in value]
    return value

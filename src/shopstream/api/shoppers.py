"""The customer a request names (any identifier type), as every decision endpoint takes it."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from shopstream.api.errors import ProblemError
from shopstream.api.profiles import ID_TYPES
from shopstream.core import CustomerId
from shopstream.engine import Engine


class Wire(BaseModel):
    """A request body: camelCase as sent, unknown fields refused."""

    model_config = ConfigDict(extra="forbid", coerce_numbers_to_str=True)


class CustomerRef(Wire):
    type: str
    id: str = Field(min_length=1, max_length=256)


def shopper_of(engine: Engine, customer: CustomerRef, code: str) -> CustomerId:
    """The canonical customer of ``customer`` (one never seen gets the id they will have);
    a 400 problem ``code`` naming ``customer.type`` or ``customer.id`` when it cannot be."""
    if customer.type not in ID_TYPES:
        msg = f"customer.type must be one of {ID_TYPES}; got {customer.type!r}"
        raise ProblemError(400, code, msg, field="customer.type")
    try:
        return engine.shopper(customer.type, customer.id)
    except ValueError as exc:
        raise ProblemError(400, code, f"customer.id: {exc}", field="customer.id") from None

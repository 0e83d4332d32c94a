"""Typed properties of the events Shopstream acts on.

Unknown events and unknown properties pass through untouched (Segment allows custom events);
known events have their properties checked and coerced here, so a ``price`` of ``"abc"`` is
rejected with the field that failed, and a numeric ``product_id`` becomes a string.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator

from shopstream.events.plain_properties import dump_properties
from shopstream.events.vocabulary import EventName


class _Props(BaseModel):
    # No NaN or infinity: a price of "NaN" would be logged as null.
    model_config = ConfigDict(extra="allow", coerce_numbers_to_str=True, allow_inf_nan=False)


class ProductItem(_Props):
    product_id: str = Field(min_length=1)
    sku: str | None = None
    name: str | None = None
    brand: str | None = None
    category: str | None = None
    price: float | None = None
    quantity: int | None = Field(default=None, ge=0)


class ProductProps(ProductItem):
    store_id: str | None = None


class CartProps(_Props):
    cart_id: str | None = None
    products: list[ProductItem] = Field(default_factory=list)


class OrderProps(_Props):
    order_id: str = Field(min_length=1)
    total: float | None = None
    revenue: float | None = None
    tax: float | None = None
    shipping: float | None = None
    discount: float | None = None
    currency: str | None = None
    store_id: str | None = None
    products: list[ProductItem] = Field(default_factory=list)


class SearchProps(_Props):
    query: str


class StoreProps(_Props):
    store_id: str = Field(min_length=1)


class ZoneProps(StoreProps):
    zone_id: str = Field(min_length=1)


class InventoryProps(_Props):
    product_id: str = Field(min_length=1)
    quantity: int
    online: bool = False
    store_id: str | None = Field(default=None, validate_default=True)

    @field_validator("store_id")
    @classmethod
    def _where(cls, store_id: str | None, info: ValidationInfo) -> str | None:
        # A field validator (after ``online``), so the error names ``properties.store_id``.
        if store_id is None and info.data.get("online") is False:
            msg = "Inventory Updated needs store_id or online: true"
            raise ValueError(msg)
        return store_id


class SignalProps(_Props):
    kind: str = Field(min_length=1)
    region: str | None = None


class ConsentProps(_Props):
    purpose: str = Field(min_length=1)
    granted: bool


_PRODUCT_EVENTS = (
    EventName.PRODUCT_VIEWED,
    EventName.PRODUCT_CLICKED,
    EventName.PRODUCT_ADDED,
    EventName.PRODUCT_REMOVED,
    EventName.PRODUCT_ADDED_TO_WISHLIST,
    EventName.PRODUCT_REMOVED_FROM_WISHLIST,
    EventName.WISHLIST_PRODUCT_ADDED_TO_CART,
    EventName.PRODUCT_SHARED,
    EventName.PRODUCT_REVIEWED,
)
_ORDER_EVENTS = (
    EventName.ORDER_COMPLETED,
    EventName.ORDER_UPDATED,
    EventName.ORDER_REFUNDED,
    EventName.ORDER_CANCELLED,
)

PROPERTY_MODELS: dict[str, type[_Props]] = {
    **{str(name): ProductProps for name in _PRODUCT_EVENTS},
    **{str(name): OrderProps for name in _ORDER_EVENTS},
    str(EventName.CART_VIEWED): CartProps,
    str(EventName.CHECKOUT_STARTED): CartProps,
    str(EventName.PRODUCTS_SEARCHED): SearchProps,
    str(EventName.STORE_ENTERED): StoreProps,
    str(EventName.STORE_EXITED): StoreProps,
    str(EventName.STORE_ZONE_ENTERED): ZoneProps,
    str(EventName.INVENTORY_UPDATED): InventoryProps,
    str(EventName.SIGNAL_RECEIVED): SignalProps,
    str(EventName.CONSENT_UPDATED): ConsentProps,
}


def check_properties(event: str, properties: dict[str, Any]) -> dict[str, Any]:
    """Validate and coerce the properties of a known event; others are returned unchanged."""
    model = PROPERTY_MODELS.get(event)
    if model is None:
        return properties
    dumped = dump_properties(model, properties)
    if dumped is not None:
        return dumped
    return model.model_validate(properties).model_dump(exclude_unset=True)

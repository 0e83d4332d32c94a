"""The root of Shopstream's errors.

Every package has an ``errors.py`` whose errors derive from :class:`ShopstreamError` and
from the matching builtin, and carry a stable ``code``::

    ShopstreamError
    ├── events.InvalidEvent (ValueError)            events.invalid
    ├── log.LogUnavailable (ConnectionError)        log.unavailable
    ├── identity.IdentityError                      identity.*
    │   └── identity.UnknownCustomer (LookupError)  identity.unknown-customer
    └── catalog.UnknownProduct (LookupError)        catalog.unknown-product

``api/errors.py`` alone maps them to RFC 9457 problem details.
"""

from __future__ import annotations


class ShopstreamError(Exception):
    """Base of every error Shopstream raises on purpose."""

    code: str = "shopstream.error"

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field

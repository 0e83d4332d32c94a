"""Errors of the identity graph."""

from __future__ import annotations

from shopstream.core import ShopstreamError


class IdentityError(ShopstreamError):
    """Base of the identity graph's errors."""

    code = "identity.error"


class UnknownCustomer(IdentityError, LookupError):
    """No customer has this id (never seen, merged away, split or expired)."""

    code = "identity.unknown-customer"


class UnknownMerge(IdentityError, LookupError):
    """No recorded merge has this id (never made, already undone, or expired)."""

    code = "identity.unknown-merge"


class InvalidIdentityInput(IdentityError, ValueError):
    """An argument the graph cannot work with: no identifiers, an unknown type, a naive time."""

    code = "identity.invalid-input"


class InvalidSnapshot(IdentityError, ValueError):
    """A snapshot of an unknown version or shape."""

    code = "identity.invalid-snapshot"

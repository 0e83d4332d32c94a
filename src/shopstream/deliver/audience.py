"""Ad audiences: who is in each audience, a signed webhook on every change, CSV exports.

An ``audience`` activation names ``audience`` and ``member`` (``false`` takes the customer
out; default ``true``) in its payload or its offer's content (``content: {audience:
lapsed-vip}`` in decide's ``offers.yaml``). :class:`AudienceChannel` records the membership in an
:class:`AudienceStore` and, when a webhook is configured, POSTs the change signed (see
:mod:`shopstream.deliver.signing`) with the customer's hashed email and phone::

    {"audience": "lapsed-vip", "change": "added", "customerId": "...", "key": "...",
     "emailSha256": "...", "phoneSha256": "...", "at": "..."}

:func:`export_csv` writes an audience in the upload formats of the ad platforms, every
identifier normalised and SHA-256 hashed as each platform asks:

- ``google`` (Customer Match, hashed): ``Email,Phone,First Name,Last Name,Country,Zip``;
  email, E.164 phone (with ``+``), lowercase first and last name hashed; country (ISO
  3166-1 alpha-2) and zip in the clear, as Google asks.
- ``meta`` (customer list custom audience): ``email,phone,fn,ln,ct,st,zip,country,
  extern_id``; every column hashed but ``extern_id`` (our customer id); phone as digits
  with the country code and no ``+``; names, city, state lowercase without spaces or
  punctuation; zip lowercase without spaces; country ISO alpha-2 lowercase.

Only customers who consented to ``ads`` are exported (and none who refused).
"""

from __future__ import annotations

import csv
import io
import threading
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any, Protocol

import httpx

from shopstream.core import CustomerId, sha256_hex
from shopstream.decide import Activation
from shopstream.deliver.channel import Receipt, Recipient
from shopstream.deliver.payload import payload_value
from shopstream.deliver.posting import post_signed
from shopstream.events import normalize_email, normalize_phone


class AudienceStore(Protocol):
    """Membership of audiences; a change is durable when ``change`` returns."""

    def change(self, audience: str, customer_id: CustomerId, member: bool, at: datetime) -> bool:
        """Add or remove; return whether the membership changed."""
        ...

    def members(self, audience: str) -> list[CustomerId]: ...

    def audiences(self) -> dict[str, int]:
        """Each audience with how many members it has."""
        ...


class MemoryAudiences:
    """:class:`AudienceStore` in memory."""

    def __init__(self) -> None:
        self._members: dict[str, dict[CustomerId, datetime]] = {}
        self._lock = threading.Lock()

    def change(self, audience: str, customer_id: CustomerId, member: bool, at: datetime) -> bool:
        with self._lock:
            members = self._members.get(audience, {})
            if member == (customer_id in members):
                return False
            if member:
                self._members.setdefault(audience, members)[customer_id] = at
            elif len(members) == 1:  # as the durable stores: an audience is its members
                del self._members[audience]
            else:
                del members[customer_id]
            return True

    def members(self, audience: str) -> list[CustomerId]:
        with self._lock:
            return sorted(self._members.get(audience, {}))

    def audiences(self) -> dict[str, int]:
        with self._lock:
            return {name: len(m) for name, m in sorted(self._members.items())}


@dataclass(frozen=True, slots=True)
class AudienceChannel:
    """Records membership changes; with ``url``, POSTs each (signed) to it."""

    store: AudienceStore
    client: httpx.AsyncClient
    url: str | None = None
    secret: str = ""
    phone_region: str = "US"

    async def send(self, activation: Activation, recipient: Recipient) -> Receipt:
        audience = payload_value(activation.payload, "audience")
        found = payload_value(activation.payload, "member")
        member = True if found is None else found
        if not isinstance(audience, str) or not audience or not isinstance(member, bool):
            return Receipt.reject("an audience activation needs payload.audience and .member")
        changed = self.store.change(audience, activation.customer_id, member, activation.at)
        if self.url is None:
            return Receipt.delivered("changed" if changed else "unchanged")
        email, phone = _hashed_contact(recipient.traits, self.phone_region)
        body = {
            "audience": audience,
            "change": "added" if member else "removed",
            "customerId": activation.customer_id,
            "key": activation.key,
            "emailSha256": email,
            "phoneSha256": phone,
            "at": activation.at.isoformat(),
        }
        return await post_signed(
            self.client, self.url, self.secret, activation.key, body, ok=Receipt.delivered()
        )


class ExportFormat(StrEnum):
    GOOGLE = "google"
    META = "meta"


GOOGLE_COLUMNS = ("Email", "Phone", "First Name", "Last Name", "Country", "Zip")
META_COLUMNS = ("email", "phone", "fn", "ln", "ct", "st", "zip", "country", "extern_id")


def export_csv(members: Iterable[Recipient], fmt: ExportFormat, *, phone_region: str = "US") -> str:
    """The CSV to upload for ``members`` (see the module docstring for the columns)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(GOOGLE_COLUMNS if fmt is ExportFormat.GOOGLE else META_COLUMNS)
    for member in members:
        if member.consent.get("ads") is not True:
            continue
        row = (
            _google_row(member.traits, phone_region)
            if fmt is ExportFormat.GOOGLE
            else _meta_row(member.customer_id, member.traits, phone_region)
        )
        if any(row[:-1] if fmt is ExportFormat.META else row[:4]):
            writer.writerow(row)
    return out.getvalue()


def _text(traits: Mapping[str, Any], *names: str) -> str:
    for name in names:
        value = traits.get(name)
        if isinstance(value, str | int) and str(value).strip():
            return str(value).strip()
    address = traits.get("address")
    if isinstance(address, Mapping):
        for name in names:
            value = address.get(name)
            if isinstance(value, str | int) and str(value).strip():
                return str(value).strip()
    return ""


def _hash(value: str) -> str:
    return sha256_hex(value) if value else ""


def _phone(traits: Mapping[str, Any], region: str) -> str:
    raw = _text(traits, "phone")
    if not raw:
        return ""
    try:
        return normalize_phone(raw, region)
    except ValueError:
        return ""


def _hashed_contact(traits: Mapping[str, Any], region: str) -> tuple[str, str]:
    email = _text(traits, "email")
    return _hash(normalize_email(email) if email else ""), _hash(_phone(traits, region))


def _name(value: str) -> str:
    """Lowercase, without spaces or punctuation (letters of any script kept)."""
    normal = unicodedata.normalize("NFC", value).lower()
    return "".join(c for c in normal if c.isalnum())


def _google_row(traits: Mapping[str, Any], region: str) -> tuple[str, ...]:
    email, phone = _hashed_contact(traits, region)
    first = _text(traits, "first_name", "firstName").lower()
    last = _text(traits, "last_name", "lastName").lower()
    country = _text(traits, "country").upper()[:2]
    postal = _text(traits, "postal_code", "postalCode", "zip")
    return (email, phone, _hash(first), _hash(last), country, postal)


def _meta_row(customer_id: CustomerId, traits: Mapping[str, Any], region: str) -> tuple[str, ...]:
    email = _text(traits, "email")
    phone = _phone(traits, region).lstrip("+")
    return (
        _hash(normalize_email(email) if email else ""),
        _hash(phone),
        _hash(_name(_text(traits, "first_name", "firstName"))),
        _hash(_name(_text(traits, "last_name", "lastName"))),
        _hash(_name(_text(traits, "city"))),
        _hash(_name(_text(traits, "state"))),
        _hash(_text(traits, "postal_code", "postalCode", "zip").lower().replace(" ", "")),
        _hash(_text(traits, "country").lower()[:2]),
        str(customer_id),
    )

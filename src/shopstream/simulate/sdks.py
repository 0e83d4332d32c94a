"""The messages each sending library produces, shaped exactly as it sends them.

- the web storefront: analytics.js (``page`` calls, ``context.page``, ``userAgent``);
- the app: analytics-ios or analytics-android (``screen`` calls, ``context.device.id``,
  ``context.app``, ``context.os``); the same app reports store beacons with
  ``context.channel`` ``store`` and push opens with ``push``;
- the tills: the retailer's POS gateway, ``context.channel`` ``pos``, the customer's loyalty
  card and payment card token in ``context.traits`` (the till's own id stays in the
  properties, so it never becomes a shared device id);
- the email service: Segment's Python library server-side, ``context.channel`` ``email``;
- the stock system: the same library, ``context.channel`` ``server``.

A :class:`Sender` is one of these on one device, for one shopper, with the ids it stamps.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Any

from shopstream.core import StoreId
from shopstream.events import Channel, MessageType
from shopstream.simulate.datasets import RawEvent
from shopstream.simulate.shoppers import Platform, Shopper

SITE = "https://shop.example.com"
"""The storefront's address, for page URLs and email links."""

_WEB = {"name": "analytics.js", "version": "npm:next-1.70.0"}
_APPS = {
    Platform.IOS: ({"name": "analytics-ios", "version": "4.1.8"}, "iOS"),
    Platform.ANDROID: ({"name": "analytics-android", "version": "4.11.3"}, "Android"),
}
_APP = {
    "name": "Shopstream Store",
    "version": "5.2.0",
    "build": "520",
    "namespace": "com.example.store",
}
_POS = {"name": "shopstream-pos", "version": "1.4.0"}
_SERVER = {"name": "analytics-python", "version": "2.3.3"}


@dataclass(frozen=True, slots=True)
class Sender:
    """A sending library on one device: the ids it stamps and the context it adds."""

    context: Mapping[str, Any]
    anonymous_id: str | None = None
    user_id: str | None = None

    def signed_in(self, user_id: str) -> Sender:
        """The same device once the shopper has signed in: every message carries the user."""
        return replace(self, user_id=user_id)

    def message(
        self,
        kind: MessageType,
        *,
        at: datetime,
        message_id: str,
        page: Mapping[str, str] | None = None,
        **body: object,
    ) -> RawEvent:
        """One message of type ``kind``; ``page`` is the web page it happened on.

        ``body`` holds the type's own fields (``event`` and ``properties``, ``name``,
        ``traits``), with ``None`` values left out.
        """
        context = dict(self.context)
        if page is not None:
            context["page"] = dict(page)
        raw: RawEvent = {"type": str(kind), "messageId": message_id, "timestamp": iso(at)}
        if self.anonymous_id:
            raw["anonymousId"] = self.anonymous_id
        if self.user_id:
            raw["userId"] = self.user_id
        raw.update({key: value for key, value in body.items() if value is not None})
        raw["context"] = context
        return raw


def iso(moment: datetime) -> str:
    """ISO-8601 in UTC to the millisecond with a ``Z``, as analytics.js writes timestamps."""
    return moment.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def web(shopper: Shopper, *, campaign: Mapping[str, str] | None = None) -> Sender:
    """analytics.js in the shopper's browser; ``campaign`` holds the landing's UTM fields."""
    context: dict[str, Any] = {
        "library": dict(_WEB),
        "userAgent": shopper.user_agent,
        "locale": "en-US",
        "timezone": shopper.timezone,
    }
    if campaign:
        context["campaign"] = dict(campaign)
    return Sender(context, anonymous_id=shopper.web_anonymous_id)


def ad_click(shopper: Shopper, campaign: Mapping[str, str]) -> Sender:
    """analytics.js reporting the click that brought the shopper: channel ``ads``."""
    sender = web(shopper, campaign=campaign)
    return replace(sender, context={**sender.context, "channel": str(Channel.ADS)})


def app(shopper: Shopper, *, channel: Channel | None = None) -> Sender:
    """The retailer's app; ``channel`` marks beacon (``store``) and ``push`` reports.

    Raises:
        ValueError: the shopper has not installed the app.
    """
    install = shopper.app
    if install is None:
        msg = f"shopper {shopper.id} has no app installed"
        raise ValueError(msg)
    library, os_name = _APPS[install.platform]
    context: dict[str, Any] = {
        "library": dict(library),
        "app": dict(_APP),
        "device": {
            "id": install.device_id,
            "manufacturer": install.manufacturer,
            "model": install.model,
            "type": str(install.platform),
        },
        "os": {"name": os_name, "version": install.os_version},
        "locale": "en-US",
        "timezone": shopper.timezone,
    }
    if channel is not None:
        context["channel"] = str(channel)
    return Sender(context, anonymous_id=install.anonymous_id)


def till(receipt: str, traits: Mapping[str, str]) -> Sender:
    """The POS gateway for one sale: ``receipt`` is its anonymous id; ``traits`` what the
    customer showed (loyalty card, payment card token, email for an e-receipt)."""
    context: dict[str, Any] = {"library": dict(_POS), "channel": str(Channel.POS)}
    if traits:
        context["traits"] = dict(traits)
    return Sender(context, anonymous_id=receipt)


def email_service(shopper: Shopper) -> Sender:
    """The email service reporting a known shopper's opens and clicks, server-side.

    Raises:
        ValueError: the shopper has no account (the service only mails account holders).
    """
    if shopper.user_id is None:
        msg = f"shopper {shopper.id} has no account to email"
        raise ValueError(msg)
    context = {"library": dict(_SERVER), "channel": str(Channel.EMAIL)}
    return Sender(context, user_id=shopper.user_id)


def inventory_feed(location: StoreId) -> Sender:
    """The retailer's stock system reporting levels at a store or online, server-side.

    ``Inventory Updated`` is about products, not shoppers, so its ``anonymousId`` (which
    Segment requires) names the feed and never becomes a profile.
    """
    context = {"library": dict(_SERVER), "channel": str(Channel.SERVER)}
    return Sender(context, anonymous_id=f"inventory-feed-{location}")

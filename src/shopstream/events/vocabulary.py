"""The event vocabulary: Segment's e-commerce spec v2 names plus Shopstream's retail extensions."""

from __future__ import annotations

from enum import StrEnum

MAX_EVENT_BYTES = 32 * 1024
"""The largest event accepted, as sent (Segment's limit)."""


class MessageType(StrEnum):
    TRACK = "track"
    IDENTIFY = "identify"
    PAGE = "page"
    SCREEN = "screen"
    GROUP = "group"
    ALIAS = "alias"


class Channel(StrEnum):
    WEB = "web"
    APP = "app"
    STORE = "store"
    POS = "pos"
    EMAIL = "email"
    SMS = "sms"
    PUSH = "push"
    ADS = "ads"
    SERVER = "server"


class IdType(StrEnum):
    """Identifier types the identity graph keys customers by.

    ``email``, ``phone`` and ``cardToken`` values are SHA-256 hashes of the normalised value.
    """

    ANONYMOUS_ID = "anonymousId"
    USER_ID = "userId"
    EMAIL = "email"
    PHONE = "phone"
    LOYALTY_ID = "loyaltyId"
    DEVICE_ID = "deviceId"
    CARD_TOKEN = "cardToken"


HASHED_ID_TYPES = frozenset({IdType.EMAIL, IdType.PHONE, IdType.CARD_TOKEN})


class EventName(StrEnum):
    # Segment e-commerce spec v2: browsing
    PRODUCTS_SEARCHED = "Products Searched"
    PRODUCT_LIST_VIEWED = "Product List Viewed"
    PRODUCT_LIST_FILTERED = "Product List Filtered"
    PROMOTION_VIEWED = "Promotion Viewed"
    PROMOTION_CLICKED = "Promotion Clicked"
    PRODUCT_CLICKED = "Product Clicked"
    PRODUCT_VIEWED = "Product Viewed"
    # ordering
    PRODUCT_ADDED = "Product Added"
    PRODUCT_REMOVED = "Product Removed"
    CART_VIEWED = "Cart Viewed"
    CHECKOUT_STARTED = "Checkout Started"
    CHECKOUT_STEP_VIEWED = "Checkout Step Viewed"
    CHECKOUT_STEP_COMPLETED = "Checkout Step Completed"
    PAYMENT_INFO_ENTERED = "Payment Info Entered"
    ORDER_UPDATED = "Order Updated"
    ORDER_COMPLETED = "Order Completed"
    ORDER_REFUNDED = "Order Refunded"
    ORDER_CANCELLED = "Order Cancelled"
    # coupons
    COUPON_ENTERED = "Coupon Entered"
    COUPON_APPLIED = "Coupon Applied"
    COUPON_DENIED = "Coupon Denied"
    COUPON_REMOVED = "Coupon Removed"
    # wishlisting
    PRODUCT_ADDED_TO_WISHLIST = "Product Added to Wishlist"
    PRODUCT_REMOVED_FROM_WISHLIST = "Product Removed from Wishlist"
    WISHLIST_PRODUCT_ADDED_TO_CART = "Wishlist Product Added to Cart"
    # sharing and reviewing
    PRODUCT_SHARED = "Product Shared"
    CART_SHARED = "Cart Shared"
    PRODUCT_REVIEWED = "Product Reviewed"
    # retail extensions
    STORE_ENTERED = "Store Entered"
    STORE_EXITED = "Store Exited"
    STORE_ZONE_ENTERED = "Store Zone Entered"
    EMAIL_OPENED = "Email Opened"
    EMAIL_LINK_CLICKED = "Email Link Clicked"
    PUSH_OPENED = "Push Opened"
    AD_CLICKED = "Ad Clicked"
    INVENTORY_UPDATED = "Inventory Updated"
    SIGNAL_RECEIVED = "Signal Received"
    CONSENT_UPDATED = "Consent Updated"


ADMIN_SOURCE = "_admin"
"""The source of operator changes written to the log (no write key can name it)."""

ADMIN_USER = "_shopstream"


class AdminEvent(StrEnum):
    """Operator changes, logged like events so a replay reproduces them in order."""

    PRODUCTS_UPSERTED = "Catalog Products Upserted"
    STORES_UPSERTED = "Catalog Stores Upserted"
    STOCK_SET = "Catalog Stock Set"
    IDENTITY_UNMERGED = "Identity Unmerged"
    DECIDE_CONFIG_SET = "Decide Config Set"
    CLOCK_TICKED = "Clock Ticked"

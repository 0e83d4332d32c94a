"""Traffic for the demo and the load tests: simulated shoppers, and real datasets replayed,
as live Segment events.

The simulator draws a general retailer's catalogue and stores (:func:`generate_catalogue`)
and shoppers with hidden tastes across web, app and stores (:func:`generate_shoppers`);
:class:`Simulator` plays their sessions as the raw messages their SDKs, beacons, tills and
the retailer's email service would send, in time order. :class:`Responder` answers offers
and recommendations by the same hidden tastes, for bandit and recommender tests.

The converters yield the raw messages a retailer's tracking would have sent (the dicts an
SDK POSTs to ``/v1/batch``), so a replay exercises parsing, the log and every processor
exactly as live traffic does. :func:`repeat` plays a dataset again with fresh ids and later
times when more events are needed than it holds.
"""

from __future__ import annotations

from shopstream.simulate.behaviour import Behaviour
from shopstream.simulate.campaigns import CAMPAIGNS, Campaign, Send
from shopstream.simulate.catalogue import Catalogue, StockLevel, generate_catalogue
from shopstream.simulate.datasets import (
    ONLINE_RETAIL_DIR,
    TAOBAO_FILE,
    RawEvent,
    online_retail_events,
    repeat,
    shift,
    taobao_events,
)
from shopstream.simulate.replay import is_taobao, replay_events
from shopstream.simulate.response import Offer, Responder, acceptance
from shopstream.simulate.rhythm import DailyRhythm
from shopstream.simulate.shoppers import AppInstall, Shopper, ShopperId, Taste, generate_shoppers
from shopstream.simulate.traffic import Simulator
from shopstream.simulate.visit import TimedEvent

__all__ = (
    "CAMPAIGNS",
    "ONLINE_RETAIL_DIR",
    "TAOBAO_FILE",
    "AppInstall",
    "Behaviour",
    "Campaign",
    "Catalogue",
    "DailyRhythm",
    "Offer",
    "RawEvent",
    "Responder",
    "Send",
    "Shopper",
    "ShopperId",
    "Simulator",
    "StockLevel",
    "Taste",
    "TimedEvent",
    "acceptance",
    "generate_catalogue",
    "generate_shoppers",
    "is_taobao",
    "online_retail_events",
    "repeat",
    "replay_events",
    "shift",
    "taobao_events",
)

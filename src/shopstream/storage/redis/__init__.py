"""The scale-out backend on Redis: the event log as partitioned Redis Streams.

The ``redis`` driver is an optional extra (``pip install 'shopstream[redis]'``). Importing this
package never imports it; building a backend does, and raises :class:`MissingDependencyError`
naming the extra when it is not installed.
"""

from __future__ import annotations

from shopstream.storage.redis._driver import MissingDependencyError, require_redis
from shopstream.storage.redis.log import GroupEntry, RedisEventLog

__all__ = ("GroupEntry", "MissingDependencyError", "RedisEventLog", "require_redis")

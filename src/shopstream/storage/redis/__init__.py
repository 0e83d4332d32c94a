"""The scale-out backend on Redis: the event log as partitioned Redis Streams, the workers'
shared online state, and the partition leases that keep one worker on a partition at a time.
Every key carries a hash tag (:mod:`.hashtags`), so all of it runs on Redis Cluster too.

The ``redis`` driver is an optional extra (``pip install 'shopstream[redis]'``). Importing this
package never imports it; building a backend does, and raises :class:`MissingDependencyError`
naming the extra when it is not installed.
"""

from __future__ import annotations

from shopstream.storage.redis._driver import MissingDependencyError, require_redis
from shopstream.storage.redis.hashtags import log_tag, namespace_pattern, online_tag
from shopstream.storage.redis.leases import RedisLeases
from shopstream.storage.redis.log import GroupEntry, RedisEventLog
from shopstream.storage.redis.online import RedisOnlineState

__all__ = (
    "GroupEntry",
    "MissingDependencyError",
    "RedisEventLog",
    "RedisLeases",
    "RedisOnlineState",
    "log_tag",
    "namespace_pattern",
    "online_tag",
    "require_redis",
)

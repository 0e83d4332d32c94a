"""Key names for Redis Cluster: every key of the scale-out backend carries a hash tag.

Redis Cluster runs a script or a ``MULTI`` only when all its keys hash to one slot, and a slot
is chosen by the part of a key between its first ``{`` and the next ``}``. So every key of a
prefix's log starts with :func:`log_tag` (``{prefix}``) and every key of its online state and
partition leases with :func:`online_tag` (``{prefix:o}``): the log lives on one slot, the online
state (with the leases its script checks for fencing) on another, and each prefix's two slots
anywhere in the cluster. Scripts build key names at run time only from these tags, so what they
build is in the slot of the keys they declare. On a single Redis the tags are just names.

Why not a slot per partition: the log's offsets are one dense global sequence, given by one
counter in the same atomic step as the dedupe check and the global order stream; see
docs/scale-out.md ("Redis Cluster") for what splitting it would take.
"""

from __future__ import annotations


def _checked(prefix: str) -> str:
    if not prefix or "{" in prefix or "}" in prefix:
        msg = f"a Redis key prefix must be non-empty, without braces (they pick cluster slots): {prefix!r}"
        raise ValueError(msg)
    return prefix


def log_tag(prefix: str) -> str:
    """The start of every key of the log of ``prefix``: one hash slot."""
    return "{" + _checked(prefix) + "}"


def online_tag(prefix: str) -> str:
    """The start of every key of the online state and leases of ``prefix``: one hash slot."""
    return "{" + _checked(prefix) + ":o}"


def namespace_pattern(prefix: str) -> str:
    """A ``SCAN MATCH`` pattern for every key of ``prefix`` (the log's and the online state's)."""
    return "{" + _checked(prefix) + "[}:]*"

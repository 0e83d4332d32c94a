"""Cutting one edge of a cluster's spanning tree, to undo a merge."""

from __future__ import annotations

from collections.abc import Iterable, Mapping


def cut(
    members: Iterable[str],
    links: Mapping[str, str],
    edges: Iterable[tuple[str, str]],
    start: str,
) -> set[str]:
    """The members still connected to ``start`` through ``links`` and ``edges``.

    Args:
        members: the cluster's keys.
        links: attachment edges (key -> key it joined); only those of ``members`` are read.
        edges: the cluster's other edges (its remaining merges' links).
        start: a key on the side wanted.
    """
    neighbours: dict[str, list[str]] = {}
    for key in members:
        parent = links.get(key)
        if parent is not None:
            neighbours.setdefault(key, []).append(parent)
            neighbours.setdefault(parent, []).append(key)
    for a, b in edges:
        neighbours.setdefault(a, []).append(b)
        neighbours.setdefault(b, []).append(a)
    side = {start}
    pending = [start]
    while pending:
        for neighbour in neighbours.get(pending.pop(), ()):
            if neighbour not in side:
                side.add(neighbour)
                pending.append(neighbour)
    return side

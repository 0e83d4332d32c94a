from __future__ import annotations

import shopstream.identity


def test_public_names_are_exported_and_none_is_private() -> None:
    names = shopstream.identity.__all__
    assert isinstance(names, tuple)
    assert len(set(names)) == len(names)
    assert all(not name.startswith("_") for name in names)
    for name in names:
        assert getattr(shopstream.identity, name) is not None
    public = {n for n in dir(shopstream.identity) if not n.startswith("_")}
    modules = {
        "errors",
        "forest",
        "graph",
        "guardrails",
        "keys",
        "merges",
        "rules",
        "snapshot",
        "store",
    }
    assert public - modules - {"annotations"} == set(names)

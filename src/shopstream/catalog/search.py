"""A token index over product names, brands and categories."""

from __future__ import annotations

import re
from collections import defaultdict

from shopstream.catalog.models import Product
from shopstream.core import ProductId

_TOKEN = re.compile(r"[^\W_]+", re.UNICODE)


def tokens(text: str) -> set[str]:
    """Lower-cased word tokens.

    Examples:
        >>> sorted(tokens("Glass Kettle, 1.7L"))
        ['1', '7l', 'glass', 'kettle']
    """
    return set(_TOKEN.findall(text.casefold()))


def _product_tokens(product: Product) -> set[str]:
    return tokens(" ".join((product.name, product.brand or "", *product.category)))


class TokenIndex:
    """Inverted index: token -> product ids; a product is re-indexed when it is replaced."""

    __slots__ = ("_by_product", "_by_token")

    def __init__(self) -> None:
        self._by_token: dict[str, set[ProductId]] = defaultdict(set)
        self._by_product: dict[ProductId, frozenset[str]] = {}

    def add(self, product: Product) -> None:
        new = frozenset(_product_tokens(product))
        old = self._by_product.get(product.id)
        if old is None:  # a new product, the usual case
            for token in new:
                self._by_token[token].add(product.id)
            self._by_product[product.id] = new
            return
        for token in old - new:
            ids = self._by_token[token]
            ids.discard(product.id)
            if not ids:
                del self._by_token[token]
        for token in new - old:
            self._by_token[token].add(product.id)
        self._by_product[product.id] = new

    def search(self, text: str) -> list[tuple[ProductId, int]]:
        """Products matching any query token, with how many tokens they match, best first.

        Ties are broken by product id so that results are stable.
        """
        hits: dict[ProductId, int] = defaultdict(int)
        for token in tokens(text):
            for product_id in self._by_token.get(token, ()):
                hits[product_id] += 1
        return sorted(hits.items(), key=lambda hit: (-hit[1], hit[0]))

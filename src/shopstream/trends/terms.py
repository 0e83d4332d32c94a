"""Search terms as trends count them: one key per query, whatever its case or spacing."""

from __future__ import annotations

import unicodedata


def normalize_query(text: str, *, max_length: int = 64) -> str:
    """The key of a search query: NFKC, case-folded, single-spaced, at most ``max_length``.

    An empty result means there is nothing to count.

    Examples:
        >>> normalize_query("  Red   SHOES ")
        'red shoes'
        >>> normalize_query("\\uff34\\uff36\\tstand")  # full-width TV
        'tv stand'
    """
    folded = unicodedata.normalize("NFKC", text).casefold()
    return " ".join(folded.split())[:max_length].rstrip()

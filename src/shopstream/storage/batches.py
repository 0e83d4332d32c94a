"""Writing a batch of queued rows when the store may refuse a few of them.

The background writers (exposures, measured events, decisions) commit what was queued in one
transaction. When the store refuses the batch for a reason of one of its rows (a value it
cannot hold, a number out of range, a broken constraint), the batch is split in halves, each
written on its own, until every refused row is alone: the other rows are written, in about
``2 * log2(n)`` transactions per refused row rather than ``n``, and each refused row is handed
to the caller to drop. An error that says the store is away is not the rows' fault: it stops
the write and leaves what is not written yet for the next attempt.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")


def write_around_refused(
    rows: list[T],
    write: Callable[[list[T]], int],
    refused: Callable[[T, Exception], None],
    *,
    away: tuple[type[Exception], ...],
) -> int:
    """``write`` all of ``rows`` (one transaction each call) and return the sum it returns.

    Each row is removed from the front of ``rows`` once written or refused (``refused(row,
    error)``), in order; an error of a type in ``away`` propagates and leaves in ``rows`` the
    rows not settled yet.
    """
    added = 0
    sizes = [len(rows)] if rows else []  # the next chunk's size last
    while sizes:
        size = sizes.pop()
        chunk = rows[:size]
        try:
            added += write(chunk)
        except away:
            raise
        except Exception as exc:  # whatever the store says of the rows: split, or drop the one
            if size > 1:
                sizes += [size - size // 2, size // 2]
                continue
            refused(chunk[0], exc)
        del rows[:size]
    return added

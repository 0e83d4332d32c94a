"""The public test kit: a real server process, fakes and Hypothesis strategies.

Nothing in ``shopstream`` imports this package; tests and benchmarks do.
"""

from __future__ import annotations

from shopstream.testing.server import ServerProcess, free_port

__all__ = ("ServerProcess", "free_port")

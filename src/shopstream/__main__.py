"""``python -m shopstream``: the same as the ``shopstream`` command."""

from __future__ import annotations

from shopstream.cli import app

app()

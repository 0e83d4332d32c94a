"""Decide's YAML files in a directory: ``triggers.yaml``, ``offers.yaml``, ``segments.yaml``."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path


class ConfigDirectory:
    """:class:`shopstream.decide.runtime.ConfigFiles` on a directory; writes are atomic
    (a temporary file renamed over the old), so a reader never sees half a file."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def _file(self, kind: str) -> Path:
        return self.path / f"{kind}.yaml"

    def name(self, kind: str) -> str:
        return str(self._file(kind))

    def read(self, kind: str) -> str | None:
        try:
            return self._file(kind).read_text(encoding="utf-8")
        except FileNotFoundError:
            return None

    def write(self, kind: str, text: str) -> None:
        self.path.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=self.path, prefix=f".{kind}.", suffix=".tmp")
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            out.write(text)
            out.flush()
            os.fsync(out.fileno())
        Path(tmp).replace(self._file(kind))

    def fingerprint(self) -> tuple[tuple[str, int, int], ...]:
        marks = []
        for kind in ("triggers", "offers", "segments"):
            try:
                stat = self._file(kind).stat()
            except FileNotFoundError:
                continue
            marks.append((kind, stat.st_mtime_ns, stat.st_size))
        return tuple(marks)


__all__ = ("ConfigDirectory",)

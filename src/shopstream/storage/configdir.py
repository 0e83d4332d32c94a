"""The YAML files of the config directory: decide's ``triggers.yaml``, ``offers.yaml`` and
``segments.yaml``, and measure's ``experiments.yaml`` (the embedded backend's experiments)."""

from __future__ import annotations

import os
import tempfile
import threading
from pathlib import Path

from shopstream.measure.experiment_config import (
    ExperimentsFile,
    load_experiments,
    parse_experiments,
)


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


class FileExperiments:
    """:class:`~shopstream.measure.experiment_config.ExperimentStore` on ``experiments.yaml``
    in ``directory``: read again whenever the file changes on disk (a stat per call),
    replaced atomically."""

    def __init__(self, directory: ConfigDirectory) -> None:
        self._directory = directory
        self._path = directory.path / "experiments.yaml"
        self.where = str(self._path)
        self._lock = threading.Lock()
        self._stamp: tuple[int, int] | None = None
        self._file = ExperimentsFile()
        self.current()  # a broken file fails at start

    def current(self) -> ExperimentsFile:
        with self._lock:
            stamp = self._stat()
            if stamp != self._stamp:
                self._file = load_experiments(self._path)
                self._stamp = stamp
            return self._file

    def replace(self, text: str) -> ExperimentsFile:
        parsed = parse_experiments(text, name=self.where)
        with self._lock:
            self._directory.write("experiments", text)
            self._file, self._stamp = parsed, self._stat()
        return parsed

    def _stat(self) -> tuple[int, int] | None:
        try:
            stat = self._path.stat()
        except FileNotFoundError:
            return None
        return (stat.st_mtime_ns, stat.st_size)


__all__ = ("ConfigDirectory", "FileExperiments")

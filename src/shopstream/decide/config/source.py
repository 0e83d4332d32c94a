"""YAML read with the line of every value, so a validation error can say where it is."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import yaml

from shopstream.decide.errors import InvalidConfig

Path_ = tuple[str | int, ...]


class _Loader(yaml.SafeLoader):
    """YAML 1.2 booleans: only ``true`` and ``false``, so a trigger's ``on:`` key stays a
    string (YAML 1.1 reads ``on``, ``off``, ``yes`` and ``no`` as booleans)."""


_Loader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:bool"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
_Loader.add_implicit_resolver(
    "tag:yaml.org,2002:bool", re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"), list("tTfF")
)


@dataclass(frozen=True, slots=True)
class Source:
    """A parsed YAML document: its values, its file name, and the line of each value."""

    file: str
    data: Any
    lines: Mapping[Path_, int]

    def line_of(self, path: Path_) -> int:
        """The line of ``path``, or of its nearest enclosing value (1-based)."""
        for end in range(len(path), -1, -1):
            line = self.lines.get(tuple(path[:end]))
            if line is not None:
                return line
        return 1

    def error(self, path: Path_, message: str) -> InvalidConfig:
        """An :class:`InvalidConfig` saying ``file:line: field: message``."""
        field = dotted(path)
        line = self.line_of(path)
        return InvalidConfig(
            f"{self.file}:{line}: {field or '(document)'}: {message}",
            field=field,
            file=self.file,
            line=line,
        )


def dotted(path: Path_) -> str:
    """``("triggers", 0, "within")`` as ``triggers[0].within``."""
    out = ""
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


def parse(text: str, file: str) -> Source:
    """Parse one YAML document, keeping lines; anchors and aliases are refused."""
    try:
        node = yaml.compose(text, Loader=_Loader)
        data = yaml.load(text, Loader=_Loader)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark is not None else 1
        problem = getattr(exc, "problem", None) or str(exc)
        raise InvalidConfig(
            f"{file}:{line}: not valid YAML: {problem}", file=file, line=line
        ) from None
    lines: dict[Path_, int] = {}
    if node is not None:
        _walk(node, (), lines, file)
    return Source(file, data, lines)


def _walk(node: yaml.Node, path: Path_, lines: dict[Path_, int], file: str) -> None:
    lines[path] = node.start_mark.line + 1
    if isinstance(node, yaml.MappingNode):
        for key, value in node.value:
            if key.tag == "tag:yaml.org,2002:merge" or not isinstance(key, yaml.ScalarNode):
                line = key.start_mark.line + 1
                msg = f"{file}:{line}: merge keys and complex keys are not supported"
                raise InvalidConfig(msg, file=file, line=line)
            child = (*path, key.value)
            _walk(value, child, lines, file)
            lines[child] = key.start_mark.line + 1
    elif isinstance(node, yaml.SequenceNode):
        for i, item in enumerate(node.value):
            _walk(item, (*path, i), lines, file)

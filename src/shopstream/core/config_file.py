"""YAML configuration files validated by a pydantic model, with errors that say where.

A mistake is reported as ``path:line: field: what was wrong``, the line being the one of the
value that failed (or of the nearest mapping that holds it), so a marketer can find it.
"""

from __future__ import annotations

from pathlib import Path
from typing import TypeVar

import yaml
from pydantic import BaseModel, ValidationError

from shopstream.core.errors import ShopstreamError

M = TypeVar("M", bound=BaseModel)


class InvalidConfigFile(ShopstreamError, ValueError):
    """A configuration file does not parse or validate; ``field`` is ``path:line: field``."""

    code = "config.invalid"


def load_model(path: Path, model: type[M]) -> M:
    """Parse and validate ``path`` as ``model``; raise :class:`InvalidConfigFile` naming the
    file, line and field of the first mistake."""
    return parse_model(path.read_text(), model, name=str(path))


def parse_model(text: str, model: type[M], *, name: str = "<config>") -> M:
    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark is not None else 1
        msg = f"{name}:{line}: not valid YAML: {getattr(exc, 'problem', exc)}"
        raise InvalidConfigFile(msg, field=f"{name}:{line}") from None
    try:
        return model.model_validate(data if data is not None else {})
    except ValidationError as exc:
        error = exc.errors()[0]
        loc = tuple(error["loc"])
        field = ".".join(str(part) for part in loc) or "(top)"
        line = _line_of(node, loc)
        msg = f"{name}:{line}: {field}: {error['msg']}"
        raise InvalidConfigFile(msg, field=f"{name}:{line}: {field}") from None


def _line_of(node: yaml.Node | None, loc: tuple[int | str, ...]) -> int:
    """The line of the node at ``loc`` (1-based), or of its deepest ancestor that exists."""
    line = node.start_mark.line + 1 if node is not None else 1
    for part in loc:
        child: yaml.Node | None = None
        if isinstance(node, yaml.MappingNode):
            for key, value in node.value:
                if isinstance(key, yaml.ScalarNode) and key.value == str(part):
                    child = value
                    line = key.start_mark.line + 1
                    break
        elif (
            isinstance(node, yaml.SequenceNode)
            and isinstance(part, int)
            and 0 <= part < len(node.value)
        ):
            child = node.value[part]
            line = child.start_mark.line + 1
        if child is None:
            break
        node = child
    return line


__all__ = ("InvalidConfigFile", "load_model", "parse_model")

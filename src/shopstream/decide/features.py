"""Named profile and request features turned into a policy's context vector.

Needs numpy (``pip install 'shopstream[ml]'``).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from types import MappingProxyType

from shopstream.decide._numpy import Vector, np
from shopstream.decide.errors import InvalidFeatures


@dataclass(frozen=True, slots=True)
class FeatureSpec:
    """The layout of a context vector: a bias, numbers, one-hot levels, cyclic values.

    Columns come in a fixed order: ``bias`` (always 1) when ``bias`` is set, then each
    ``numeric`` feature as given, then one column per level of each ``categorical`` feature
    (an unknown level sets none), then ``sin`` and ``cos`` of each ``cyclic`` feature over
    its period (hour of day over 24). A missing feature encodes as zeros; a feature the spec
    does not name, or a value of the wrong kind, raises :class:`InvalidFeatures`.

    Examples:
        >>> spec = FeatureSpec(
        ...     numeric=("intent",), categorical={"channel": ("web", "app")}, cyclic={"hour": 24}
        ... )
        >>> spec.names
        ('bias', 'intent', 'channel=web', 'channel=app', 'hour.sin', 'hour.cos')
        >>> spec.vector({"intent": 0.5, "channel": "app", "hour": 6}).round(3).tolist()
        [1.0, 0.5, 0.0, 1.0, 1.0, 0.0]
    """

    numeric: Sequence[str] = ()
    categorical: Mapping[str, Sequence[str]] = field(default_factory=dict)
    cyclic: Mapping[str, float] = field(default_factory=dict)
    bias: bool = True
    names: tuple[str, ...] = field(init=False)
    _columns: Mapping[str, int] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        numeric = tuple(self.numeric)
        categorical = MappingProxyType({k: tuple(v) for k, v in self.categorical.items()})
        cyclic = MappingProxyType(dict(self.cyclic))
        names = ["bias"] if self.bias else []
        columns: dict[str, int] = {}
        for name in (*numeric, *categorical, *cyclic):
            if name in columns:
                msg = f"FeatureSpec names {name!r} twice; each feature has one kind"
                raise InvalidFeatures(msg, field=name)
            columns[name] = len(names)
            if name in categorical:
                levels = categorical[name]
                if len(set(levels)) != len(levels):
                    msg = f"FeatureSpec.categorical[{name!r}] repeats a level: {list(levels)!r}"
                    raise InvalidFeatures(msg, field=name)
                names += [f"{name}={level}" for level in levels]
            elif name in cyclic:
                if not (math.isfinite(cyclic[name]) and cyclic[name] > 0):
                    msg = f"FeatureSpec.cyclic[{name!r}] must be a period > 0; got {cyclic[name]!r}"
                    raise InvalidFeatures(msg, field=name)
                names += [f"{name}.sin", f"{name}.cos"]
            else:
                names.append(name)
        if not names:
            msg = "FeatureSpec has no columns: name a feature or keep the bias"
            raise InvalidFeatures(msg)
        object.__setattr__(self, "numeric", numeric)
        object.__setattr__(self, "categorical", categorical)
        object.__setattr__(self, "cyclic", cyclic)
        object.__setattr__(self, "names", tuple(names))
        object.__setattr__(self, "_columns", MappingProxyType(columns))

    @property
    def dim(self) -> int:
        """The length of the vectors (what a policy's ``dim`` must be)."""
        return len(self.names)

    def vector(self, features: Mapping[str, float | str]) -> Vector:
        """The context vector of ``features``; the same features always give the same vector."""
        out = np.zeros(len(self.names))
        if self.bias:
            out[0] = 1.0
        for name, value in features.items():
            column = self._columns.get(name)
            if column is None:
                msg = f"feature {name!r} is not in the spec; it knows {sorted(self._columns)}"
                raise InvalidFeatures(msg, field=name)
            if name in self.categorical:
                if not isinstance(value, str):
                    msg = f"feature {name!r} is categorical and needs a str; got {value!r}"
                    raise InvalidFeatures(msg, field=name)
                levels = self.categorical[name]
                if value in levels:
                    out[column + levels.index(value)] = 1.0
                continue
            if isinstance(value, str) or not math.isfinite(value):
                msg = f"feature {name!r} needs a finite number; got {value!r}"
                raise InvalidFeatures(msg, field=name)
            if name in self.cyclic:
                angle = 2.0 * math.pi * value / self.cyclic[name]
                out[column], out[column + 1] = math.sin(angle), math.cos(angle)
            else:
                out[column] = value
        return out

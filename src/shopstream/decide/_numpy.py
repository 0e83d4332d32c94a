"""numpy, or an error naming the extra that installs it."""

from __future__ import annotations

from shopstream.decide.errors import MissingExtra

try:
    import numpy as np
    import numpy.typing as npt
except ImportError as exc:  # pragma: no cover - the ml extra is installed in CI
    msg = f"shopstream.decide's policies and features need numpy: pip install 'shopstream[ml]' ({exc})"
    raise MissingExtra(msg) from exc

Vector = npt.NDArray[np.float64]

__all__ = ("Vector", "np")

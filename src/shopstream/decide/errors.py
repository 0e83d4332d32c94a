"""Errors of the decide package."""

from __future__ import annotations

from shopstream.core import ShopstreamError


class DecideError(ShopstreamError):
    code = "decide.error"


class InvalidParams(DecideError, ValueError):
    """A hyper-parameter of a policy or of the simulation is out of range; ``field`` names it."""

    code = "decide.invalid-params"


class InvalidContext(DecideError, ValueError):
    """A context vector has the wrong shape or a non-finite value, or the arms are empty or
    repeated; ``field`` names which (``context`` or ``arms``)."""

    code = "decide.invalid-context"


class InvalidFeatures(DecideError, ValueError):
    """A named feature is unknown to the :class:`FeatureSpec` or has a value of the wrong
    kind; ``field`` names the feature."""

    code = "decide.invalid-features"


class InvalidSnapshot(DecideError, ValueError):
    """A policy snapshot is for another policy or is malformed; ``field`` names the key."""

    code = "decide.invalid-snapshot"


class MissingExtra(DecideError, ImportError):
    """An optional dependency is not installed; the message names the extra to install."""

    code = "decide.missing-extra"


class InvalidBidRules(DecideError, ValueError):
    """A rule of ad bidding (:class:`~shopstream.decide.BidRules`) is out of range or of the
    wrong type; ``field`` names it (``signals[0].multiplier``)."""

    code = "decide.invalid-bid-rules"


class InvalidExpression(DecideError, ValueError):
    """A segment or condition expression does not parse or names something unknown;
    ``field`` names the column or the name."""

    code = "decide.invalid-expression"


class InvalidConfig(DecideError, ValueError):
    """A triggers, offers or segments file is invalid: the message gives the file, the
    line and the field, and ``field`` the path of the value that failed."""

    code = "decide.invalid-config"

    def __init__(
        self, message: str, *, field: str | None = None, file: str = "", line: int = 0
    ) -> None:
        super().__init__(message, field=field)
        self.file = file
        self.line = line


class UnknownConfigKind(DecideError, LookupError):
    """A configuration kind other than ``triggers``, ``offers`` or ``segments``."""

    code = "decide.unknown-config-kind"

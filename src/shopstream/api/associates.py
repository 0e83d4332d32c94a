"""Store associates: who may sign in to the associate app, at which store, with which PIN.

Associates come from a YAML file (``associates_file`` in the settings, or
``SHOPSTREAM_ASSOCIATES_FILE``)::

    associates:
      - id: a-100
        name: Dana Ortiz
        store_id: s-nyc
        pin_hash: "scrypt$16384$8$1$<salt>$<hash>"

PINs are kept only as scrypt hashes; make one with
``python -c "from shopstream.api.associates import hash_pin; print(hash_pin('4821'))"``.
Five wrong PINs within fifteen minutes lock that associate out for the rest of the fifteen.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import logging
import secrets
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

logger = logging.getLogger(__name__)

_SCRYPT_N, _SCRYPT_R, _SCRYPT_P = 2**14, 8, 1
_MAX_FAILURES = 5
_LOCKOUT_SECONDS = 15 * 60


@dataclass(frozen=True, slots=True)
class Associate:
    id: str
    name: str
    store_id: str
    pin_hash: str


class _AssociateIn(BaseModel):
    model_config = ConfigDict(extra="forbid", coerce_numbers_to_str=True)

    id: str = Field(min_length=1, max_length=128)
    name: str = Field(min_length=1, max_length=256)
    store_id: str = Field(min_length=1, max_length=256)
    pin_hash: str = Field(pattern=r"^scrypt\$\d+\$\d+\$\d+\$[A-Za-z0-9_\-=]+\$[A-Za-z0-9_\-=]+$")


class _AssociatesFile(BaseModel):
    model_config = ConfigDict(extra="forbid")

    associates: list[_AssociateIn] = Field(default_factory=list)


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).decode("ascii")


def hash_pin(pin: str, *, salt: bytes | None = None) -> str:
    """The scrypt hash of a PIN, with its parameters and salt, as the YAML file keeps it.

    Examples:
        >>> hashed = hash_pin("4821")
        >>> verify_pin("4821", hashed), verify_pin("4822", hashed)
        (True, False)
    """
    salt = salt if salt is not None else secrets.token_bytes(16)
    digest = hashlib.scrypt(
        pin.encode("utf-8"), salt=salt, n=_SCRYPT_N, r=_SCRYPT_R, p=_SCRYPT_P, dklen=32
    )
    return f"scrypt${_SCRYPT_N}${_SCRYPT_R}${_SCRYPT_P}${_b64(salt)}${_b64(digest)}"


def verify_pin(pin: str, hashed: str) -> bool:
    """Whether ``pin`` is the PIN ``hashed`` was made from (in constant time)."""
    try:
        _, n, r, p, salt, digest = hashed.split("$")
        expected = base64.urlsafe_b64decode(digest)
        actual = hashlib.scrypt(
            pin.encode("utf-8"),
            salt=base64.urlsafe_b64decode(salt),
            n=int(n),
            r=int(r),
            p=int(p),
            dklen=len(expected),
            maxmem=64 * 1024 * 1024,
        )
    except (ValueError, TypeError):
        return False
    return hmac.compare_digest(actual, expected)


# Checked when the associate is unknown, so that a wrong id takes as long as a wrong PIN.
_DUMMY_HASH = hash_pin("not-a-pin", salt=b"\0" * 16)


class Associates:
    """The associates who may sign in, and their recent failed attempts.

    Examples:
        >>> associates = Associates([Associate("a-1", "Dana", "s-nyc", hash_pin("4821"))])
        >>> associates.authenticate("s-nyc", "a-1", "4821", now=0.0).name
        'Dana'
        >>> associates.authenticate("s-chi", "a-1", "4821", now=0.0) is None
        True
    """

    def __init__(self, associates: Iterable[Associate] = ()) -> None:
        self._by_id = {a.id: a for a in associates}
        self._failures: dict[str, list[float]] = {}

    @classmethod
    def load(cls, path: Path | None) -> Associates:
        """The associates of a YAML file; none without a file.

        Raises:
            ValueError: the file is not valid, naming the entry and field that failed.
        """
        if path is None:
            return cls()
        raw = yaml.safe_load(path.read_text()) or {}
        try:
            parsed = _AssociatesFile.model_validate(raw)
        except ValidationError as exc:
            error = exc.errors()[0]
            where = ".".join(str(part) for part in error["loc"])
            msg = f"{path}: {where}: {error['msg']}"
            raise ValueError(msg) from None
        ids = [a.id for a in parsed.associates]
        if len(ids) != len(set(ids)):
            msg = f"{path}: associate ids must be unique; got {ids}"
            raise ValueError(msg)
        return cls(Associate(a.id, a.name, a.store_id, a.pin_hash) for a in parsed.associates)

    def get(self, associate_id: str) -> Associate | None:
        return self._by_id.get(associate_id)

    def __len__(self) -> int:
        return len(self._by_id)

    def authenticate(
        self, store_id: str, associate_id: str, pin: str, *, now: float
    ) -> Associate | None:
        """The associate, when the id, the store and the PIN all match and not locked out."""
        failures = [t for t in self._failures.get(associate_id, ()) if now - t < _LOCKOUT_SECONDS]
        associate = self._by_id.get(associate_id)
        if len(failures) >= _MAX_FAILURES:
            logger.warning(
                "associate %s is locked out after %d failures", associate_id, len(failures)
            )
            return None
        matched = verify_pin(pin, associate.pin_hash if associate else _DUMMY_HASH)
        if associate is not None and matched and associate.store_id == store_id:
            self._failures.pop(associate_id, None)
            return associate
        if associate is not None:
            self._failures[associate_id] = [*failures, now]
        return None

"""Signed session cookies, PIN hashes and the associates file."""

from __future__ import annotations

from pathlib import Path

import pytest

from shopstream.api.associates import Associate, Associates, hash_pin, verify_pin
from shopstream.api.sessions import Signer
from shopstream.settings import Settings


def test_a_token_verifies_for_its_purpose_until_it_expires() -> None:
    signer = Signer(b"0123456789abcdef")
    token = signer.sign("associate", {"a": "a-1", "s": "s-nyc"}, now=1000.0, ttl=60)
    assert signer.verify("associate", token, now=1059.0) == {"a": "a-1", "s": "s-nyc"}
    assert signer.verify("associate", token, now=1061.0) is None
    assert signer.verify("admin", token, now=1000.0) is None
    assert Signer(b"another secret!!").verify("associate", token, now=1000.0) is None
    payload, mac = token.split(".")
    assert signer.verify("associate", payload + "x." + mac, now=1000.0) is None
    for junk in (None, "", "a.b.c", "not-a-token", ".", "e30.abc"):
        assert signer.verify("associate", junk, now=1000.0) is None


def test_the_secret_is_kept_in_the_data_dir_when_not_configured(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path)
    token = Signer.from_settings(settings).sign("admin", {}, now=0.0)
    assert Signer.from_settings(settings).verify("admin", token, now=1.0) == {}
    assert (tmp_path / "session-secret").stat().st_mode & 0o777 == 0o600
    with pytest.raises(ValueError, match="at least 16 bytes"):
        Signer(b"short")


def test_pins_are_salted_scrypt_hashes() -> None:
    first, second = hash_pin("4821"), hash_pin("4821")
    assert first != second and first.startswith("scrypt$")
    assert verify_pin("4821", first) and verify_pin("4821", second)
    assert not verify_pin("4822", first)
    assert not verify_pin("4821", "scrypt$bad")


def test_the_associates_file_is_validated(tmp_path: Path) -> None:
    good = tmp_path / "good.yaml"
    good.write_text(
        f"associates:\n  - id: a-1\n    name: Dana\n    store_id: s1\n"
        f"    pin_hash: '{hash_pin('1234')}'\n"
    )
    assert Associates.load(good).get("a-1") is not None
    assert len(Associates.load(None)) == 0
    bad = tmp_path / "bad.yaml"
    bad.write_text("associates:\n  - id: a-1\n    name: Dana\n    store_id: s1\n    pin: '1234'\n")
    with pytest.raises(ValueError, match=r"associates\.0\.(pin_hash|pin)"):
        Associates.load(bad)
    twice = tmp_path / "twice.yaml"
    twice.write_text(good.read_text() + good.read_text().replace("associates:\n", ""))
    with pytest.raises(ValueError, match="unique"):
        Associates.load(twice)


def test_wrong_pins_lock_an_associate_out_for_fifteen_minutes() -> None:
    associates = Associates([Associate("a-1", "Dana", "s1", hash_pin("1234"))])
    for _ in range(5):
        assert associates.authenticate("s1", "a-1", "0000", now=0.0) is None
    assert associates.authenticate("s1", "a-1", "1234", now=60.0) is None
    assert associates.authenticate("s1", "a-1", "1234", now=15 * 60 + 1.0) is not None

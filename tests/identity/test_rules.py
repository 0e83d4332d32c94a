from __future__ import annotations

from datetime import timedelta

import pytest

from shopstream.events import Identifier, IdType
from shopstream.identity import DEFAULT_CAPS, IdentityRules


def test_defaults_cap_one_user_id_and_fifty_anonymous_ids() -> None:
    rules = IdentityRules()
    assert rules.caps[IdType.USER_ID] == 1
    assert rules.caps[IdType.EMAIL] == 5
    assert rules.caps[IdType.ANONYMOUS_ID] == DEFAULT_CAPS[IdType.DEVICE_ID] == 50


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"caps": {IdType.EMAIL: 0}}, "caps[email] must be at least 1; got 0"),
        ({"anonymous_ttl": timedelta(0)}, "anonymous_ttl must be positive"),
        ({"max_refusals": -1}, "max_refusals must be at least 0; got -1"),
    ],
)
def test_invalid_rules_say_what_was_expected(kwargs: dict[str, object], message: str) -> None:
    with pytest.raises(ValueError, match=message.replace("[", r"\[").replace("]", r"\]")):
        IdentityRules(**kwargs)  # type: ignore[arg-type]


def test_rules_keep_their_own_copy_of_caps() -> None:
    caps = {IdType.USER_ID: 2}
    rules = IdentityRules(caps=caps, never_merge=[Identifier(IdType.DEVICE_ID, "kiosk")])  # type: ignore[arg-type]
    caps[IdType.USER_ID] = 9
    assert rules.caps[IdType.USER_ID] == 2
    assert rules.never_merge == frozenset({Identifier(IdType.DEVICE_ID, "kiosk")})
    with pytest.raises(TypeError):
        rules.caps[IdType.USER_ID] = 3  # type: ignore[index]

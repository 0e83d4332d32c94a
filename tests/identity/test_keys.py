from __future__ import annotations

import pytest

from shopstream.events import Identifier, IdType
from shopstream.identity import PRIORITY, InvalidIdentityInput, canonical_id
from shopstream.identity.keys import identifier_of, is_anonymous, key_from_text, key_of, key_to_text


def test_canonical_id_is_a_stable_function_of_type_and_value() -> None:
    user = Identifier(IdType.USER_ID, "u-42")
    assert canonical_id(user) == canonical_id(Identifier(IdType.USER_ID, "u-42"))
    assert canonical_id(user) != canonical_id(Identifier(IdType.ANONYMOUS_ID, "u-42"))
    assert canonical_id(user).startswith("c_")
    assert len(canonical_id(user)) == 18


def test_key_order_is_priority_then_value() -> None:
    keys = [key_of(Identifier(id_type, "x")) for id_type in reversed(PRIORITY)]
    assert [identifier_of(key).type for key in sorted(keys)] == list(PRIORITY)
    assert key_of(Identifier(IdType.EMAIL, "a")) < key_of(Identifier(IdType.EMAIL, "b"))


def test_only_device_and_anonymous_ids_are_anonymous() -> None:
    assert is_anonymous(key_of(Identifier(IdType.DEVICE_ID, "d")))
    assert is_anonymous(key_of(Identifier(IdType.ANONYMOUS_ID, "a")))
    assert not is_anonymous(key_of(Identifier(IdType.CARD_TOKEN, "t")))


def test_text_form_round_trips_values_with_colons() -> None:
    key = key_of(Identifier(IdType.LOYALTY_ID, "a:b"))
    assert key_to_text(key) == "loyaltyId:a:b"
    assert key_from_text(key_to_text(key)) == key


@pytest.mark.parametrize("text", ["nope", "fax:123"])
def test_unreadable_identifiers_are_rejected(text: str) -> None:
    with pytest.raises(InvalidIdentityInput) as caught:
        key_from_text(text)
    assert caught.value.code == "identity.invalid-input"

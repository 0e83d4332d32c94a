"""The expression language: golden cases, errors naming the column, and properties."""

from __future__ import annotations

import operator
from collections.abc import Sequence

import pytest
from hypothesis import given
from hypothesis import strategies as st

from shopstream.decide import InvalidExpression
from shopstream.decide.expressions import Names, Value, compile_expression

NAMES = Names(
    roots=frozenset({"order_count", "revenue", "missing", "channel"}),
    prefixes=frozenset({"traits"}),
    functions={"count": (1, 2), "affinity": (1,)},
)
VALUES: dict[str, Value] = {
    "order_count": 3.0,
    "revenue": 250.5,
    "missing": None,
    "channel": "app",
    "traits.tier": "gold",
    "traits.tags": ["a", "b"],
}


class Scope:
    def __init__(self, values: dict[str, Value] | None = None) -> None:
        self.values = VALUES if values is None else values
        self.calls: list[tuple[str, list[Value]]] = []

    def name(self, path: str) -> Value:
        return self.values.get(path)

    def call(self, function: str, args: Sequence[Value]) -> Value:
        self.calls.append((function, list(args)))
        return 0.4 if function == "affinity" else 7.0


def run(text: str, scope: Scope | None = None) -> Value:
    return compile_expression(text, NAMES)(scope or Scope())


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("order_count >= 3", True),
        ("order_count > 3", False),
        ("order_count >= 2 and revenue > 200", True),
        ("order_count >= 5 or traits.tier == 'gold'", True),
        ("not order_count >= 5", True),
        ("traits.tier in ['gold', 'vip']", True),
        ("traits.tier not in ['gold', 'vip']", False),
        ("'a' in traits.tags", True),
        ("revenue / order_count > 80", True),
        ("-order_count < 0", True),
        ("(1 + 2) * 3 == 9", True),
        ("1 + 2 * 3 == 7", True),
        ("30m == 1800", True),
        ("7d == 604800", True),
        ("count('Product Viewed', 7d) >= 7", True),
        ('affinity("Home/Kitchen") > 0.3', True),
        ("channel != 'web'", True),
        # null never raises: it equals only null; order and arithmetic with it are false/null
        ("missing == null", True),
        ("missing != null", False),
        ("missing > 1", False),
        ("missing < 1", False),
        ("missing + 1 == null", True),
        ("not missing", True),
        # different kinds never compare as ordered
        ("traits.tier > 1", False),
        ("traits.tier != 1", True),
        ("true and not false", True),
        ("1 / 0 == null", True),
    ],
)
def test_golden(text: str, expected: Value) -> None:
    assert run(text) == expected


def test_functions_get_their_arguments() -> None:
    scope = Scope()
    run("count('Product Viewed', 7d) > 1 and affinity('Garden')", scope)
    assert scope.calls == [("count", ["Product Viewed", 604800.0]), ("affinity", ["Garden"])]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("order_count >", "expected a value, a name or '(' at column 14; found the end"),
        ("order_count >= 1 1", "expected an operator or the end at column 18; found '1'"),
        ("lifetime_value > 1", "unknown name 'lifetime_value' at column 1"),
        ("eval('1')", "unknown function 'eval' at column 1"),
        ("affinity('a', 'b')", "affinity() takes 1 arguments; got 2"),
        ("order_count >= 1 ; drop", "unexpected character ';' at column 18"),
        ("(order_count", "expected ')' at column 13; found the end"),
        ("traits.", "expected a name after '.' at column 8"),
        ("", "expected an expression at column 1"),
        ("__import__('os')", "unknown function '__import__'"),
    ],
)
def test_errors_name_the_column(text: str, message: str) -> None:
    with pytest.raises(InvalidExpression) as caught:
        compile_expression(text, NAMES)
    assert message in str(caught.value)


@given(st.text(max_size=40))
def test_any_text_compiles_or_raises_invalid_expression(text: str) -> None:
    try:
        rule = compile_expression(text, NAMES)
    except InvalidExpression:
        return
    rule(Scope())  # and whatever compiles evaluates without raising


_OPS = {"+": operator.add, "-": operator.sub, "*": operator.mul}
_CMP = {"<": operator.lt, "<=": operator.le, ">": operator.gt, ">=": operator.ge,
        "==": operator.eq, "!=": operator.ne}  # fmt: skip


@given(
    st.integers(-1000, 1000), st.sampled_from(sorted(_OPS)), st.integers(-1000, 1000),
    st.sampled_from(sorted(_CMP)), st.integers(-10**6, 10**6),
)  # fmt: skip
def test_arithmetic_and_comparison_agree_with_python(
    a: int, op: str, b: int, cmp: str, c: int
) -> None:
    text = f"{a} {op} {b} {cmp} {c}".replace("--", "- -").replace("+-", "+ -")
    assert run(text) == _CMP[cmp](_OPS[op](a, b), c)


@given(st.booleans(), st.booleans(), st.booleans())
def test_boolean_precedence_agrees_with_python(a: bool, b: bool, c: bool) -> None:
    def lit(x: bool) -> str:
        return "true" if x else "false"

    text = f"not {lit(a)} or {lit(b)} and {lit(c)}"
    assert run(text) == ((not a) or (b and c))

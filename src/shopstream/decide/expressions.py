"""A small, safe expression language for segments, eligibility and trigger conditions.

Marketers write conditions such as ``order_count >= 3 and affinity('Home/Kitchen') > 0.2``
or ``count('Product Viewed', 7d) >= 5 and not consent.email == false``. The text is parsed by
hand into a tree and compiled into Python closures; nothing is ever passed to ``eval``, and
the only names an expression can reach are those of the :class:`Names` it is compiled
against (unknown names are errors at load time, not at run time).

Grammar (lowest precedence first)::

    expr  := and ('or' and)*
    and   := not ('and' not)*
    not   := 'not' not | cmp
    cmp   := sum (('==' | '!=' | '<' | '<=' | '>' | '>=' | 'in' | 'not' 'in') sum)?
    sum   := prod (('+' | '-') prod)*
    prod  := unary (('*' | '/') unary)*
    unary := '-' unary | atom
    atom  := NUMBER | DURATION | STRING | 'true' | 'false' | 'null'
           | NAME ('.' NAME)* | NAME '(' [expr (',' expr)*] ')' | '(' expr ')'
           | '[' [expr (',' expr)*] ']'

A ``DURATION`` is a number with a unit (``45s``, ``30m``, ``2h``, ``7d``) and means
seconds. ``null`` compares equal only to ``null``; any other comparison with it, or of
values of different kinds, is false, and arithmetic with it is ``null``: a missing feature
never raises at run time.
"""

from __future__ import annotations

import operator
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from shopstream.decide.errors import InvalidExpression

Value = Any  # str | float | bool | None | list of values: what names and functions give


class Scope(Protocol):
    """What a compiled expression reads: named values and function calls."""

    def name(self, path: str) -> Value: ...

    def call(self, function: str, args: Sequence[Value]) -> Value: ...


Compiled = Callable[[Scope], Value]


@dataclass(frozen=True, slots=True)
class Names:
    """The names and functions an expression may use.

    ``roots`` are plain names (``order_count``); ``prefixes`` accept any dotted tail
    (``traits`` allows ``traits.vip``); ``functions`` maps a name to its allowed argument
    counts.
    """

    roots: frozenset[str]
    prefixes: frozenset[str] = frozenset()
    functions: Mapping[str, tuple[int, ...]] = field(default_factory=dict)

    def check_name(self, path: str, column: int) -> None:
        head = path.split(".", 1)[0]
        if path in self.roots or ("." in path and head in self.prefixes):
            return
        known = sorted(self.roots | {f"{p}.<key>" for p in self.prefixes})
        msg = f"unknown name {path!r} at column {column}; known: {', '.join(known)}"
        raise InvalidExpression(msg, field=path)

    def check_call(self, function: str, arity: int, column: int) -> None:
        allowed = self.functions.get(function)
        if allowed is None:
            known = ", ".join(sorted(self.functions))
            msg = f"unknown function {function!r} at column {column}; known: {known}"
            raise InvalidExpression(msg, field=function)
        if arity not in allowed:
            msg = f"{function}() takes {' or '.join(map(str, allowed))} arguments; got {arity}"
            raise InvalidExpression(msg, field=function)


_UNITS = {"s": 1.0, "m": 60.0, "h": 3600.0, "d": 86400.0, "w": 604800.0}
_TOKEN = re.compile(
    r"""\s*(?:
        (?P<number>\d+(?:\.\d+)?(?:[smhdw](?![A-Za-z0-9_]))?)
      | (?P<string>'(?:[^'\\]|\\.)*'|"(?:[^"\\]|\\.)*")
      | (?P<name>[A-Za-z_][A-Za-z0-9_]*)
      | (?P<op>==|!=|<=|>=|[<>+\-*/(),.\[\]])
    )""",
    re.VERBOSE,
)
_KEYWORDS = frozenset({"and", "or", "not", "in", "true", "false", "null"})


@dataclass(frozen=True, slots=True)
class _Token:
    kind: str  # number, string, name, op, end
    text: str
    column: int


def tokenize(text: str) -> list[_Token]:
    tokens: list[_Token] = []
    position = 0
    while position < len(text):
        if text[position:].strip() == "":
            break
        match = _TOKEN.match(text, position)
        if match is None or match.end() == position:
            column = position + len(text[position:]) - len(text[position:].lstrip()) + 1
            msg = f"unexpected character {text[column - 1]!r} at column {column}"
            raise InvalidExpression(msg, field=f"column {column}")
        kind = match.lastgroup or "op"
        tokens.append(_Token(kind, match.group(kind), match.start(kind) + 1))
        position = match.end()
    tokens.append(_Token("end", "", len(text) + 1))
    return tokens


class _Parser:
    def __init__(self, text: str, names: Names) -> None:
        self.text = text
        self.names = names
        self.tokens = tokenize(text)
        self.at = 0
        self.constants: dict[int, Value] = {}  # id of a compiled literal -> its value

    def constant(self, value: Value) -> Compiled:
        def literal(_: Scope) -> Value:
            return value

        self.constants[id(literal)] = value
        return literal

    @property
    def token(self) -> _Token:
        return self.tokens[self.at]

    def take(self) -> _Token:
        token = self.tokens[self.at]
        self.at += 1
        return token

    def accept(self, text: str) -> bool:
        token = self.token
        if token.kind in ("op", "name") and token.text == text:
            self.at += 1
            return True
        return False

    def expect(self, text: str) -> None:
        if not self.accept(text):
            self.fail(f"expected {text!r}")

    def fail(self, expected: str) -> None:
        token = self.token
        found = "the end" if token.kind == "end" else repr(token.text)
        msg = f"{expected} at column {token.column}; found {found}"
        raise InvalidExpression(msg, field=f"column {token.column}")

    def parse(self) -> Compiled:
        if self.token.kind == "end":
            self.fail("expected an expression")
        node = self.expr()
        if self.token.kind != "end":
            self.fail("expected an operator or the end")
        return node

    def expr(self) -> Compiled:
        left = self.conjunction()
        while self.accept("or"):
            right = self.conjunction()
            left = _or(left, right)
        return left

    def conjunction(self) -> Compiled:
        left = self.negation()
        while self.accept("and"):
            right = self.negation()
            left = _and(left, right)
        return left

    def negation(self) -> Compiled:
        if self.token.kind == "name" and self.token.text == "not":
            nxt = self.tokens[self.at + 1]
            if not (nxt.kind == "name" and nxt.text == "in"):
                self.take()
                inner = self.negation()
                return lambda scope: not _truthy(inner(scope))
        return self.comparison()

    def comparison(self) -> Compiled:
        left = self.sum()
        token = self.token
        if token.kind == "op" and token.text in _COMPARE:
            self.take()
            right = self.sum()
            value = self.constants.get(id(right), _NOT_CONSTANT)
            if isinstance(value, float) and token.text not in ("==", "!="):
                return _compare_number(_ORDER[token.text], left, value)
            return _compare(_COMPARE[token.text], left, right)
        if token.kind == "name" and token.text == "in":
            self.take()
            return _member(left, self.sum(), negate=False)
        if token.kind == "name" and token.text == "not":
            self.take()
            self.expect("in")
            return _member(left, self.sum(), negate=True)
        return left

    def sum(self) -> Compiled:
        left = self.product()
        while self.token.kind == "op" and self.token.text in "+-":
            op = self.take().text
            left = _arith(op, left, self.product())
        return left

    def product(self) -> Compiled:
        left = self.unary()
        while self.token.kind == "op" and self.token.text in "*/":
            op = self.take().text
            left = _arith(op, left, self.unary())
        return left

    def unary(self) -> Compiled:
        if self.accept("-"):
            inner = self.unary()
            return _arith("-", lambda _: 0.0, inner)
        return self.atom()

    def atom(self) -> Compiled:
        token = self.take()
        if token.kind == "number":
            return self.constant(_number(token.text))
        if token.kind == "string":
            return self.constant(_unquote(token.text))
        if token.kind == "op" and token.text == "(":
            inner = self.expr()
            self.expect(")")
            return inner
        if token.kind == "op" and token.text == "[":
            items = self.arguments("]")
            return lambda scope: [item(scope) for item in items]
        if token.kind == "name" and token.text in ("true", "false", "null"):
            constant = {"true": True, "false": False, "null": None}[token.text]
            return lambda _: constant
        if token.kind == "name" and token.text not in _KEYWORDS:
            if self.accept("("):
                args = self.arguments(")")
                self.names.check_call(token.text, len(args), token.column)
                function = token.text
                if all(id(arg) in self.constants for arg in args):  # the usual case
                    values = [self.constants[id(arg)] for arg in args]
                    return lambda scope: scope.call(function, values)
                return lambda scope: scope.call(function, [arg(scope) for arg in args])
            path = token.text
            while self.accept("."):
                part = self.take()
                if part.kind not in ("name", "number"):
                    self.at -= 1
                    self.fail("expected a name after '.'")
                path += "." + part.text
            self.names.check_name(path, token.column)
            return lambda scope: scope.name(path)
        self.at -= 1
        self.fail("expected a value, a name or '('")
        raise AssertionError  # unreachable: fail() raises

    def arguments(self, closing: str) -> list[Compiled]:
        items: list[Compiled] = []
        if self.accept(closing):
            return items
        items.append(self.expr())
        while self.accept(","):
            items.append(self.expr())
        self.expect(closing)
        return items


def compile_expression(text: str, names: Names) -> Compiled:
    """Parse ``text`` into a function of a :class:`Scope`.

    Raises:
        InvalidExpression: naming the column where the text stops making sense.

    Examples:
        >>> names = Names(frozenset({"order_count"}), frozenset({"traits"}), {"count": (2,)})
        >>> rule = compile_expression("order_count >= 2 and traits.tier in ['gold', 'vip']", names)
        >>> class S:
        ...     def name(self, path): return {"order_count": 3, "traits.tier": "vip"}.get(path)
        ...     def call(self, function, args): return 0
        >>> rule(S())
        True
        >>> compile_expression("order_count >", names)
        Traceback (most recent call last):
        ...
        shopstream.decide.errors.InvalidExpression: expected a value, a name or '(' at column 14; found the end
    """
    if not isinstance(text, str):
        msg = f"an expression must be a string; got {type(text).__name__}"
        raise InvalidExpression(msg)
    return _Parser(text, names).parse()


def _number(text: str) -> float:
    if text[-1] in _UNITS:
        return float(text[:-1]) * _UNITS[text[-1]]
    return float(text)


def _unquote(text: str) -> str:
    body = text[1:-1]
    return re.sub(r"\\(.)", r"\1", body)


def _truthy(value: Value) -> bool:
    return bool(value) if value is not None else False


def _or(left: Compiled, right: Compiled) -> Compiled:
    return lambda scope: _truthy(left(scope)) or _truthy(right(scope))


def _and(left: Compiled, right: Compiled) -> Compiled:
    return lambda scope: _truthy(left(scope)) and _truthy(right(scope))


def _same_kind(a: Value, b: Value) -> bool:
    numbers = (int, float)
    if isinstance(a, bool) or isinstance(b, bool):
        return isinstance(a, bool) and isinstance(b, bool)
    if isinstance(a, numbers) and isinstance(b, numbers):
        return True
    return type(a) is type(b)


_COMPARE: dict[str, Callable[[Any, Any], bool]] = {
    "==": lambda a, b: a == b,
    "!=": lambda a, b: a != b,
    "<": lambda a, b: a < b,
    "<=": lambda a, b: a <= b,
    ">": lambda a, b: a > b,
    ">=": lambda a, b: a >= b,
}


def _compare(op: Callable[[Any, Any], bool], left: Compiled, right: Compiled) -> Compiled:
    equality = op in (_COMPARE["=="], _COMPARE["!="])

    def compare(scope: Scope) -> bool:
        a, b = left(scope), right(scope)
        if a is None or b is None:
            return op(a, b) if equality else False
        if not _same_kind(a, b):
            return op is _COMPARE["!="]
        try:
            return bool(op(a, b))
        except TypeError:  # lists ordered against lists of other kinds
            return False

    return compare


_NOT_CONSTANT = object()
_ORDER: dict[str, Callable[[Any, Any], bool]] = {
    "<": operator.lt, "<=": operator.le, ">": operator.gt, ">=": operator.ge,
}  # fmt: skip


def _compare_number(op: Callable[[Any, Any], bool], left: Compiled, bound: float) -> Compiled:
    """``left <op> bound`` for a literal number: the common case, without the general
    kind checks (only a number, never a bool or null, is ordered against a number)."""

    def compare(scope: Scope) -> bool:
        a = left(scope)
        return a.__class__ in (float, int) and op(a, bound)

    return compare


def _member(item: Compiled, container: Compiled, *, negate: bool) -> Compiled:
    def member(scope: Scope) -> bool:
        collection = container(scope)
        if not isinstance(collection, (list, tuple, set, frozenset, str, dict)):
            return negate
        needle = item(scope)
        if isinstance(collection, str) and not isinstance(needle, str):
            return negate
        return (needle in collection) != negate

    return member


def _arith(op: str, left: Compiled, right: Compiled) -> Compiled:
    def arith(scope: Scope) -> Value:
        a, b = left(scope), right(scope)
        numbers = (int, float)
        if not (isinstance(a, numbers) and isinstance(b, numbers)) or isinstance(a, bool):
            if op == "+" and isinstance(a, str) and isinstance(b, str):
                return a + b
            return None
        if op == "+":
            return a + b
        if op == "-":
            return a - b
        if op == "*":
            return a * b
        return a / b if b else None

    return arith

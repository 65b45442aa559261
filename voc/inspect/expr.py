"""The `when` of a rule: how its conditions combine.

Either a string expression over condition numbers (1-based, in file order) or ids:

    1 && (2 || !3)        greeted && !verified        not (a or b)

with `!`/`not`, `&&`/`and`, `||`/`or` and brackets (`!` binds tightest, then `&&`, then `||`),
or a mapping `{all: [...]}`, `{any: [...]}`, `{not: x}` whose items are numbers, ids or such
mappings. A small recursive-descent parser builds a tree of tuples; nothing is ever `eval`ed.

Evaluation is three-valued (Kleene): a condition is True, False or None (not applicable, e.g.
a silence condition on a chat without timing). `a && b` is False as soon as one side is False,
`a || b` is True as soon as one side is True; otherwise an unknown side makes the result None
and the rule is reported as not applicable instead of firing or passing.
"""

from __future__ import annotations

import re
from typing import Any, Callable

_TOKEN = re.compile(r"\s*(?:(&&|\|\||!|\(|\))|([A-Za-z_][A-Za-z0-9_]*|\d+))")
_WORDS = {"and": "&&", "or": "||", "not": "!"}


class ExprError(ValueError):
    """The expression is malformed; the message says where."""


def parse(when: Any, ids: list[str]) -> tuple:
    """A tree of ("var", id) / ("not", t) / ("and", [t...]) / ("or", [t...])."""
    if isinstance(when, bool):
        raise ExprError(f"expected an expression or a mapping, got {when!r}")
    if isinstance(when, int):
        return _ref(when, ids)
    if isinstance(when, str):
        return _Parser(when, ids).parse()
    if isinstance(when, dict):
        if len(when) != 1:
            raise ExprError(f"a mapping needs exactly one of all, any, not; got {sorted(when)}")
        (op, arg), = when.items()
        if op == "not":
            return ("not", parse(arg, ids))
        if op in ("all", "any"):
            if not isinstance(arg, list) or not arg:
                raise ExprError(f"{op} needs a non-empty list, got {arg!r}")
            return ("and" if op == "all" else "or", [parse(a, ids) for a in arg])
        raise ExprError(f"unknown operator {op!r}; valid: all, any, not")
    raise ExprError(f"expected an expression or a mapping, got {when!r}")


def _ref(name: str | int, ids: list[str]) -> tuple:
    if isinstance(name, int) or name.isdigit():
        n = int(name)
        if not 1 <= n <= len(ids):
            raise ExprError(f"condition {n} does not exist (the rule has {len(ids)})")
        return ("var", ids[n - 1])
    if name not in ids:
        raise ExprError(f"unknown condition {name!r}; conditions: {', '.join(ids)}")
    return ("var", name)


class _Parser:
    def __init__(self, text: str, ids: list[str]):
        self.text, self.ids = text, ids
        self.tokens: list[tuple[str, int]] = []
        pos = 0
        while pos < len(text):
            if text[pos:].strip() == "":
                break
            m = _TOKEN.match(text, pos)
            if not m:
                raise ExprError(f"unexpected {text[pos:].strip()[0]!r} at position {pos + 1} "
                                f"in {text!r}")
            tok = m.group(1) or m.group(2)
            self.tokens.append((_WORDS.get(tok.lower(), tok), m.start(m.lastindex) + 1))
            pos = m.end()
        self.i = 0

    def parse(self) -> tuple:
        if not self.tokens:
            raise ExprError("empty expression")
        tree = self._or()
        if self.i < len(self.tokens):
            tok, at = self.tokens[self.i]
            raise ExprError(f"unexpected {tok!r} at position {at} in {self.text!r}")
        return tree

    def _peek(self) -> str | None:
        return self.tokens[self.i][0] if self.i < len(self.tokens) else None

    def _or(self) -> tuple:
        parts = [self._and()]
        while self._peek() == "||":
            self.i += 1
            parts.append(self._and())
        return parts[0] if len(parts) == 1 else ("or", parts)

    def _and(self) -> tuple:
        parts = [self._not()]
        while self._peek() == "&&":
            self.i += 1
            parts.append(self._not())
        return parts[0] if len(parts) == 1 else ("and", parts)

    def _not(self) -> tuple:
        if self._peek() == "!":
            self.i += 1
            return ("not", self._not())
        return self._atom()

    def _atom(self) -> tuple:
        if self.i >= len(self.tokens):
            raise ExprError(f"expression ends too early: {self.text!r}")
        tok, at = self.tokens[self.i]
        self.i += 1
        if tok == "(":
            tree = self._or()
            if self._peek() != ")":
                raise ExprError(f"missing ')' for '(' at position {at} in {self.text!r}")
            self.i += 1
            return tree
        if tok in ("&&", "||", ")"):
            raise ExprError(f"unexpected {tok!r} at position {at} in {self.text!r}")
        return _ref(tok, self.ids)


def variables(tree: tuple) -> set[str]:
    if tree[0] == "var":
        return {tree[1]}
    if tree[0] == "not":
        return variables(tree[1])
    return set().union(*(variables(t) for t in tree[1]))


def evaluate(tree: tuple, value: Callable[[str], bool | None]) -> bool | None:
    """Three-valued evaluation; `value(id)` gives True, False or None (not applicable)."""
    op = tree[0]
    if op == "var":
        return value(tree[1])
    if op == "not":
        v = evaluate(tree[1], value)
        return None if v is None else not v
    decisive = op != "and"           # False decides an and, True an or: stop there (same result)
    vals = []
    for t in tree[1]:
        v = evaluate(t, value)
        if v is decisive:
            return v
        vals.append(v)
    return None if None in vals else not decisive


def explain(tree: tuple, value: Callable[[str], bool | None], negated: bool = False):
    """For a tree that evaluated True: (condition id, present?) pairs that made it so.

    A condition under an odd number of `not`s contributes by being absent (present=False)."""
    op = tree[0]
    if op == "var":
        yield tree[1], not negated
    elif op == "not":
        yield from explain(tree[1], value, not negated)
    else:
        want = not negated
        all_needed = (op == "and") != negated   # De Morgan: !(a||b) needs both false
        for t in tree[1]:
            if all_needed or evaluate(t, value) is want:
                yield from explain(t, value, negated)
                if not all_needed:
                    return


def to_text(tree: tuple) -> str:
    op = tree[0]
    if op == "var":
        return tree[1]
    if op == "not":
        inner = to_text(tree[1])
        return "!" + (inner if tree[1][0] in ("var", "not") else f"({inner})")
    sep = " && " if op == "and" else " || "
    return sep.join(to_text(t) if t[0] in ("var", "not") or t[0] == op else f"({to_text(t)})"
                    for t in tree[1])

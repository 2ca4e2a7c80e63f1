"""JUEL, as Camunda and Flowable diagrams write it, translated into the Python every Lintel expression is.

Only the simple subset a process owner draws is translated; what needs a Java object is refused, so the
translation never pretends. The subset (JUEL -> Python):

| JUEL                                          | Python                                       |
|-----------------------------------------------|----------------------------------------------|
| `${expr}`, `#{expr}`                          | `expr` (the whole text is one expression)    |
| `&&` `and`, `||` `or`, `!` `not`              | `and`, `or`, `not`                           |
| `==` `eq`, `!=` `ne`, `<` `lt`, `>` `gt`      | `==`, `!=`, `<`, `>`                         |
| `<=` `le`, `>=` `ge`                          | `<=`, `>=`                                   |
| `+ - * /` `div`, `%` `mod`, unary `-`         | the same (`div` is `/`, `mod` is `%`)        |
| `a ? b : c`                                   | `(b if a else c)`                            |
| `empty x`                                     | `not x` (also true for 0 and false)          |
| `true` `false` `null`                         | `True` `False` `None`                        |
| `'text'` `"text"` (escapes `\\'` `\\"` `\\\\`) | a Python string literal                      |
| `a.b`, `a['b']`, `a[0]`                       | `a['b']`, `a['b']`, `a[0]` (task data are maps) |
| `f(x)`: a registered function or safe builtin | `f(x)`                                       |

Every operand that is not a name, literal or lookup is parenthesised, so JUEL's precedence survives
(`!a == b` is `(not a) == b`, and `a == b == c` never becomes a Python chained comparison).

Refused, each with a message saying why: method calls and calls of unknown functions (`execution.getVariable
("x")`, `bean.method()`: they need a Java object), the `execution` variable, `instanceof`, assignments,
lambdas, collection literals, and text mixing literal parts with `${...}`.

Python inside `${...}` that is not JUEL (`${'crc' if urgent else 'engineering'}`, as Lintel's own diagrams
have long written it) is taken as the Python it is, unless it needs a Java object.
"""

from __future__ import annotations

import ast
import keyword
import re
from collections.abc import Callable, Collection
from dataclasses import dataclass

from engine.safety import SAFE_BUILTIN_NAMES

_WRAPPED = re.compile(r"^\s*[$#]\{(.*)\}\s*$", re.DOTALL)
_TOKEN = re.compile(
    r"""
    (?P<space>\s+)
  | (?P<number>(?:\d+\.\d*|\.\d+|\d+)(?:[eE][+-]?\d+)?)
  | (?P<string>'(?:[^'\\]|\\.)*'|"(?:[^"\\]|\\.)*")
  | (?P<name>[A-Za-z_$][A-Za-z0-9_$]*)
  | (?P<op>==|!=|<=|>=|&&|\|\||->|\+=|[-+*/%<>!?:().\[\],;={}])
    """,
    re.VERBOSE | re.DOTALL,
)
_COMPARE = {"==": "==", "!=": "!=", "eq": "==", "ne": "!=", "<": "<", ">": ">", "<=": "<=", ">=": ">="}
_COMPARE.update({"lt": "<", "gt": ">", "le": "<=", "ge": ">="})
_MULTIPLY = {"*": "*", "/": "/", "div": "/", "%": "%", "mod": "%"}
_CONSTANTS = {"true": "True", "false": "False", "null": "None"}
_KEYWORDS = frozenset("and or not eq ne lt gt le ge empty div mod true false null instanceof".split())
_Rule = Callable[[], tuple[str, bool]]
JAVA_HINT = "needs a Java object: write it as a Python expression or a script task"


class JuelError(ValueError):
    """The text is JUEL that cannot be translated; the message says what and what to do. `definite`: the
    text is understood and refused (it needs a Java object); otherwise it is simply not JUEL."""

    def __init__(self, message: str, *, definite: bool = False) -> None:
        super().__init__(message)
        self.definite = definite


@dataclass(frozen=True)
class _Token:
    kind: str  # number, string, name, op, end
    text: str
    at: int


def wrapped(text: str) -> str | None:
    """The inside of a `${...}` or `#{...}` text, or None when the text is not one."""
    match = _WRAPPED.match(text)
    return match.group(1) if match else None


def is_juel(text: str) -> bool:
    return wrapped(text) is not None or ("${" in text or "#{" in text)


def translate(text: str, functions: Collection[str] = ()) -> str:
    """The Python for the JUEL `text` (`${...}` / `#{...}`, or the bare inside); raises JuelError.

    `functions` are the names a diagram may call (the registered functions): calling one is allowed.
    """
    inner = wrapped(text)
    if inner is None:
        if "${" in text or "#{" in text:
            raise JuelError(
                f"{text.strip()} mixes text with ${{...}}: write the whole value as one expression"
            )
        inner = text
    if not inner.strip():
        raise JuelError(f"{text.strip()} is empty")
    try:
        return _Parser(inner, text.strip(), frozenset(functions) | SAFE_BUILTIN_NAMES).parse()
    except JuelError as exc:
        # Lintel's own diagrams have long written Python inside ${...} ("${a if b else c}"): what is not
        # JUEL but is Python stays the Python it is (the sandbox checks it like any expression).
        if not exc.definite and _is_python(inner.strip()):
            return inner.strip()
        raise


def _is_python(source: str) -> bool:
    try:
        ast.parse(source, mode="eval")
    except SyntaxError:
        return False
    return True


def _tokens(source: str, shown: str) -> list[_Token]:
    found: list[_Token] = []
    position = 0
    while position < len(source):
        match = _TOKEN.match(source, position)
        if match is None:
            raise JuelError(f"{shown}: '{source[position]}' is not part of a JUEL expression")
        kind = match.lastgroup or ""
        if kind != "space":
            found.append(_Token(kind, match.group(), position))
        position = match.end()
    found.append(_Token("end", "", len(source)))
    return found


def _string(literal: str) -> str:
    """A JUEL string literal as a Python one: only \\', \\" and \\\\ are escapes in JUEL."""
    body = literal[1:-1]
    value = re.sub(r"\\(['\"\\])", r"\1", body)
    return repr(value)


class _Parser:
    """Recursive descent over JUEL's grammar; each rule returns (python, atomic)."""

    def __init__(self, source: str, shown: str, functions: frozenset[str]) -> None:
        self.shown = shown
        self.functions = functions
        self.tokens = _tokens(source, shown)
        self.position = 0

    # -- token helpers ----------------------------------------------------------------------------------

    def peek(self) -> _Token:
        return self.tokens[self.position]

    def take(self) -> _Token:
        token = self.tokens[self.position]
        self.position += 1
        return token

    def at(self, *texts: str) -> bool:
        token = self.peek()
        return token.kind in ("op", "name") and token.text in texts

    def expect(self, text: str) -> None:
        token = self.take()
        if token.text != text or token.kind not in ("op", "name"):
            found = f"'{token.text}'" if token.kind != "end" else "the end"
            raise JuelError(f"{self.shown}: expected '{text}' but found {found}")

    def refuse(self, what: str) -> JuelError:
        return JuelError(f"{self.shown}: {what}", definite=JAVA_HINT in what)

    @staticmethod
    def operand(part: tuple[str, bool]) -> str:
        code, atomic = part
        return code if atomic else f"({code})"

    # -- grammar ----------------------------------------------------------------------------------------

    def parse(self) -> str:
        code, _ = self.ternary()
        token = self.peek()
        if token.kind != "end":
            if token.text in ("=", "+=", ";"):
                raise self.refuse(f"'{token.text}' (assignment or several statements) is not supported")
            raise self.refuse(f"unexpected '{token.text}'")
        return code

    def ternary(self) -> tuple[str, bool]:
        condition = self.disjunction()
        if not self.at("?"):
            return condition
        self.take()
        then = self.ternary()
        self.expect(":")
        otherwise = self.ternary()
        code = f"{self.operand(then)} if {self.operand(condition)} else {self.operand(otherwise)}"
        return f"({code})", True

    def disjunction(self) -> tuple[str, bool]:
        return self._chain(self.conjunction, {"||": "or", "or": "or"})

    def conjunction(self) -> tuple[str, bool]:
        return self._chain(self.equality, {"&&": "and", "and": "and"})

    def _chain(self, rule: _Rule, ops: dict[str, str]) -> tuple[str, bool]:
        first = rule()
        parts = [first]
        while self.at(*ops):
            self.take()
            parts.append(rule())
        if len(parts) == 1:
            return first
        word = next(iter(ops.values()))
        return f" {word} ".join(self.operand(part) for part in parts), False

    def equality(self) -> tuple[str, bool]:
        return self._compare(self.relation, ("==", "!=", "eq", "ne"))

    def relation(self) -> tuple[str, bool]:
        return self._compare(self.additive, ("<", ">", "<=", ">=", "lt", "gt", "le", "ge"))

    def _compare(self, rule: _Rule, ops: tuple[str, ...]) -> tuple[str, bool]:
        left = rule()
        while self.at(*ops):
            op = _COMPARE[self.take().text]
            right = rule()
            left = f"{self.operand(left)} {op} {self.operand(right)}", False
        if self.at("instanceof"):
            raise self.refuse(f"instanceof {JAVA_HINT}")
        return left

    def additive(self) -> tuple[str, bool]:
        return self._arithmetic(self.multiplicative, {"+": "+", "-": "-"})

    def multiplicative(self) -> tuple[str, bool]:
        return self._arithmetic(self.unary, _MULTIPLY)

    def _arithmetic(self, rule: _Rule, ops: dict[str, str]) -> tuple[str, bool]:
        """Left-associative in both languages: only the first operand and each right one need wrapping."""
        code, atomic = rule()
        first = True
        while self.at(*ops):
            op = ops[self.take().text]
            right = rule()
            left = self.operand((code, atomic)) if first else code
            code, atomic, first = f"{left} {op} {self.operand(right)}", False, False
        return code, atomic

    def unary(self) -> tuple[str, bool]:
        if self.at("!", "not", "empty"):
            self.take()
            return f"not {self.operand(self.unary())}", False
        if self.at("-"):
            self.take()
            return f"-{self.operand(self.unary())}", False
        return self.value()

    def value(self) -> tuple[str, bool]:
        token = self.peek()
        code, atomic = self.primary()
        name = token.text if token.kind == "name" and token.text not in _CONSTANTS else None
        while True:
            if self.at("."):
                self.take()
                member = self.take()
                if member.kind != "name":
                    raise self.refuse(f"'.' must be followed by a property name, not '{member.text}'")
                if self.at("("):
                    raise self.refuse(f"the method call {member.text}(...) {JAVA_HINT}")
                code, atomic, name = f"{self.operand((code, atomic))}[{member.text!r}]", True, None
            elif self.at("["):
                self.take()
                index, _ = self.ternary()
                self.expect("]")
                code, atomic, name = f"{self.operand((code, atomic))}[{index}]", True, None
            elif self.at("("):
                if name is None or name not in self.functions:
                    shown = f"{name}(...)" if name else "a call"
                    raise self.refuse(f"the call {shown} {JAVA_HINT}")
                code, atomic, name = f"{code}({self.arguments()})", True, None
            else:
                return code, atomic

    def arguments(self) -> str:
        self.expect("(")
        found: list[str] = []
        while not self.at(")"):
            code, _ = self.ternary()
            found.append(code)
            if not self.at(","):
                break
            self.take()
        self.expect(")")
        return ", ".join(found)

    def primary(self) -> tuple[str, bool]:
        token = self.take()
        if token.kind == "number":
            return token.text, True
        if token.kind == "string":
            return _string(token.text), True
        if token.kind == "name":
            return self.name(token), True
        if token.kind == "op" and token.text == "(":
            inner = self.ternary()
            self.expect(")")
            return self.operand(inner), True
        if token.kind == "op" and token.text in ("[", "{"):
            raise self.refuse("collection literals are not supported: build the value in a script task")
        if token.kind == "end":
            raise self.refuse("the expression ends too early")
        raise self.refuse(f"unexpected '{token.text}'")

    def name(self, token: _Token) -> str:
        text = token.text
        if text in _CONSTANTS:
            return _CONSTANTS[text]
        if text in _KEYWORDS:
            raise self.refuse(f"'{text}' cannot stand here")
        if self.at("->"):
            raise self.refuse("lambda expressions are not supported: use a script task")
        if text == "execution":
            raise self.refuse(f"execution {JAVA_HINT}")
        if "$" in text or keyword.iskeyword(text):
            raise self.refuse(f"'{text}' is not a valid Python variable name: rename the variable")
        return text

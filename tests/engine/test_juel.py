"""JUEL as Camunda and Flowable write it, translated into Python, or refused saying what to write."""

from __future__ import annotations

import ast

import pytest

from engine.juel import JAVA_HINT, JuelError, translate, wrapped
from engine.safety import problems_in


@pytest.mark.parametrize(
    ("juel", "python"),
    [
        ("${approved}", "approved"),
        ("#{approved}", "approved"),
        ("  ${ approved }  ", "approved"),
        ("${a && b}", "a and b"),
        ("${a and b and c}", "a and b and c"),
        ("${a || b}", "a or b"),
        ("${a or b}", "a or b"),
        ("${!a}", "not a"),
        ("${not a}", "not a"),
        ("${a && b || !c}", "(a and b) or (not c)"),
        ("${!a == b}", "(not a) == b"),
        ("${a == b == c}", "(a == b) == c"),
        ("${amount eq 5}", "amount == 5"),
        ("${amount ne 5}", "amount != 5"),
        ("${amount lt 5}", "amount < 5"),
        ("${amount gt 5}", "amount > 5"),
        ("${amount le 5}", "amount <= 5"),
        ("${amount ge 5}", "amount >= 5"),
        ("${amount >= 1000 and approved}", "(amount >= 1000) and approved"),
        ("${empty comment}", "not comment"),
        ("${not empty comment}", "not (not comment)"),
        ("${approved == true}", "approved == True"),
        ("${rejected != false}", "rejected != False"),
        ("${owner == null}", "owner == None"),
        ("${status == 'open'}", "status == 'open'"),
        ('${status == "open"}', "status == 'open'"),
        ("${name == 'O\\'Brien'}", 'name == "O\'Brien"'),
        ("${owner.address.city}", "owner['address']['city']"),
        ("${owner['name']}", "owner['name']"),
        ("${items[0].price}", "items[0]['price']"),
        ("${a - b - c}", "a - b - c"),
        ("${a * 2 + 3 mod 2}", "(a * 2) + (3 % 2)"),
        ("${total div 2}", "total / 2"),
        ("${-a * 2}", "(-a) * 2"),
        ("${urgent ? 'crc' : 'engineering'}", "('crc' if urgent else 'engineering')"),
        ("${1.5e3 > x}", "1.5e3 > x"),
        ("${len(items) > 0}", "len(items) > 0"),
        ("${working_days(3)}", "working_days(3)"),
        # Python inside ${...}, as Lintel's diagrams wrote it before JUEL was read, stays Python.
        ("${'crc' if urgent else 'engineering'}", "'crc' if urgent else 'engineering'"),
        ("${x in ('a', 'b')}", "x in ('a', 'b')"),
    ],
)
def test_the_simple_subset_becomes_python(juel: str, python: str) -> None:
    assert translate(juel, ("working_days",)) == python
    ast.parse(python, mode="eval")
    assert problems_in(python, "eval", ("working_days",)) == []


@pytest.mark.parametrize(
    ("juel", "message"),
    [
        ('${execution.getVariable("x")}', f'${{execution.getVariable("x")}}: execution {JAVA_HINT}'),
        ("${bean.method()}", f"${{bean.method()}}: the method call method(...) {JAVA_HINT}"),
        ("${order.total()}", f"the method call total(...) {JAVA_HINT}"),
        ("${dateTime().plusDays(2)}", f"the call dateTime(...) {JAVA_HINT}"),
        ("${x instanceof y}", f"instanceof {JAVA_HINT}"),
        ("${a = 1}", "'=' (assignment or several statements) is not supported"),
        ("${a; b}", "'=' (assignment or several statements) is not supported".replace("=", ";")),
        ("${x -> x + 1}", "lambda expressions are not supported: use a script task"),
        ("${class}", "'class' is not a valid Python variable name: rename the variable"),
        ("Hello ${name}", "mixes text with ${...}: write the whole value as one expression"),
        ("${}", "is empty"),
        ("${a +}", "the expression ends too early"),
        ("${a ^^ b}", "'^' is not part of a JUEL expression"),
    ],
)
def test_what_needs_java_or_is_not_juel_is_refused_saying_what_to_do(juel: str, message: str) -> None:
    with pytest.raises(JuelError) as refused:
        translate(juel)
    assert message in str(refused.value)


def test_every_refusal_hint_is_valid_python() -> None:
    # The hint of a Java refusal names what to write ("a Python expression or a script task") without
    # offering code; the translations the checks show as "write X" are always parsed first.
    for juel in ("${bean.method()}", "${execution.getVariable('x')}"):
        with pytest.raises(JuelError) as refused:
            translate(juel)
        assert refused.value.definite


def test_wrapped_finds_the_expression_inside() -> None:
    assert wrapped("${a}") == "a"
    assert wrapped("#{a}") == "a"
    assert wrapped("a") is None
    assert wrapped("${a} and ${b}") == "a} and ${b"  # one expression: translate() then refuses it
    with pytest.raises(JuelError):
        translate("${a} and ${b}")

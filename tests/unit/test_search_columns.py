"""The filter evaluated over columns (``harness.sdk.search_columns``, the
dashboard's fast path) answers exactly as the per-run predicate
(``harness.sdk.search``, `harness runs list --filter`) on values of every kind a
run can hold: numbers, NaN, infinities, bools, numeric and other text, lists,
numpy scalars, missing values."""

from __future__ import annotations

import math
import random
from types import SimpleNamespace

import numpy as np
import pytest

from harness.sdk.search import lookup, parse_filter, parse_tree
from harness.sdk.search_columns import EXACT_INT, ColumnValues, NotColumnar, evaluate

VALUES = [
    None, None, 0, 1, -1, 2, 0.001, 0.005, 0.01, 0.5, 0.9, 1.0, 3.5, -2.25,
    float("nan"), float("inf"), float("-inf"), True, False,
    "0.01", "1", " 2 ", "1e-3", "abc", "Abc", "", "nan", "inf", "saga", "lbfgs",
    "1_000", "true", [1, 2], {"a": 1}, np.float64(0.5), np.int64(3), 2**53,
]  # fmt: skip
LITERALS = [
    "0", "1", "-1", "0.01", "0.5", "2", "1e-3", "3.5", "'0.01'", "'abc'", "'1'", "'true'",
    "'saga'", "''", "'nan'",
]  # fmt: skip
OPS = ["=", "!=", "<", "<=", ">", ">=", "<>", "=="]
COLUMNS = ["metrics.m", "params.p", "tags.t"]


def _runs(rng: random.Random, count: int) -> list[SimpleNamespace]:
    return [
        SimpleNamespace(
            id=f"r{i}",
            metrics={"m": rng.choice(VALUES)},
            params={"p": rng.choice(VALUES)},
            tags={"t": rng.choice(VALUES)},
        )
        for i in range(count)
    ]


def _comparison(rng: random.Random) -> str:
    column = rng.choice(COLUMNS)
    shape = rng.random()
    if shape < 0.6:
        return f"{column} {rng.choice(OPS)} {rng.choice(LITERALS)}"
    if shape < 0.75:
        keyword = rng.choice(["LIKE", "ILIKE", "like"])
        pattern = rng.choice(["'a%'", "'%1%'", "'_'", "'SAGA'", "'0.0_'"])
        return f"{column} {keyword} {pattern}"
    items = ", ".join(rng.sample(LITERALS, rng.randint(1, 4)))
    return f"{column} {rng.choice(['IN', 'NOT IN'])} ({items})"


def _expression(rng: random.Random, depth: int = 0) -> str:
    if depth > 1 or rng.random() < 0.5:
        return _comparison(rng)
    joiner = rng.choice([" and ", " or ", " AND ", " OR "])
    parts = [_expression(rng, depth + 1) for _ in range(rng.randint(2, 3))]
    return "(" + joiner.join(parts) + ")"


def _columns(runs):
    cache = {}

    def column(kind, key):
        if (kind, key) not in cache:
            read = lookup(kind, key)
            cache[(kind, key)] = ColumnValues([read(r, r.params, r.metrics) for r in runs])
        return cache[(kind, key)]

    return column


def _predicate_answer(expression, runs):
    predicate = parse_filter(expression)
    return [predicate(r, r.params, r.metrics) for r in runs]


def test_columns_answer_as_the_predicate_on_every_kind_of_value():
    rng = random.Random(20261206)
    runs = _runs(rng, 300)
    column = _columns(runs)
    checked = 0
    for _ in range(600):
        expression = _expression(rng)
        expected = _predicate_answer(expression, runs)
        got = evaluate(parse_tree(expression), column).tolist()
        assert got == expected, expression
        checked += sum(expected)
    assert checked > 10_000  # the expressions matched runs, not only refused them


def test_each_value_against_each_literal_and_operator():
    runs = [
        SimpleNamespace(id=str(i), metrics={"m": v}, params={"p": v}, tags={})
        for i, v in enumerate(VALUES)
    ]
    column = _columns(runs)
    for op in OPS:
        for literal in LITERALS:
            expression = f"params.p {op} {literal}"
            got = evaluate(parse_tree(expression), column).tolist()
            assert got == _predicate_answer(expression, runs), expression


def test_integers_beyond_float64_are_left_to_the_predicate():
    runs = [SimpleNamespace(id="a", metrics={"m": 2**53 + 1}, params={}, tags={})]
    column = _columns(runs)
    with pytest.raises(NotColumnar):
        evaluate(parse_tree(f"metrics.m > {2**53}"), column)
    # a text comparison of the same column is exact: answered by the columns
    assert evaluate(parse_tree("metrics.m = 'x'"), column).tolist() == [False]
    runs = [SimpleNamespace(id="a", metrics={"m": 1}, params={}, tags={})]
    with pytest.raises(NotColumnar):
        evaluate(parse_tree(f"metrics.m IN ({EXACT_INT * 4}, 1)"), _columns(runs))


def test_column_values_read_numbers_as_the_predicate_does():
    values = ColumnValues([1, 0.5, "0.25", True, "x", None, float("nan"), 10**400])
    assert values.present.tolist() == [True] * 5 + [False, True, True]
    assert values.is_number.tolist() == [True, True, False, False, False, False, False, True]
    assert values.convertible.tolist() == [True, True, True, True, False, False, True, True]
    assert not values.exact
    assert values.numbers[:4].tolist() == [1.0, 0.5, 0.25, 1.0] and math.isnan(values.numbers[4])
    assert values.texts.tolist()[:6] == ["1", "0.5", "0.25", "true", "x", ""]

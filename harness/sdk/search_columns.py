"""The run filter (``harness.sdk.search``) evaluated a column at a time with numpy:
one pass per named column over every run instead of a Python call per run.

The dashboard keeps its runs' values as columns (``harness.ui.runcolumns``) and
asks the same expression page after page; the per-run predicate costs ~4 µs a run,
most of a 100,000-run page. The answer is the predicate's, value for value: the
same lark tree, the same rules (a missing value never matches; numbers compare as
numbers, a text that reads as a number as that number, any other text as text;
``IN`` matches real numbers by number and everything else by its text). Where a
float64 cannot hold a value exactly (an integer beyond 2⁵³), ``NotColumnar`` says
to ask the predicate instead.
"""

from __future__ import annotations

import operator
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from harness.sdk.search import column_of, is_number, like_matcher, literal_of, text

#: Integers beyond this lose digits as float64; the predicate compares them exactly.
EXACT_INT = 2**53

_OPS: dict[str, Callable[[Any, Any], Any]] = {
    "=": operator.eq,
    "==": operator.eq,
    "!=": operator.ne,
    "<>": operator.ne,
    "<": operator.lt,
    "<=": operator.le,
    ">": operator.gt,
    ">=": operator.ge,
}


class NotColumnar(Exception):
    """This expression over these values needs the per-run predicate."""


@dataclass
class ColumnValues:
    """One column (``metrics.accuracy``, ``params.lr``…) of every run, as the filter
    reads it."""

    values: Sequence[Any]  # None where the run has no value
    present: np.ndarray = field(init=False)  # has a value
    is_number: np.ndarray = field(init=False)  # an int or float (not bool), not NaN
    numbers: np.ndarray = field(init=False)  # float(value) where that works, else NaN
    convertible: np.ndarray = field(init=False)  # a number, or text float() reads
    exact: bool = field(init=False)  # every number fits a float64 exactly
    _texts: np.ndarray | None = field(init=False, default=None)

    def __post_init__(self) -> None:
        size = len(self.values)
        self.present = np.fromiter((v is not None for v in self.values), bool, size)
        self.is_number = np.fromiter(
            (v.__class__ in (int, float) and v == v for v in self.values), bool, size
        )
        numbers = np.full(size, np.nan)
        convertible = self.is_number.copy()
        exact = True
        for position, value in enumerate(self.values):
            cls = value.__class__
            if cls is float:
                numbers[position] = value
                convertible[position] = True
            elif cls is int:
                if -EXACT_INT <= value <= EXACT_INT:
                    numbers[position] = value
                else:  # numeric comparisons ask the predicate (NotColumnar)
                    exact = False
            elif value is not None:
                try:  # a param written as text ("0.01"), a bool (1.0), NaN
                    number = float(value)
                except (TypeError, ValueError, OverflowError):
                    continue
                # float() of a long digit string or a big int rounds; the predicate
                # would compare the same rounded float, so only ints need care
                numbers[position] = number
                convertible[position] = True
        self.numbers, self.convertible, self.exact = numbers, convertible, exact

    @property
    def texts(self) -> np.ndarray:
        """``text(value)`` per run ("" where missing: mask with ``present``)."""
        if self._texts is None:
            texts = np.empty(len(self.values), dtype=object)
            texts[:] = [("" if v is None else text(v)) for v in self.values]
            self._texts = texts
        return self._texts


ColumnSource = Callable[[str, str], ColumnValues]


def evaluate(tree: Any, column: ColumnSource) -> np.ndarray:
    """The runs (a bool per position of ``column``'s runs) ``tree`` matches."""
    kind = tree.data
    if kind in ("disjunction", "conjunction"):
        masks = [evaluate(child, column) for child in tree.children]
        combine = np.logical_and if kind == "conjunction" else np.logical_or
        result = masks[0]
        for mask in masks[1:]:
            result = combine(result, mask)
        return result
    values = column(*column_of(tree.children[0]))
    if kind == "compare":
        return _compare(values, str(tree.children[1]), literal_of(tree.children[2]))
    if kind == "like":
        matcher = like_matcher(str(tree.children[1]), literal_of(tree.children[2]))
        found = [matcher(t) is not None for t in values.texts]
        return values.present & np.array(found, dtype=bool)
    literals = [literal_of(v) for v in tree.children[1].children]
    return _membership(values, literals, negate=kind == "not_in")


def _check_exact(values: ColumnValues, literals: list[Any]) -> None:
    if not values.exact or any(
        v.__class__ is int and not -EXACT_INT <= v <= EXACT_INT for v in literals
    ):
        raise NotColumnar("an integer beyond float64's exact range")


def _compare(values: ColumnValues, op: str, literal: Any) -> np.ndarray:
    check = _OPS[op]
    if not is_number(literal):
        return values.present & np.asarray(check(values.texts, literal), dtype=bool)
    _check_exact(values, [literal])
    numbers = values.numbers
    with np.errstate(invalid="ignore"):
        result = values.convertible & ~np.isnan(numbers) & check(numbers, float(literal))
    fallback = np.flatnonzero(values.present & ~values.convertible)
    if fallback.size:  # text that is not a number: compared as text, like the predicate
        wanted = text(literal)
        texts = values.texts
        result[fallback] = [bool(check(texts[i], wanted)) for i in fallback]
    return result


def _membership(values: ColumnValues, literals: list[Any], negate: bool) -> np.ndarray:
    numeric = [v for v in literals if is_number(v)]
    _check_exact(values, numeric)
    numbers = [float(v) for v in numeric]
    texts = {text(v) for v in literals}
    by_number = values.is_number & np.isin(values.numbers, numbers)
    others = np.flatnonzero(values.present & ~values.is_number)
    by_text = np.zeros(len(values.values), dtype=bool)
    column_texts = values.texts
    by_text[others] = [column_texts[i] in texts for i in others]
    found = by_number | by_text
    return values.present & (~found if negate else found)

"""MLflow's run search syntax, parsed (lark, an LALR grammar; never ``eval``) into a
predicate over runs: ``metrics.accuracy > 0.9 and params.lr < 0.01``.

Like MLflow's ``search_runs`` filter strings:

- ``metrics.NAME``, ``params.KEY``, ``tags.KEY``, ``attributes.FIELD`` (also the
  singular ``metric.``/``param.``/``tag.``/``attribute.``, and the bare attribute
  names ``status``, ``experiment``, ``estimator``, ``compute``, ``id``, ``sweep_id``,
  ``created``, ``started``, ``ended``, ``duration``); a name with other characters
  in backticks or double quotes: ``metrics.`f1-score```, ``params."estimator.C"``.
  Params are the flattened config, so ``params.estimator.C`` works unquoted too.
- ``=  !=  <  <=  >  >=``, ``LIKE`` / ``ILIKE`` (``%`` and ``_``), ``IN (…)``,
  ``NOT IN (…)``; numbers and quoted strings; keywords in any case.
- ``AND``, and, beyond MLflow, ``OR`` and parentheses.

A run without the named value never matches (as in MLflow). Numbers compare as
numbers, anything else as text (a param ``True`` is the text ``true``, as Hydra
writes it).
"""

from __future__ import annotations

import functools
import math
import re
from collections.abc import Callable
from typing import Any

from harness.errors import ConfigError

#: (record, flattened params, last metric values) → matches?
Predicate = Callable[[Any, dict[str, Any], dict[str, Any]], bool]

GRAMMAR = r"""
?start: disjunction
?disjunction: conjunction (_OR conjunction)*
?conjunction: atom (_AND atom)*
?atom: comparison
     | "(" disjunction ")"
comparison: column COMPARE value            -> compare
          | column LIKE value               -> like
          | column _NOT _IN "(" values ")"  -> not_in
          | column _IN "(" values ")"       -> is_in
values: value ("," value)*
column: NAME ("." part)*
?part: NAME | QUOTED_NAME | NUMBER_PART
?value: SIGNED_NUMBER -> number
      | STRING        -> string
COMPARE: "<=" | ">=" | "!=" | "<>" | "==" | "=" | "<" | ">"
LIKE: /i?like\b/i
_AND: /and\b/i
_OR: /or\b/i
_NOT: /not\b/i
_IN: /in\b/i
NAME.-1: /[A-Za-z_][A-Za-z0-9_\-\/]*/
NUMBER_PART: /[0-9]+/
QUOTED_NAME: /`[^`]*`/ | /"[^"]*"/
STRING: /'(?:[^'\\]|\\.)*'/
%import common.SIGNED_NUMBER
%import common.WS
%ignore WS
"""

ATTRIBUTES = (
    "id", "experiment", "status", "estimator", "compute", "sweep_id", "created",
    "started", "ended", "duration", "run_id", "run_name",
)  # fmt: skip
_PREFIXES = {
    "metrics": "metrics", "metric": "metrics", "params": "params", "param": "params",
    "tags": "tags", "tag": "tags", "attributes": "attributes", "attribute": "attributes",
    "attr": "attributes",
}  # fmt: skip
EXAMPLE = "metrics.accuracy > 0.9 and params.lr < 0.01"


class FilterError(ConfigError):
    """A filter expression that does not parse or names nothing known."""


@functools.lru_cache(maxsize=1)
def _parser() -> Any:
    from lark import Lark

    return Lark(GRAMMAR, parser="lalr", maybe_placeholders=False)


def _unquote(text: str) -> str:
    return text[1:-1] if text[:1] in '`"' else text


def column_of(tree: Any) -> tuple[str, str]:
    """(kind, key): kind is metrics | params | tags | attributes."""
    parts = [_unquote(str(token)) for token in tree.children]
    head = parts[0].lower()
    if head in _PREFIXES and len(parts) > 1:
        return _PREFIXES[head], ".".join(parts[1:])
    if len(parts) == 1 and head in ATTRIBUTES:
        return "attributes", head
    raise FilterError(
        f"filter: '{'.'.join(parts)}' is not a column; write metrics.NAME, params.KEY, "
        f"tags.KEY or attributes.FIELD (e.g. {EXAMPLE})"
    )


def literal_of(tree: Any) -> Any:
    token = str(tree.children[0])
    if tree.data == "number":
        number = float(token)
        return (
            int(number)
            if number.is_integer() and "." not in token and "e" not in token.lower()
            else number
        )
    return re.sub(r"\\(.)", r"\1", token[1:-1])


def attribute(record: Any, name: str) -> Any:
    """An attribute column of a run record (``duration`` in seconds)."""
    if name in ("id", "run_id", "run_name"):
        return record.id
    if name == "duration":
        from harness.sdk.run import duration_s

        return duration_s(record)
    return getattr(record, name, None)


def lookup(kind: str, key: str) -> Callable[[Any, dict[str, Any], dict[str, Any]], Any]:
    """How to read one column of a run (missing: ``None``)."""
    if kind == "metrics":
        return lambda record, params, metrics: metrics.get(key)
    if kind == "params":
        return lambda record, params, metrics: params.get(key)
    if kind == "tags":
        return lambda record, params, metrics: record.tags.get(key)
    if key not in ATTRIBUTES:
        raise FilterError(f"filter: no attribute '{key}'; use one of {', '.join(ATTRIBUTES)}")
    return lambda record, params, metrics: attribute(record, key)


def is_number(value: Any) -> bool:
    """An int or float (not a bool), not NaN: compared as a number as it is."""
    return value.__class__ in (int, float) and value == value


def text(value: Any) -> str:
    """A value as the text a filter compares: Hydra's spelling of booleans."""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


_OPS: dict[str, Callable[[Any, Any], bool]] = {
    "=": lambda a, b: a == b,
    "==": lambda a, b: a == b,
    "!=": lambda a, b: a != b,
    "<>": lambda a, b: a != b,
    "<": lambda a, b: a < b,
    "<=": lambda a, b: a <= b,
    ">": lambda a, b: a > b,
    ">=": lambda a, b: a >= b,
}


def _compare(read: Callable[..., Any], op: str, literal: Any) -> Predicate:
    check = _OPS[op]
    if is_number(literal):

        def numeric(record: Any, params: dict[str, Any], metrics: dict[str, Any]) -> bool:
            value = read(record, params, metrics)
            if value is None:
                return False
            if is_number(value):
                return check(value, literal)
            try:  # a param or tag written as text: "0.01"
                number = float(value)
            except (TypeError, ValueError):
                return check(text(value), text(literal))
            return not math.isnan(number) and check(number, literal)

        return numeric

    def textual(record: Any, params: dict[str, Any], metrics: dict[str, Any]) -> bool:
        value = read(record, params, metrics)
        return value is not None and check(text(value), literal)

    return textual


def like_matcher(keyword: str, pattern: Any) -> Callable[[str], Any]:
    """``LIKE`` / ``ILIKE`` ``pattern`` as a full-match of a text (``%``, ``_``)."""
    if not isinstance(pattern, str):
        raise FilterError(f"filter: {keyword.upper()} needs a quoted pattern, e.g. 'sk%'")
    regex = "".join(".*" if c == "%" else "." if c == "_" else re.escape(c) for c in pattern)
    flags = re.IGNORECASE if keyword.lower() == "ilike" else 0
    return re.compile(regex, flags | re.DOTALL).fullmatch


def _like(read: Callable[..., Any], keyword: str, pattern: Any) -> Predicate:
    matcher = like_matcher(keyword, pattern)

    def like(record: Any, params: dict[str, Any], metrics: dict[str, Any]) -> bool:
        value = read(record, params, metrics)
        return value is not None and matcher(text(value)) is not None

    return like


def _membership(read: Callable[..., Any], literals: list[Any], negate: bool) -> Predicate:
    texts = {text(v) for v in literals}
    numbers = {v for v in literals if is_number(v)}

    def member(record: Any, params: dict[str, Any], metrics: dict[str, Any]) -> bool:
        value = read(record, params, metrics)
        if value is None:
            return False
        found = (value in numbers) if is_number(value) else text(value) in texts
        return found != negate

    return member


def _build(tree: Any) -> Predicate:
    kind = tree.data
    if kind in ("disjunction", "conjunction"):
        parts = [_build(child) for child in tree.children]
        if kind == "conjunction":
            return lambda r, p, m: all(part(r, p, m) for part in parts)
        return lambda r, p, m: any(part(r, p, m) for part in parts)
    read = lookup(*column_of(tree.children[0]))
    if kind == "compare":
        return _compare(read, str(tree.children[1]), literal_of(tree.children[2]))
    if kind == "like":
        return _like(read, str(tree.children[1]), literal_of(tree.children[2]))
    literals = [literal_of(v) for v in tree.children[1].children]
    return _membership(read, literals, negate=kind == "not_in")


def parse_filter(expression: str) -> Predicate:
    """The predicate of ``expression``, or a ``FilterError`` naming where it broke."""
    return _build(parse_tree(expression))


@functools.lru_cache(maxsize=64)
def parse_tree(expression: str) -> Any:
    """``expression``'s syntax tree (lark; cached: the dashboard asks the same filter
    page after page), or a ``FilterError`` naming where it broke. The tree is shared:
    read it, never change it."""
    from lark.exceptions import LarkError, UnexpectedCharacters, UnexpectedInput

    if len(expression) > 10_000:
        raise FilterError("filter: longer than 10,000 characters")
    try:
        return _parser().parse(expression)
    except UnexpectedInput as exc:
        where = (
            f"column {exc.column}" if getattr(exc, "column", -1) not in (-1, None) else "the end"
        )
        if isinstance(exc, UnexpectedCharacters) and exc.pos_in_stream is not None:
            found = repr(expression[exc.pos_in_stream])
        else:
            token = str(getattr(exc, "token", "") or "")
            found = repr(token) if token else "end"
        raise FilterError(
            f"filter: unexpected {found} at {where} of {expression!r}; write e.g. {EXAMPLE}"
        ) from None
    except LarkError as exc:
        raise FilterError(f"filter: {exc}") from None

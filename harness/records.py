"""Workspace record formats: a version in every record, one migration per file kind
on read, and a type check of every field.

Each record file the harness writes (``run.json``, ``job.json``, ``sweep.json``,
``model.json``, ``registry.json``, ``datastores.json``) carries
``"format_version": N``. A reader calls ``read`` with the file's ``Format``: the
record is migrated from the version it was written in (0: before versions existed)
to the current one, then every field is checked against the dataclass that
describes it. Anything that does not fit (a wrong type, a missing field, an unknown
one, a newer format) is a ``ValueError`` naming the field, which the stores turn
into a ``DamagedRecordError`` naming the file: one row in a listing, one line for a
command, found by ``harness doctor``, never a crash. The datastore manifest and the
runs index had a ``version`` key before this module and keep it.

A leaf module (``errors`` only): every store imports it.
"""

from __future__ import annotations

import dataclasses
import enum
import types
import typing
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Union

__all__ = [
    "FORMAT_KEY",
    "Damaged",
    "Format",
    "RunStatus",
    "check",
    "check_update",
    "read",
    "stamp",
    "timestamp",
]

FORMAT_KEY = "format_version"


class RunStatus(str, enum.Enum):
    """A run's (or sweep's) status. A ``str``: it compares, hashes, prints and is
    written to JSON as its value, so records keep ``"status": "Completed"``."""

    QUEUED = "Queued"
    RUNNING = "Running"
    COMPLETED = "Completed"
    FAILED = "Failed"
    CANCELED = "Canceled"

    __str__ = str.__str__
    __format__ = str.__format__  # type: ignore[assignment]
    __hash__ = str.__hash__  # Enum hashes its name; "Queued" in a set must find it


Migration = Callable[[dict[str, Any]], dict[str, Any]]


@dataclass(frozen=True)
class Damaged:
    """A record a listing could not read: one row (``name``, status ``Damaged``) and
    one line (``str()``) naming the file, the problem and the way out."""

    kind: str  # "run", "sweep", "model version", ...
    name: str  # the id or name the listing shows
    path: str  # the file
    problem: str
    fix: str = "`harness doctor` repairs or removes it"

    STATUS: typing.ClassVar[str] = "Damaged"

    @property
    def line(self) -> str:
        """What is wrong and the way out, naming the file."""
        return f"damaged {self.kind} record {self.path} ({self.problem}); {self.fix}"

    def __str__(self) -> str:
        return f"skipped {self.name}: {self.line}"

    def to_json(self) -> dict[str, Any]:
        """A listing's JSON item for it (the caller adds the id or name it lists by)."""
        return {"status": self.STATUS, "damaged": True, "path": self.path, "error": self.line}


@dataclass(frozen=True)
class Format:
    """One file kind: its name in messages, the dataclass of its fields, the current
    version, and ``migrations[n]``: version n → n + 1."""

    kind: str
    schema: type
    version: int
    migrations: dict[int, Migration] = field(default_factory=dict)
    #: Fields of ``schema`` that are never stored (e.g. a record's own path).
    unsaved: frozenset[str] = frozenset()
    #: Version-0 records had no version and kept unknown keys silently: drop them.
    legacy_drops_unknown: bool = True
    #: Checks of values beyond their types (a timestamp that parses, an id that
    #: matches its pattern): raise ``ValueError`` naming the field.
    values: Callable[[dict[str, Any]], None] | None = None


def stamp(fmt: Format, data: dict[str, Any]) -> dict[str, Any]:
    """``data`` with the current format version, as a writer saves it."""
    return {**data, FORMAT_KEY: fmt.version}


def read(fmt: Format, data: Any) -> dict[str, Any]:
    """``data`` (parsed JSON) migrated to the current version and checked: the
    keyword arguments of ``fmt.schema``. ``ValueError`` says what is wrong."""
    if not isinstance(data, dict):
        raise ValueError(f"not a {fmt.kind} (a JSON {type(data).__name__}, not an object)")
    data = dict(data)
    version = data.pop(FORMAT_KEY, 0)
    if not _is_int(version) or version < 0:
        raise ValueError(f"{FORMAT_KEY} {version!r} is not a version number")
    if version > fmt.version:
        raise ValueError(
            f"written in format {version} by a newer harness (this one reads up to "
            f"{fmt.version}); upgrade the harness to read it"
        )
    legacy = version == 0
    while version < fmt.version:
        step = fmt.migrations.get(version)
        data = step(data) if step is not None else data
        version += 1
    checked = check(fmt, data, drop_unknown=legacy and fmt.legacy_drops_unknown)
    if fmt.values is not None:
        fmt.values(checked)
    return checked


def timestamp(data: dict[str, Any], *names: str) -> None:
    """For ``Format.values``: each named field, when set, is an ISO 8601 time with
    its UTC offset (as the harness writes them: naive and aware times cannot be
    subtracted, so a naive one would break a duration)."""
    from datetime import datetime

    for name in names:
        value = data.get(name)
        if value is None:
            continue
        try:
            aware = datetime.fromisoformat(value).tzinfo is not None
        except (TypeError, ValueError):
            aware = False
        if not aware:
            raise ValueError(
                f"field '{name}' {_describe(value)}, not an ISO 8601 time with its UTC offset"
            )


def check(fmt: Format, data: dict[str, Any], *, drop_unknown: bool = False) -> dict[str, Any]:
    """Every field of ``data`` against ``fmt.schema``: present if required, of its
    declared type, nothing unknown (unless ``drop_unknown``)."""
    fields = _fields(fmt.schema)
    # In declaration order: a record with two problems is named by the same one each time.
    known = [name for name in fields if name not in fmt.unsaved]
    unknown = sorted(str(k) for k in data if k not in fields or k in fmt.unsaved)
    if unknown and not drop_unknown:
        raise ValueError(f"unknown field(s) {', '.join(unknown)}")
    checked: dict[str, Any] = {}
    for name in known:
        required, checker = fields[name]
        if name not in data:
            if required:
                raise ValueError(f"field '{name}' is missing")
            continue
        problem = checker(data[name])
        if problem:
            raise ValueError(f"field '{name}' {problem}")
        checked[name] = data[name]
    return checked


def check_update(schema: type, changes: dict[str, Any]) -> None:
    """Refuse a change to a field ``schema`` does not have, or a value of the wrong
    type: a bug in the caller, caught before the record is written."""
    fields = _fields(schema)
    for name, value in changes.items():
        if name not in fields:
            raise TypeError(f"{schema.__name__} has no field '{name}'")
        problem = fields[name][1](value)
        if problem:
            raise TypeError(f"{schema.__name__}.{name} {problem}")


# -- type checks from the dataclass annotations --------------------------------------
Checker = Callable[[Any], "str | None"]
_cache: dict[type, dict[str, tuple[bool, Checker]]] = {}


def _fields(schema: type) -> dict[str, tuple[bool, Checker]]:
    """name → (required, checker), built once per dataclass."""
    found = _cache.get(schema)
    if found is None:
        hints = typing.get_type_hints(schema)
        found = {}
        for item in dataclasses.fields(schema):
            required = (
                item.default is dataclasses.MISSING and item.default_factory is dataclasses.MISSING
            )
            found[item.name] = (required, _checker(hints[item.name]))
        _cache[schema] = found
    return found


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _describe(value: Any) -> str:
    shown = repr(value)
    return f"is {shown if len(shown) <= 40 else shown[:37] + '...'}"


def _checker(hint: Any) -> Checker:  # noqa: C901 - one branch per kind of type
    origin = typing.get_origin(hint)
    args = typing.get_args(hint)
    if hint is Any:
        return lambda value: None
    if origin in (Union, types.UnionType):
        options = [_checker(a) for a in args if a is not type(None)]
        nullable = type(None) in args

        def union(value: Any) -> str | None:
            if value is None and nullable:
                return None
            problems = [check(value) for check in options]
            return None if any(p is None for p in problems) else problems[0]

        return union
    if dataclasses.is_dataclass(hint) and isinstance(hint, type):
        nested = Format(hint.__name__, hint, version=0)

        def record(value: Any) -> str | None:
            if not isinstance(value, dict):
                return f"{_describe(value)}, not an object"
            try:
                check(nested, value)
            except ValueError as exc:
                return str(exc)
            return None

        return record
    if isinstance(hint, type) and issubclass(hint, enum.Enum):
        allowed = {member.value for member in hint}

        def member(value: Any) -> str | None:
            if isinstance(value, str) and value in allowed:
                return None
            return f"{_describe(value)}, not one of {', '.join(sorted(allowed))}"

        return member
    if hint is bool:
        return lambda v: None if isinstance(v, bool) else f"{_describe(v)}, not true/false"
    if hint is int:
        return lambda v: None if _is_int(v) else f"{_describe(v)}, not an integer"
    if hint is float:
        return lambda v: (
            None if _is_int(v) or isinstance(v, float) else f"{_describe(v)}, not a number"
        )
    if hint is str:
        return lambda v: None if isinstance(v, str) else f"{_describe(v)}, not text"
    if origin is dict or hint is dict:
        key_check = _checker(args[0]) if args else _checker(Any)
        value_check = _checker(args[1]) if args else _checker(Any)

        def mapping(value: Any) -> str | None:
            if not isinstance(value, dict):
                return f"{_describe(value)}, not an object"
            for key, item in value.items():
                problem = key_check(key) or value_check(item)
                if problem:
                    return f"[{str(key)[:40]!r}] {problem}"
            return None

        return mapping
    if origin is list or hint is list:
        item_check = _checker(args[0]) if args else _checker(Any)

        def sequence(value: Any) -> str | None:
            if not isinstance(value, list):
                return f"{_describe(value)}, not a list"
            for index, item in enumerate(value):
                problem = item_check(item)
                if problem:
                    return f"[{index}] {problem}"
            return None

        return sequence
    return lambda value: None  # a type not stored in JSON (Path): not checked here

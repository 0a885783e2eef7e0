"""Strict patterns for every name a user gives that becomes part of a path.

Run ids, sweep ids, model names, versions and aliases, and datastore names are
checked here *before* any path is built from them, by the storage layer itself
(``RunStore``, ``SweepStore``, ``ModelRegistry``, the datastore registry), so the
rule holds for every CLI command, the Python API and the web UI alike: nothing a
user names can reach outside ``$HARNESS_HOME``. Import the ``check_*`` functions
from here; each returns its argument unchanged or raises ``InvalidIdError``
(a ``HarnessError``: one line, exit 2).
"""

from __future__ import annotations

import re
import secrets
from datetime import datetime

from harness.errors import ConfigError, NotFoundError

# Every pattern is used with ``fullmatch``: ``re.match`` with ``$`` accepts a
# trailing newline ("name\n"), which then reaches a path or a record.

__all__ = [
    "ID_PATTERN",
    "NAME_PATTERN",
    "InvalidIdError",
    "check_alias",
    "check_datastore_name",
    "check_id_prefix",
    "check_model_name",
    "check_model_version",
    "check_run_id",
    "check_service_name",
    "check_sweep_id",
    "is_run_id",
    "new_id",
]

#: Run and sweep ids: ``YYYYMMDD-HHMMSS-<6 hex>`` (``RunStore.create``/``SweepStore.create``).
ID_PATTERN = re.compile(r"[0-9]{8}-[0-9]{6}-[0-9a-f]{6}")
#: A leading part of such an id: what ``runs show 2026`` accepts as a prefix.
_PREFIX_PATTERN = re.compile(r"[0-9]{1,8}(-[0-9]{0,6}(-[0-9a-f]{0,6})?)?")
#: Model names, aliases, datastore names: no separators, no leading dot.
NAME_PATTERN = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,127}")


class InvalidIdError(NotFoundError, ConfigError):
    """A run id, sweep id or name that does not match its pattern (so nothing by
    that name can exist: it is both a not-found and a config mistake)."""


def _shown(text: object) -> str:
    return repr(text)[1:-1] if isinstance(text, str) else repr(text)


def new_id() -> str:
    """A fresh run, sweep or bench id matching ``ID_PATTERN``: sortable by time, with
    random hex so two made in the same second differ (callers create it exclusively)."""
    return f"{datetime.now():%Y%m%d-%H%M%S}-{secrets.token_hex(3)}"


def is_run_id(text: str) -> bool:
    return isinstance(text, str) and bool(ID_PATTERN.fullmatch(text))


def check_run_id(text: str, kind: str = "run") -> str:
    """An exact run (or sweep) id; anything else is refused."""
    if not isinstance(text, str) or not ID_PATTERN.fullmatch(text):
        raise InvalidIdError(
            f"no {kind} '{_shown(text)}': that is not a {kind} id; {kind} ids look like "
            f"20260101-120000-a1b2c3 (see `harness {kind}s list`)"
        )
    return text


def check_sweep_id(text: str) -> str:
    return check_run_id(text, "sweep")


def check_id_prefix(text: str, kind: str = "run") -> str:
    """A full id or a leading part of one (``20260101-12``). Prefixes are matched
    with ``str.startswith`` against folder names, never as a glob."""
    if not isinstance(text, str) or not _PREFIX_PATTERN.fullmatch(text):
        raise InvalidIdError(
            f"no {kind} '{_shown(text)}': that is not a {kind} id or the start of one; "
            f"{kind} ids look like 20260101-120000-a1b2c3 (see `harness {kind}s list`)"
        )
    return text


def _check_name(text: str, what: str, example: str) -> str:
    if not isinstance(text, str) or not NAME_PATTERN.fullmatch(text):
        raise InvalidIdError(
            f"{what} '{_shown(text)}': use up to 128 letters, digits, '.', '_' or '-', "
            f"starting with a letter or digit (e.g. {example})"
        )
    return text


def check_model_name(text: str) -> str:
    return _check_name(text, "model name", "digits-clf")


def check_alias(text: str) -> str:
    _check_name(text, "alias", "production")
    if text.isdigit():
        raise InvalidIdError(f"alias '{text}': an alias cannot be a number (that is a version)")
    return text


def check_model_version(value: object) -> int:
    """A version number ≥ 1 (an int, or a string of digits)."""
    text = str(value)
    if isinstance(value, bool) or not text.isdigit() or int(text) < 1 or len(text) > 9:
        raise InvalidIdError(f"model version '{_shown(text)}': give a number ≥ 1")
    return int(text)


def check_datastore_name(text: str) -> str:
    return _check_name(text, "datastore name", "datasets")


def check_service_name(text: str) -> str:
    """A web service's name (``harness models serve --name``, ``Model.deploy``)."""
    return _check_name(text, "service name", "digits-svc")

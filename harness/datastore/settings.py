"""Named datastores of the workspace: ``$HARNESS_HOME/datastores.json``.

The built-in ``default`` datastore (type ``local``, the folder
``$HARNESS_HOME/datastores/default``) always exists. ``harness datastore add``
adds more; the file is rewritten atomically under a lock. Credentials are never
stored: URLs with a user/password or a query string and secret-looking options
are refused, so run records and logs can show a datastore's URL and options.
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from harness import records
from harness.datastore.errors import DatastoreError
from harness.errors import DamagedRecordError, HarnessError
from harness.ids import check_datastore_name
from harness.storage.locks import file_lock
from harness.storage.workspace import atomic_write_json, harness_home, read_json

SETTINGS_FILE = "datastores.json"
DEFAULT_NAME = "default"
#: Option names that hold credentials; they belong in the environment.
_SECRET = re.compile(r"key|secret|token|password|passwd|credential|sas|connection|auth", re.I)


def settings_path(home: Path | None = None) -> Path:
    """``datastores.json`` of the workspace ``home`` (default: the current one)."""
    return (home or harness_home()) / SETTINGS_FILE


def _lock(home: Path | None) -> contextlib.AbstractContextManager[None]:
    return file_lock(str(settings_path(home)) + ".lock", timeout=30)


@dataclass
class DatastoreEntry:
    type: str
    url: str
    options: dict[str, Any] = field(default_factory=dict)


@dataclass
class DatastoreSettings:
    """datastores.json: the default's name and the added datastores."""

    default: str = DEFAULT_NAME
    datastores: dict[str, DatastoreEntry] = field(default_factory=dict)


def _settings_values(data: dict[str, Any]) -> None:
    stores = data.get("datastores", {})
    for name in stores:
        try:
            check_datastore_name(name)  # a name that could never have been added
        except HarnessError as exc:
            raise ValueError(str(exc)) from None
    default = data.get("default", DEFAULT_NAME)
    if default != DEFAULT_NAME and default not in stores:
        raise ValueError(f"field 'default' names '{default}', which it does not hold")


#: datastores.json: format 1 added the version.
SETTINGS_FORMAT = records.Format(
    "datastore registry", DatastoreSettings, version=1, values=_settings_values
)


def _read(home: Path | None = None) -> dict[str, Any]:
    path = settings_path(home)
    if not path.exists():
        return {"default": DEFAULT_NAME, "datastores": {}}
    try:
        data = records.read(SETTINGS_FORMAT, read_json(path))
    except (OSError, ValueError) as exc:
        raise DamagedRecordError(
            f"damaged datastore registry {path}: {exc}; fix or remove it (`harness doctor`)"
        ) from None
    data.setdefault("default", DEFAULT_NAME)
    data.setdefault("datastores", {})
    return data


def _write(data: dict[str, Any], home: Path | None = None) -> None:
    atomic_write_json(settings_path(home), records.stamp(SETTINGS_FORMAT, data))


def builtin_default(home: Path | None = None) -> dict[str, Any]:
    return {"type": "local", "url": str((home or harness_home()) / "datastores" / DEFAULT_NAME)}


def configured(home: Path | None = None) -> tuple[str, dict[str, dict[str, Any]]]:
    """(name of the default datastore, name → {type, url, options}) of the
    workspace ``home`` (default: the current one)."""
    data = _read(home)
    stores = {DEFAULT_NAME: builtin_default(home), **data["datastores"]}
    return str(data["default"]), stores


def public_options(options: dict[str, Any]) -> dict[str, Any]:
    return {k: ("***" if _SECRET.search(k) else v) for k, v in options.items()}


def public_url(url: str) -> str:
    """The URL without user, password or query (for records), should a hand-edited
    datastores.json hold any."""
    parts = urlsplit(url)
    if not (parts.username or parts.password or parts.query):
        return url
    host = parts.hostname or ""
    if parts.port:
        host += f":{parts.port}"
    return parts._replace(netloc=host, query="").geturl()


def check_url(url: str) -> None:
    parts = urlsplit(url)
    if parts.username or parts.password:
        raise DatastoreError(
            f"the datastore URL '{parts.scheme}://…@{parts.hostname}' holds credentials; "
            "give them through the filesystem's usual sources (environment variables, "
            "its config file) instead, so they never reach the workspace or run records"
        )
    if parts.query:
        raise DatastoreError(
            "the datastore URL has a query string (which may hold a token); remove it and "
            "give credentials through the environment or the filesystem's config file"
        )


def infer_type(url: str) -> str:
    return "fsspec" if "://" in url else "local"


def add(
    name: str,
    url: str,
    *,
    check: Callable[[str, str, str, dict[str, Any]], None],
    type_: str | None = None,
    options: dict[str, Any] | None = None,
    make_default: bool = False,
    home: Path | None = None,
) -> dict[str, Any]:
    """Add (or replace) a named datastore; returns its stored entry. ``check(type,
    name, url, options)`` makes the plugin's instance once before anything is
    written (``harness.contract.datastore.check_datastore``: the plugins are above
    this module)."""
    check_datastore_name(name)
    if name == DEFAULT_NAME:
        raise DatastoreError(
            f"'{DEFAULT_NAME}' is the workspace's built-in datastore; pick another name "
            "(add --default to make the new one the default)"
        )
    options = dict(options or {})
    secret = sorted(k for k in options if _SECRET.search(k))
    if secret:
        raise DatastoreError(
            f"option(s) {', '.join(secret)} look like credentials; set them in the "
            "environment or the filesystem's config file, not in the workspace"
        )
    check_url(url)
    type_ = type_ or infer_type(url)
    if type_ == "local":
        url = str(Path(url).expanduser().resolve())
    stored = {"type": type_, "url": url, "options": options}
    check(type_, name, url, options)  # fails now (missing package, bad URL), not at first use
    with _lock(home):
        data = _read(home)
        data["datastores"][name] = stored
        if make_default:
            data["default"] = name
        _write(data, home)
    return stored


def remove(name: str, home: Path | None = None) -> None:
    check_datastore_name(name)
    if name == DEFAULT_NAME:
        raise DatastoreError(
            f"'{DEFAULT_NAME}' is the workspace's built-in datastore and cannot be removed; "
            "`harness datastore add NAME URL --default` makes another one the default"
        )
    if name not in _read(home)["datastores"]:  # checked before the lock file is made, too
        raise DatastoreError(f"no datastore named '{name}' to remove")
    with _lock(home):
        data = _read(home)
        if name not in data["datastores"]:
            raise DatastoreError(f"no datastore named '{name}' to remove")
        del data["datastores"][name]
        if data["default"] == name:
            data["default"] = DEFAULT_NAME
        _write(data, home)


def entry(name: str | None = None, home: Path | None = None) -> tuple[str, dict[str, Any]]:
    """(name, {type, url, options}) of the datastore configured as ``name`` (None:
    the default); the instance is ``harness.contract.datastore.get_datastore``'s."""
    default, stores = configured(home)
    name = check_datastore_name(name or default)
    if name not in stores:
        raise DatastoreError(
            f"unknown datastore '{name}'. Configured: {', '.join(sorted(stores))} "
            "(add one with: harness datastore add NAME URL)"
        )
    return name, stores[name]

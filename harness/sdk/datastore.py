"""The workspace's datastores from Python: ``list_datastores``,
``register_datastore``, ``unregister_datastore``, ``get_datastore``.
``harness datastore ls|add|remove`` call these same functions; upload, download,
list and verify are methods of the datastore object itself."""

from __future__ import annotations

from typing import Any


def get_datastore(name: str | None = None, workspace: Any = None) -> Any:
    """The datastore configured as ``name`` (None: the workspace default) in
    ``workspace`` (a ``Workspace``, a folder, or None: the current one)."""
    from harness.contract.datastore import get_datastore as configured_store
    from harness.sdk.workspace import home_of

    return configured_store(name, home_of(workspace))


def list_datastores(workspace: Any = None) -> list[dict[str, Any]]:
    """The configured datastores (``harness datastore ls --format json``):
    ``{"name", "type", "url", "options", "default"}`` each, without secrets."""
    from harness.datastore.settings import configured, public_options, public_url
    from harness.sdk.workspace import home_of

    default, stores = configured(home_of(workspace))
    return [
        {
            "name": name,
            "type": entry["type"],
            "url": public_url(entry["url"]),
            "options": public_options(entry.get("options") or {}),
            "default": name == default,
        }
        for name, entry in sorted(stores.items())
    ]


def register_datastore(
    name: str,
    url: str,
    type: str | None = None,  # noqa: A002 - the CLI's --type
    options: dict[str, Any] | None = None,
    default: bool = False,
    workspace: Any = None,
) -> Any:
    """Add (or replace) the datastore ``name`` at ``url`` (a folder, or an fsspec URL
    such as ``file://``, ``memory://``, ``s3://``); ``default=True`` makes it the
    workspace default (``harness datastore add``). Options never hold credentials:
    those come from the environment. Returns the datastore object."""
    from harness.contract.datastore import check_datastore
    from harness.datastore import settings
    from harness.sdk.workspace import home_of

    home = home_of(workspace)
    settings.add(
        name, url, check=check_datastore, type_=type, options=options, make_default=default,
        home=home,
    )  # fmt: skip
    return get_datastore(name, home)


def unregister_datastore(name: str, workspace: Any = None) -> None:
    """Forget the datastore ``name`` (``harness datastore remove``); its data is left alone."""
    from harness.datastore import settings
    from harness.sdk.workspace import home_of

    settings.remove(name, home_of(workspace))

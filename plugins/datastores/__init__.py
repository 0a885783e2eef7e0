"""Built-in datastore plugin: ``local`` (a folder) and ``fsspec`` (any fsspec URL)."""

from harness.contract.hookspecs import hookimpl


@hookimpl
def harness_register_datastores(register):
    from harness.plugins.datastores.fsspec_store import FsspecDatastore
    from harness.plugins.datastores.local import LocalDatastore

    register("local", LocalDatastore)
    register("fsspec", FsspecDatastore)

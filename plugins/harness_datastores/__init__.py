"""Built-in datastore plugin: ``local`` (a folder) and ``fsspec`` (any fsspec URL)."""

from harness.hookspecs import hookimpl


@hookimpl
def harness_register_datastores(register):
    from harness_datastores.fsspec_store import FsspecDatastore
    from harness_datastores.local import LocalDatastore

    register("local", LocalDatastore)
    register("fsspec", FsspecDatastore)

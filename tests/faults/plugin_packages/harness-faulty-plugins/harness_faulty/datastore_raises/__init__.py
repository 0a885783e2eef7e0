"""A datastore whose listing has a bug (and whose constructor works)."""

from harness.contract import hookimpl
from harness.plugins.datastores.local import LocalDatastore


class BuggyStore(LocalDatastore):
    def __init__(self, name, url, options=None):
        super().__init__(name, url.split("://", 1)[-1], options)

    def iter_files(self, prefix):
        raise KeyError("bucket-index")


@hookimpl
def harness_register_datastores(register):
    register("f-ds", BuggyStore)

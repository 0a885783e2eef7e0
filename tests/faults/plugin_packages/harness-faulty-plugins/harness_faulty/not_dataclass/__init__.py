"""A typed option that is no dataclass."""

from harness.contract import hookimpl


@hookimpl
def harness_config_schemas(register):
    register("compute", "f-nodc", {"name": "f-nodc"})

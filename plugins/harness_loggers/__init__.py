"""Built-in logger plugin: ``console`` (progress and metrics on the terminal)."""

from harness.hookspecs import hookimpl


@hookimpl
def harness_register_loggers(register):
    from harness_loggers.console import ConsoleLogger

    register("console", ConsoleLogger)


@hookimpl
def harness_config_searchpath():
    return ["pkg://harness_loggers.conf"]

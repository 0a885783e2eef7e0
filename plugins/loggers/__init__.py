"""Built-in logger plugin: ``console``, ``tensorboard``, ``mlflow``, ``jsonl``.

Each logger imports its library (tensorboard, mlflow) only when a job uses it.
"""

from harness.contract.hookspecs import hookimpl


@hookimpl
def harness_register_loggers(register):
    from harness.plugins.loggers.console import ConsoleLogger
    from harness.plugins.loggers.jsonl import JsonlLogger
    from harness.plugins.loggers.mlflow_logger import MlflowLogger
    from harness.plugins.loggers.tensorboard_logger import TensorBoardLogger

    register("console", ConsoleLogger)
    register("tensorboard", TensorBoardLogger)
    register("mlflow", MlflowLogger)
    register("jsonl", JsonlLogger)


@hookimpl
def harness_after_run(record, status):
    # Only runs that used the mlflow logger carry its tag; others import nothing.
    if "mlflow_run_id" in record.tags:
        from harness.plugins.loggers.mlflow_logger import correct_final_status

        correct_final_status(record, status)


@hookimpl
def harness_config_schemas(register):
    # Typed options instead of YAML files: a wrong type or an unknown key fails
    # while composing, and the dataclasses hold the only copy of the defaults.
    from harness.plugins.loggers.config import (
        ConsoleLoggerConfig,
        JsonlLoggerConfig,
        MlflowLoggerConfig,
        TensorBoardLoggerConfig,
    )

    register("logger", "console", ConsoleLoggerConfig)
    register("logger", "jsonl", JsonlLoggerConfig)
    register("logger", "mlflow", MlflowLoggerConfig)
    register("logger", "tensorboard", TensorBoardLoggerConfig)

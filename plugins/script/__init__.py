"""Built-in estimator plugin ``script``: run a user's own argparse training script.

The Azure ML v1 ``ScriptRunConfig`` / ``Estimator(source_directory, entry_script,
script_params)`` workflow: the source folder is snapshotted into the run, and the
script runs there as a child process of the worker. See docs/script-mode.md.
"""

from harness.contract.hookspecs import hookimpl


@hookimpl
def harness_register_estimators(register):
    from harness.plugins.script.estimator import ScriptEstimator

    register("script", ScriptEstimator)


@hookimpl
def harness_config_searchpath():
    return ["pkg://harness.plugins.script.conf"]

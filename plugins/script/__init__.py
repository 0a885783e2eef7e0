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
def harness_config_schemas(register):
    # Typed options instead of YAML files: a wrong type or an unknown key fails
    # while composing, and the dataclasses hold the only copy of the defaults.
    from harness.plugins.script.config import ScriptConfig

    register("estimator", "script", ScriptConfig)


@hookimpl
def harness_after_run(record, status):
    """Under MPI every rank runs the script; say so when ranks other than 0 wrote
    ``outputs/`` (kept apart in ``<run>/ranks/<N>/outputs``, not the run's outputs)."""
    if record.estimator != "script" or record.world_size <= 1 or record.path is None:
        return
    import sys

    from harness.plugins.script.estimator import rank_outputs

    wrote = rank_outputs(record.path)
    if wrote:
        ranks = ", ".join(f"rank {r} ({n} file{'s' if n != 1 else ''})" for r, n in wrote.items())
        print(
            f"harness: warning: {ranks} also wrote outputs/; the run's outputs/ are rank 0's "
            f"only, the others are kept in {record.path / 'ranks'}/<rank>/outputs. "
            "Write outputs from rank 0 (Run.get_context().rank == 0)",
            file=sys.stderr,
        )

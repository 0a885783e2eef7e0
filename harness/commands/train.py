"""``harness train``: compose the config with Hydra and run the job.

This goes through ``@hydra.main`` (not the Compose API) so that every Hydra flag
(``--cfg``, ``--help``, ``-m``, launchers, sweepers) keeps its meaning.
"""

from __future__ import annotations

import sys
from typing import Any

from harness.errors import HarnessError

#: Set once Hydra hands over a composed config: a Hydra exit before that is a
#: config error (exit 2), one after it is the job's own status.
_task_started = False
_argv: list[str] = []


def task(cfg: Any) -> Any:
    global _task_started
    _task_started = True
    from hydra.core.hydra_config import HydraConfig
    from hydra.types import RunMode
    from omegaconf import OmegaConf

    from harness.cli import output as summary
    from harness.job import driver

    hydra_cfg = HydraConfig.get()
    # Unresolved: keep what the user typed (a `${datastore:...}` is resolved once, by the driver).
    overrides = [str(o) for o in OmegaConf.to_container(hydra_cfg.overrides.task, resolve=False)]
    single = hydra_cfg.mode == RunMode.RUN
    if not single:
        from harness.sweeps.job import run_sweep_job

        return run_sweep_job(cfg, overrides, _argv, int(hydra_cfg.job.num), summary.print_outcome)
    try:
        outcome = driver.run_job(cfg, overrides, _argv)
    except HarnessError as exc:
        print(f"harness: error: {exc}", file=sys.stderr)
        raise SystemExit(exc.exit_code) from None
    summary.print_outcome(outcome)
    raise SystemExit(outcome.exit_code)


def main(args: list[str]) -> int:
    global _argv
    from harness.contract.manager import get_plugin_manager
    from harness.job import config
    from harness.sweeps import callback as sweep_callback
    from harness.sweeps import config as sweep_config

    _argv = ["harness", "train", *args]
    config.register_schema()
    config.register_resolvers()
    config.APP_ACTIVE = True
    manager = get_plugin_manager()  # load plugins (and show their warnings) before composing
    groups = config.default_groups()
    overrides = sweep_config.normalize_overrides(config.normalize_overrides(args, groups))
    config.check_group_choices(overrides, groups, manager.config_searchpath())

    import hydra

    sys.argv = ["harness train", *overrides]
    app = hydra.main(version_base=None, config_path="pkg://harness.conf", config_name="config")(
        task
    )
    code = 0
    try:
        app()
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
        if code == 1 and not _task_started:
            code = 2  # Hydra already printed the config error
    except KeyboardInterrupt:
        if sweep_callback.CURRENT is None:
            raise
        code = 130
    if sweep_callback.CURRENT is not None:  # a multirun: summarise the sweep
        from harness.cli.output import print_sweep_summary
        from harness.sweeps.summary import close_sweep

        code, result = close_sweep(sweep_callback.CURRENT, code)
        print()
        print_sweep_summary(result)
    return code

"""``harness train``: compose the config with Hydra and run the job.

This goes through ``@hydra.main`` (not the Compose API) so that every Hydra flag
(``--cfg``, ``--help``, ``-m``, launchers, sweepers) keeps its meaning.
"""

from __future__ import annotations

import os
import sys
from typing import Any

from harness.errors import HarnessError

FULL_ERROR_ENV = "HYDRA_FULL_ERROR"

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
    # Hydra prints a config error as 3-6 lines, unless HYDRA_FULL_ERROR=1 makes it
    # raise: set it here so the error comes back to us as an exception, and print one
    # line. A user's own HYDRA_FULL_ERROR=1 still gets Hydra's full text.
    full_error = os.environ.get(FULL_ERROR_ENV)
    os.environ[FULL_ERROR_ENV] = "1"
    try:
        app()
    except Exception as exc:
        if _task_started:
            raise  # not a config error: an internal bug keeps its traceback
        if full_error == "1":
            import traceback

            traceback.print_exc()  # what the user asked for, still exit 2
        else:
            print(f"harness: error: {hydra_error_line(exc)}", file=sys.stderr)
        code = 2
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
        if code == 1 and not _task_started:
            code = 2  # Hydra already printed the config error
    except KeyboardInterrupt:
        if sweep_callback.CURRENT is None:
            raise
        code = 130
    finally:
        if full_error is None:
            os.environ.pop(FULL_ERROR_ENV, None)
        else:
            os.environ[FULL_ERROR_ENV] = full_error
    if sweep_callback.CURRENT is not None:  # a multirun: summarise the sweep
        from harness.cli.output import print_sweep_summary
        from harness.sweeps.summary import close_sweep

        code, result = close_sweep(sweep_callback.CURRENT, code)
        print()
        print_sweep_summary(result)
    return code


def hydra_error_line(exc: BaseException) -> str:
    """Hydra's error (and OmegaConf's cause) as one line naming the key and the problem."""
    lines = [ln.strip() for ln in str(exc).splitlines() if ln.strip().strip("^")]
    if lines and lines[-1].endswith(":") is False and any(ln.endswith(":") for ln in lines):
        # "Available options in 'hydra/launcher':" followed by one option a line
        at = next(i for i, ln in enumerate(lines) if ln.endswith(":"))
        options = []
        for line in lines[at + 1 :]:
            if line.endswith(":"):  # "Config search path:" and what follows: noise here
                break
            options.append(line)
        lines[at] = lines[at] + " " + ", ".join(options)
        del lines[at + 1 :]
    if lines and lines[0].startswith("LexerNoViableAltException: "):
        lines[0] = "cannot parse the override " + lines[0].split(": ", 1)[1]
    head = lines[0].rstrip(".:") if lines else type(exc).__name__
    hints = [ln for ln in lines[1:] if ln.startswith("To append")]
    cause = exc.__cause__
    parts = [head]
    if cause is not None:
        cause_lines = [ln.strip() for ln in str(cause).splitlines() if ln.strip()]
        if cause_lines and cause_lines[0] not in head:
            parts.append(cause_lines[0])
    elif len(lines) > 1 and not lines[1].startswith(("See https://", "To append")):
        parts.append(lines[1])
    override = getattr(exc, "override", None)
    text = ": ".join(parts)
    if isinstance(override, str) and override and override not in text:
        text = f"{override}: {text}"
    if hints:
        text += f" ({hints[0][0].lower()}{hints[0][1:]})"
    return f"{text} (HYDRA_FULL_ERROR=1 shows Hydra's full message)"

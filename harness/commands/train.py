"""``harness train``: compose the config with Hydra and run the job.

This goes through ``@hydra.main`` (not the Compose API) so that every Hydra flag
(``--cfg``, ``--help``, ``-m``, launchers, sweepers) keeps its meaning. Hydra reads
the overrides from ``sys.argv`` and calls the task function with the composed config
only; everything else the task needs is on the session (``harness.job.session``).
"""

from __future__ import annotations

import io
import os
import re
import signal
import sys
from typing import Any

from harness.contract import early_worker, interrupts
from harness.errors import HarnessError
from harness.job import session


def task(cfg: Any) -> Any:
    current = session.ensure()  # a joblib worker of a multirun starts without one
    current.task_started = True
    _release_stderr(current)
    from hydra.core.hydra_config import HydraConfig
    from hydra.types import RunMode
    from omegaconf import OmegaConf

    from harness.cli import output as summary
    from harness.job import driver
    from harness.sweeps.job import run_sweep_job, sweep_options
    from harness.sweeps.store import current_sweep_id

    hydra_cfg = HydraConfig.get()
    # Unresolved: keep what the user typed (a `${datastore:...}` is resolved once, by the driver).
    overrides = [str(o) for o in OmegaConf.to_container(hydra_cfg.overrides.task, resolve=False)]
    single = hydra_cfg.mode == RunMode.RUN
    if not single:
        return run_sweep_job(
            cfg, overrides, current.argv, int(hydra_cfg.job.num), summary.print_outcome
        )
    # A single run started inside a sweep (a `harness bench` cell) joins that sweep.
    sweep_id = current_sweep_id()
    extra = sweep_options(cfg, sweep_id) if sweep_id else {}
    try:
        outcome = driver.run_job(cfg, overrides, current.argv, **extra)
    except HarnessError as exc:
        print(f"harness: error: {exc}", file=sys.stderr)
        raise SystemExit(exc.exit_code) from None
    summary.print_outcome(outcome)
    raise SystemExit(outcome.exit_code)


def main(args: list[str]) -> int:
    if args[:1] in (["-sc"], ["--shell-completion"]) and args[1:2] != ["query=bash"]:
        # Hydra's install script would complete `harness` as one Hydra app; ours
        # covers every command and asks Hydra about `train`'s overrides.
        from harness.cli import completion

        return completion.handle(args)
    current = session.start(["harness", "train", *args])
    # Ctrl-C at any point of the command is remembered even where Python swallows its
    # KeyboardInterrupt (harness.contract.interrupts): no run starts after it.
    with interrupts.recorded(signal.SIGINT):
        # The job's process starts now and imports its framework while Hydra composes.
        early_worker.start(args)
        try:
            return _compose_and_run(args, current)
        finally:
            early_worker.dismiss()  # a worker the run did not take (or no run)


def _compose_and_run(args: list[str], current: session.Session) -> int:
    from harness.contract.manager import get_plugin_manager
    from harness.job import config
    from harness.sweeps import config as sweep_config

    sweep_config.register()  # the sweep layer's `sweep` node and policy group
    config.register_schema()
    config.register_resolvers()
    current.app_active = True
    manager = get_plugin_manager()  # load plugins (and show their warnings) before composing
    groups = config.default_groups()
    from harness.envs.overrides import quote_environment_overrides

    args = quote_environment_overrides(args)  # [numpy<2] as typed, not Hydra-quoted
    from harness.job import override_syntax

    override_syntax.check(args)  # a malformed override: one line naming it and its key
    overrides = sweep_config.normalize_overrides(config.normalize_overrides(args, groups))
    typed = config.register_plugin_schemas(manager.config_schemas())
    config.check_group_choices(
        overrides, groups, manager.config_searchpath(), manager.why_missing, typed
    )

    import hydra

    # Hydra's own interface: @hydra.main parses sys.argv.
    sys.argv = ["harness train", *overrides]
    app = hydra.main(version_base=None, config_path="pkg://harness.conf", config_name="config")(
        task
    )
    code = 0
    # Until the task starts, Hydra's own messages are held back: a composition
    # error becomes one `harness: error:` line instead of Hydra's five.
    current.held_stderr = (sys.stderr, io.StringIO())
    sys.stderr = current.held_stderr[1]
    try:
        app()
        _release_stderr(current)
        if "--help" in args or "-h" in args:  # Hydra printed its part and returned
            _print_component_options(manager)
    except SystemExit as exc:
        held = _release_stderr(current)
        if exc.code in (0, None) and ("--help" in args or "-h" in args):
            _print_component_options(manager)
        code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
        if code == 1 and not current.task_started:
            code = 2  # a config error
        composing = not current.task_started and (current.sweep is None or held)
        if code == 2 and composing and not os.environ.get("HYDRA_FULL_ERROR"):
            # Hydra's message as one line (the sweep layer's own errors pass through)
            for line in held.splitlines():  # plugin warnings shown while composing
                if line.startswith("harness: warning"):
                    print(line, file=sys.stderr)
            print(f"harness: error: {_explained(held, overrides, manager)}", file=sys.stderr)
        elif held:  # (HYDRA_FULL_ERROR=1: Hydra's own report, traceback included)
            sys.stderr.write(held)
    except KeyboardInterrupt:
        if current.sweep is None:
            raise
        code = 130
    except Exception:
        # HYDRA_FULL_ERROR=1 makes Hydra raise instead of printing: show what was held
        # back and the full traceback (on the real stderr), still exit 2 for a config error
        held = _release_stderr(current)
        if held:
            sys.stderr.write(held)
        if current.task_started:
            raise
        import traceback

        traceback.print_exc()
        code = 2
    if current.sweep is not None:  # a multirun: summarise the sweep
        from harness.cli.output import print_sweep_summary
        from harness.sweeps.summary import close_sweep

        code, result = close_sweep(current.sweep, code)
        print()
        print_sweep_summary(result)
    return code


def _explained(held: str, overrides: list[str], manager: Any) -> str:
    """Hydra's message as one line; for a declared option, with its type and a fix."""
    from harness.cli.config_errors import explain

    try:
        return explain(held, overrides, manager) or one_line(held)
    except Exception:  # the plain line is still right; never hide the user's mistake
        return one_line(held)


def _print_component_options(manager: Any) -> None:
    from harness.cli.config_help import print_component_options

    print_component_options(manager)


def _release_stderr(current: session.Session) -> str:
    """Restore stderr; return what was held back (and show it when the task starts)."""
    text = current.release_stderr()
    if current.task_started and text:
        sys.stderr.write(text)
        return ""
    return text


_HYDRA_NOISE = re.compile(
    r"^(full_key:|object_type=|reference_type=|Set the environment variable HYDRA_FULL_ERROR)"
)


def one_line(text: str) -> str:
    """Hydra's multi-line composition error as one line (its key and its reason).

    Lines the harness itself printed (``harness: error: ...``) are kept as they are."""
    lines = [ln.strip() for ln in text.splitlines() if ln.strip()]
    ours = [ln.removeprefix("harness: error: ") for ln in lines if ln.startswith("harness: error:")]
    if ours:
        return ours[0]
    lines = [ln for ln in lines if not _HYDRA_NOISE.match(ln) and not ln.startswith("harness:")]
    if lines and lines[0].startswith("Error merging override "):
        return f"{lines[0].removeprefix('Error merging override ')}: {' '.join(lines[1:])}"
    return " ".join(lines) or "the config could not be composed"

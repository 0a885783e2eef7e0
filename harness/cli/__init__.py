"""The ``harness`` command: dispatches to one module per subcommand.

Kept free of heavy imports (no Hydra, no frameworks) so ``harness --help`` is fast;
each subcommand imports what it needs.
"""

from __future__ import annotations

import importlib
import sys

from harness.errors import HarnessError

#: subcommand → (module, one-line help). Modules expose ``main(args) -> int``.
COMMANDS: dict[str, tuple[str, str]] = {
    "train": ("harness.commands.train", "train a model (Hydra: every config key is overridable)"),
    "runs": (
        "harness.commands.runs",
        "run history: list, show, metrics, logs, cancel, compare, plot, ...",
    ),
    "models": ("harness.commands.models", "model registry: register, list, show, download"),
    "plugins": ("harness.commands.plugins", "installed plugins: list, show; new: scaffold one"),
    "datastore": (
        "harness.commands.datastore",
        "upload, list, download, verify data; add datastores",
    ),
    "sweeps": ("harness.commands.sweeps", "hyperparameter sweeps: list, show, best"),
    "bench": ("harness.commands.bench", "benchmark suites: run, compare, list"),
    "envs": (
        "harness.commands.envs",
        "Python environments for runs: create, list, show, build, delete, prune",
    ),
    "compat": (
        "harness.commands.compat",
        "Azure ML v1 layer: compat azureml --install/--uninstall",
    ),
    "ui": ("harness.commands.ui", "web dashboard of runs, sweeps and models, live (--open)"),
    "doctor": (
        "harness.commands.doctor",
        "check the workspace for damaged or stuck records; --fix repairs them",
    ),
}
#: Not in the table above: ``harness completion SHELL`` prints the completion script.

USAGE = """usage: harness COMMAND [ARGS...]

The Azure ML v1 estimator workflow on your own machine.

commands:
{commands}

examples:
  harness train                                   # scikit-learn on digits
  harness train estimator.C=0.5 experiment=tuning
  harness train --cfg job                         # show the composed config
  harness train -m estimator.C=0.1,1,10           # a sweep (Hydra multirun)
  harness runs list
  harness ui --open                               # the dashboard in a browser
  harness plugins list
  eval "$(harness completion bash)"               # Tab completion (bash, zsh, fish)

`harness COMMAND --help` gives each command's own help.
Workspace: $HARNESS_HOME, default ~/.harness
"""


def usage() -> str:
    width = max(len(name) for name in COMMANDS)
    lines = [f"  {name:<{width}}  {text}" for name, (_, text) in COMMANDS.items()]
    return USAGE.format(commands="\n".join(lines))


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else list(argv)
    if not args or args[0] in ("-h", "--help", "help"):
        print(usage())
        return 0
    if args[0] in ("-V", "--version"):
        from importlib.metadata import version

        print(f"harness {version('harness-ml')}")
        return 0
    name, rest = args[0], args[1:]
    if name in ("-sc", "--shell-completion", "completion"):
        from harness.cli import completion

        try:
            if name == "completion":
                sys.stdout.write(completion.script(rest[0] if rest else "bash"))
                return 0
            return completion.handle(args)
        except HarnessError as exc:
            print(f"harness: error: {exc}", file=sys.stderr)
            return exc.exit_code
    if name not in COMMANDS:
        print(
            f"harness: error: unknown command '{name}'. Commands: {', '.join(COMMANDS)}",
            file=sys.stderr,
        )
        return 2
    if name != "train":  # `harness train` has its own (harness/contract/interrupts.py)
        _interrupt_on_signals()
    try:
        module = importlib.import_module(COMMANDS[name][0])
        return int(module.main(rest) or 0)
    except HarnessError as exc:
        print(f"harness: error: {exc}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        print("harness: interrupted", file=sys.stderr)
        return 130
    except OSError as exc:
        import errno

        if exc.errno != errno.ENOSPC:
            raise
        # A full disk is no user mistake (exit 1), but it is no bug either: one line.
        where = exc.filename or "path unknown"
        print(f"harness: error: no space left on device ({where})", file=sys.stderr)
        return 1


def _raise_interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


def _interrupt_on_signals() -> None:
    """Ctrl-C and SIGTERM end a command as an interrupt: its cleanup runs (a transfer
    discards the file in flight and records the finished ones), exit 130. Also when
    SIGINT came ignored (a background job of a script: ``harness datastore upload &``
    then ``kill -INT``), which Python would otherwise keep ignoring."""
    import signal

    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, _raise_interrupt)


def entry() -> None:
    try:
        code = main()
        sys.stdout.flush()
    except BrokenPipeError:  # `harness ... | head`: the reader left; not an error
        import os

        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        code = 0
    sys.exit(code)


if __name__ == "__main__":
    entry()

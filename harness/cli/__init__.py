"""The ``harness`` command: dispatches to one module per subcommand.

Kept free of heavy imports (no Hydra, no frameworks) so ``harness --help`` is fast;
each subcommand imports what it needs.
"""

from __future__ import annotations

import importlib
import sys

from harness.errors import HarnessError
from harness.safetext import EscapingStream, clean

#: subcommand → (module, one-line help). Modules expose ``main(args) -> int``.
COMMANDS: dict[str, tuple[str, str]] = {
    "train": ("harness.commands.train", "train a model (Hydra: every config key is overridable)"),
    "runs": (
        "harness.commands.runs",
        "run history: list, show, metrics, logs, cancel, compare, plot, ...",
    ),
    "models": (
        "harness.commands.models",
        "model registry: register, list, show, download; serve as a web service",
    ),
    "plugins": ("harness.commands.plugins", "installed plugins: list, show; new: scaffold one"),
    "datastore": (
        "harness.commands.datastore",
        "upload, list, download, verify data; add datastores",
    ),
    "sweeps": ("harness.commands.sweeps", "hyperparameter sweeps: list, show, best"),
    "bench": ("harness.commands.bench", "benchmark suites: run, compare, list"),
    "services": (
        "harness.commands.services",
        "web services of models: list, show, logs, stop, delete",
    ),
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

USAGE = """usage: harness [-p no:PLUGIN | -p MODULE]... COMMAND [ARGS...]

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
-p no:PLUGIN leaves a plugin out of this command (and its jobs); -p MODULE loads a
module as a plugin (as pytest's -p; the same as HARNESS_DISABLE_PLUGINS/HARNESS_PLUGINS).
Workspace: $HARNESS_HOME, default ~/.harness
"""


def usage() -> str:
    width = max(len(name) for name in COMMANDS)
    lines = [f"  {name:<{width}}  {text}" for name, (_, text) in COMMANDS.items()]
    return USAGE.format(commands="\n".join(lines))


def plugin_options(args: list[str]) -> list[str]:
    """Apply the leading ``-p no:NAME`` / ``-p MODULE`` options (pytest's form) to this
    process's environment, which the command's jobs inherit; returns the rest.
    (After ``train``, ``-p`` is Hydra's ``--package``.)"""
    if not args or not args[0].startswith("-p"):
        return args  # (`harness --help` imports nothing more)
    import os

    from harness import envvars

    while args[:1] == ["-p"] or (args and args[0].startswith("-p") and args[0] != "-p"):
        if args[0] == "-p":
            if len(args) < 2 or not args[1].strip():
                raise HarnessError("-p needs a value: -p no:PLUGIN or -p MODULE")
            value, args = args[1].strip(), args[2:]
        else:
            value, args = args[0][2:].lstrip("=").strip(), args[1:]
        variable = envvars.DISABLE_PLUGINS if value.startswith("no:") else envvars.PLUGINS
        name = value.removeprefix("no:").strip()
        if not name:
            raise HarnessError(f"-p {value}: name a plugin (-p no:PLUGIN) or a module (-p MODULE)")
        names = [n for n in os.environ.get(variable, "").split(",") if n.strip()]
        os.environ[variable] = ",".join([*names, name])
    return args


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else list(argv)
    try:
        args = plugin_options(args)
    except HarnessError as exc:
        print(f"harness: error: {exc}", file=sys.stderr)
        return exc.exit_code
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
            print(f"harness: error: {clean(exc)}", file=sys.stderr)
            return exc.exit_code
    if name not in COMMANDS:
        print(
            f"harness: error: unknown command '{clean(name)}'. Commands: {', '.join(COMMANDS)}",
            file=sys.stderr,
        )
        return 2
    if name != "train":  # `harness train` has its own (harness/contract/interrupts.py)
        _interrupt_on_signals()
    try:
        module = importlib.import_module(COMMANDS[name][0])
        return int(module.main(rest) or 0)
    except HarnessError as exc:  # one line, whatever the message quotes
        print(f"harness: error: {clean(exc)}", file=sys.stderr)
        from harness.job import events  # the caller's copy, when it asked for one

        events.emit("refused", message=str(exc), exit_code=exc.exit_code)
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
    # Control characters that a run's data carries never reach the terminal raw
    # (harness.safetext); a job's live output goes to the streams' buffers as written.
    sys.stdout = EscapingStream(sys.stdout)
    sys.stderr = EscapingStream(sys.stderr)
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

"""Shell completion for every ``harness`` command.

``eval "$(harness completion bash)"`` (or ``harness train -sc install=bash``, Hydra's
own spelling) installs one bash/zsh function for the whole command; in fish,
``harness completion fish | source``. On each Tab it runs ``harness -sc query=SHELL``
with the line up to the cursor in ``COMP_LINE``; this module answers:
the command names, then each command group's actions and options (read from its
argparse parser), and for ``train`` Hydra's own completion of config groups and
keys (asked with the line that Hydra would see for a plain app).
"""

from __future__ import annotations

import argparse
import importlib
import os
import shlex
import sys

SHELLS = ("bash", "zsh", "fish")

SCRIPT = """\
_harness_completion()
{
    local choices word
    word="${COMP_WORDS[COMP_CWORD]}"
    choices=$(COMP_POINT=$COMP_POINT COMP_LINE=$COMP_LINE harness -sc query=bash 2>/dev/null)
    COMPREPLY=($(compgen -o nospace -o default -W "$choices" -- "$word"))
}
# `key=value` is one word for Hydra's overrides.
COMP_WORDBREAKS=${COMP_WORDBREAKS//=}
complete -o nospace -o default -F _harness_completion harness
"""

UNINSTALL = "complete -r harness 2>/dev/null; unset -f _harness_completion\n"

# fish filters the candidates by the word under the cursor itself; without -f it
# also offers file names, as bash's `-o default` does.
FISH_SCRIPT = """\
function __harness_complete
    set -lx COMP_LINE (commandline -cp)
    harness -sc query=fish 2>/dev/null | string split -n ' '
end
complete -c harness -e
complete -c harness -a '(__harness_complete)'
"""

FISH_UNINSTALL = "complete -c harness -e; functions -e __harness_complete\n"


def script(shell: str, action: str = "install") -> str:
    if shell not in SHELLS:
        raise_unknown_shell(shell)
    if shell == "fish":
        return FISH_UNINSTALL if action == "uninstall" else FISH_SCRIPT
    prefix = "autoload -U +X bashcompinit && bashcompinit\n" if shell == "zsh" else ""
    return UNINSTALL if action == "uninstall" else prefix + SCRIPT


def raise_unknown_shell(shell: str) -> None:
    from harness.errors import ConfigError

    raise ConfigError(f"no completion for the shell '{shell}'; choose one of {', '.join(SHELLS)}")


def handle(args: list[str]) -> int:
    """``-sc install=SHELL | uninstall=SHELL | query=SHELL`` (Hydra's flag, for every command)."""
    spec = args[1] if len(args) > 1 else ""
    action, _, shell = spec.partition("=")
    if action in ("install", "uninstall"):
        sys.stdout.write(script(shell or "bash", action))
        return 0
    from harness.errors import ConfigError

    if action == "query":
        if shell and shell not in SHELLS:
            raise_unknown_shell(shell)
        line = os.environ.get("COMP_LINE")
        if line is None:  # only the installed script calls this, with the line it completes
            raise ConfigError(
                f"-sc query={shell or 'bash'} answers the shell's completion script, which "
                "sets COMP_LINE; install the script with "
                f'`eval "$(harness completion {shell or "bash"})"`'
            )
        print(" ".join(query(line)))
        return 0

    raise ConfigError(
        f"-sc expects install=SHELL, uninstall=SHELL or query=SHELL, got '{spec}' "
        f"(shells: {', '.join(SHELLS)})"
    )


def query(line: str) -> list[str]:
    """Completions for the word under the cursor at the end of ``line``."""
    from harness.cli import COMMANDS

    try:
        words = shlex.split(line)
    except ValueError:  # an open quote
        words = line.split()
    if line.endswith(" ") or not words:
        words.append("")
    words = words[1:] or [""]  # the program name (an empty line has none)
    if len(words) <= 1:
        return [name for name in [*COMMANDS, "completion"] if name.startswith(words[0])]
    command, rest = words[0], words[1:]
    if command == "train":
        return _hydra_query(line)
    if command not in COMMANDS:
        return []
    module = importlib.import_module(COMMANDS[command][0])
    builder = getattr(module, "build_parser", None)
    if builder is None:
        return []
    return _argparse_words(builder(), rest)


def _argparse_words(parser: argparse.ArgumentParser, words: list[str]) -> list[str]:
    """The actions (subparsers) and options of the deepest parser ``words`` reach."""
    word = words[-1]
    for done in words[:-1]:
        sub = _subparsers(parser)
        if done in sub:
            parser = sub[done]
    options = [opt for action in parser._actions for opt in action.option_strings]
    choices = [*_subparsers(parser), *options]
    return [c for c in choices if c.startswith(word)]


def _subparsers(parser: argparse.ArgumentParser) -> dict[str, argparse.ArgumentParser]:
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            return dict(action.choices)
    return {}


def _hydra_query(line: str) -> list[str]:
    """Hydra's answer for ``harness train ...``: it strips one program word, so it
    is asked with ``harness`` in place of ``harness train``."""
    import contextlib
    import io

    from harness.commands import train
    from harness.job.config import normalize_overrides

    words = line.split()
    typed = words[2:] if line.endswith(" ") else words[2:-1]
    current = "" if line.endswith(" ") else words[-1]
    # `+estimator=x` and `estimator=x` alike, as `harness train` itself accepts them.
    env_line = os.environ.get("COMP_LINE")
    os.environ["COMP_LINE"] = " ".join(["harness", *normalize_overrides(typed), current])
    out = io.StringIO()
    try:
        with contextlib.redirect_stdout(out):
            train.main(["-sc", "query=bash"])
    except SystemExit:
        pass
    finally:
        if env_line is None:
            os.environ.pop("COMP_LINE", None)
        else:
            os.environ["COMP_LINE"] = env_line
    return out.getvalue().split()

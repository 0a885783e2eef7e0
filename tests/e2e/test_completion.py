"""Shell completion, exercised in a real bash: the script that
``harness completion bash`` and ``harness train -sc install=bash`` print is
sourced, and its completion function is called as bash calls it on Tab."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

from harness.testing import harness_executable, run_cli

pytestmark = pytest.mark.skipif(shutil.which("bash") is None, reason="needs bash")


def complete(script: str, line: str, home: Path) -> list[str]:
    """COMPREPLY for ``line`` (the cursor at its end), as bash computes it."""
    program = f"""
{script}
COMP_LINE={line!r}
COMP_POINT=${{#COMP_LINE}}
read -ra COMP_WORDS <<< "$COMP_LINE"
[[ "$COMP_LINE" == *" " ]] && COMP_WORDS+=("")
COMP_CWORD=$(( ${{#COMP_WORDS[@]}} - 1 ))
_harness_completion
printf '%s\\n' "${{COMPREPLY[@]}}"
"""
    env = {
        **os.environ,
        "HARNESS_HOME": str(home),
        "PATH": os.pathsep.join([str(Path(harness_executable()).parent), os.environ["PATH"]]),
    }
    proc = subprocess.run(
        ["bash", "-c", program], capture_output=True, text=True, env=env, timeout=300
    )
    assert proc.returncode == 0, proc.stderr
    return [w for w in proc.stdout.splitlines() if w]


@pytest.fixture(scope="module")
def script(tmp_path_factory):
    home = tmp_path_factory.mktemp("home")
    ours = run_cli("completion", "bash", home=home)
    assert ours.returncode == 0, ours.output
    via_hydra_flag = run_cli("train", "-sc", "install=bash", home=home)
    assert via_hydra_flag.returncode == 0, via_hydra_flag.output
    # `harness train -sc install=bash` used to print Hydra's script, whose queries
    # (`harness -sc query=bash`) failed with "unknown command '-sc'".
    assert via_hydra_flag.stdout == ours.stdout
    return ours.stdout


def test_commands_complete(script, tmp_path):
    assert complete(script, "harness ", tmp_path)[:7] == [
        "train", "runs", "models", "plugins", "datastore", "sweeps", "bench",
    ]  # fmt: skip
    assert complete(script, "harness mo", tmp_path) == ["models"]


def test_command_groups_complete_actions_and_options(script, tmp_path):
    assert {"list", "show", "cancel", "compare"} <= set(complete(script, "harness runs ", tmp_path))
    assert complete(script, "harness runs list --for", tmp_path) == ["--format"]
    assert complete(script, "harness plugins new x --k", tmp_path) == ["--kind"]
    assert "register" in complete(script, "harness models ", tmp_path)


def test_train_completes_hydra_groups_and_keys(script, tmp_path):
    assert complete(script, "harness train estimator=s", tmp_path) == [
        "estimator=script", "estimator=sklearn",
    ]  # fmt: skip
    assert "estimator.C=" in complete(
        script, "harness train +estimator=sklearn estimator.C", tmp_path
    )
    assert "bench" not in " ".join(complete(script, "harness train ", tmp_path))


def test_unknown_shell_is_a_clear_error(tmp_path):
    # (was "fish" until fish got its completion; any unsupported shell will do)
    result = run_cli("completion", "tcsh", home=tmp_path)
    assert result.returncode == 2 and "no completion for the shell 'tcsh'" in result.stderr
    assert "bash, zsh, fish" in result.stderr


def fish_complete(line: str, home: Path, cwd: Path) -> list[str]:
    """The candidates fish offers for ``line`` (cursor at its end), with the script of
    ``harness completion fish`` sourced: ``complete -C`` runs fish's own completion."""
    program = f"harness completion fish | source; complete -C {line!r}"
    env = {
        **os.environ,
        "HARNESS_HOME": str(home),
        "PATH": os.pathsep.join([str(Path(harness_executable()).parent), os.environ["PATH"]]),
    }
    proc = subprocess.run(
        ["fish", "--no-config", "-c", program], capture_output=True, text=True, env=env,
        cwd=cwd, timeout=300,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    return [w.split("\t")[0] for w in proc.stdout.splitlines() if w]


@pytest.mark.skipif(shutil.which("fish") is None, reason="needs fish (apt-get install fish)")
def test_fish_completes_commands_groups_and_train_overrides(tmp_path):
    home, cwd = tmp_path / "home", tmp_path / "cwd"
    cwd.mkdir()
    assert fish_complete("harness mo", home, cwd) == ["models"]
    assert fish_complete("harness runs list --for", home, cwd) == ["--format"]
    assert {"list", "show", "cancel"} <= set(fish_complete("harness runs ", home, cwd))
    assert fish_complete("harness train estimator=s", home, cwd) == [
        "estimator=script", "estimator=sklearn",
    ]  # fmt: skip
    assert "estimator.C=" in fish_complete(
        "harness train +estimator=sklearn estimator.C", home, cwd
    )
    removed = run_cli("train", "-sc", "uninstall=fish", home=home)
    assert removed.returncode == 0 and "complete -c harness -e" in removed.stdout


def test_train_help_does_not_list_bench_as_a_config_group(tmp_path):
    result = run_cli("train", "--help", home=tmp_path)
    assert result.returncode == 0, result.output
    groups = result.stdout.split("== Config ==")[0]
    assert "estimator:" in groups and "bench" not in groups

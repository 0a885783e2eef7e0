"""An environment without the azureml opt-in, whatever the opt-in state of the one
the tests run in (issue 23 §4: the suite must pass either way, and never change its
own environment)."""

from __future__ import annotations

import os
import subprocess
import sys
import sysconfig
from pathlib import Path

from harness import envvars
from harness.compat import SHIM_DIR
from harness.testing import CliResult


def layerless_environment(root: Path) -> Path:
    """A new venv at ``root`` that sees this environment's packages (its .pth files
    run, editable installs and the forgotten-opt-in hint included) but not the
    azureml layer's folder: what a user has before `harness compat azureml
    --install`, whatever the opt-in state of the environment the tests run in. The
    venv's own .pth files run after this one, so an opt-in into it still works."""
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(root)], check=True)
    python = root / "bin" / "python"
    purelib = subprocess.check_output(
        [str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"], text=True
    ).strip()
    parents = [p for p in sys.path if p.endswith("site-packages")] or [
        sysconfig.get_paths()["purelib"]
    ]
    # A module run by a .pth line: the parents' folders with their .pth files, then
    # the layer's folder taken out again, unless it was on sys.path before (PYTHONPATH).
    Path(purelib, "_harness_test_parent.py").write_text(
        "import site, sys\n"
        "before = set(sys.path)\n"
        f"for folder in {parents!r}:\n"
        "    site.addsitedir(folder)\n"
        f"SHIM = {str(SHIM_DIR)!r}\n"
        "sys.path[:] = [p for p in sys.path if p in before or p.rstrip('/') != SHIM]\n"
    )
    Path(purelib, "_harness_test_parent.pth").write_text("import _harness_test_parent\n")
    return python


def harness_in(python: Path, *args: str, home: Path, timeout: float = 600) -> CliResult:
    """``python -m harness ARGS``: the real command, run by another interpreter."""
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", envvars.JOB_SPEC)}
    env[envvars.HOME] = str(home)
    proc = subprocess.run(
        [str(python), "-m", "harness", *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=timeout,
    )
    return CliResult(proc.returncode, proc.stdout, proc.stderr)

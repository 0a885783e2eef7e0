"""The driver of ``harness train`` never imports a framework (issue 18).

scikit-learn alone cost 1.7 s before the run id appeared, and the job process
imported it again. Checks that need a framework run in the job
(``Estimator.validate_in_job``); the driver checks names, paths and numbers.
"""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

FRAMEWORKS = ("sklearn", "torch", "chainer", "mpi4py", "numpy", "scipy", "pandas")

DRIVER = f"""
import sys
FRAMEWORKS = {FRAMEWORKS!r}
from harness.cli import main
sys.argv = ["harness", "train", *sys.argv[1:]]
try:
    main()
    code = 0
except SystemExit as exc:
    code = exc.code
loaded = sorted(m for m in FRAMEWORKS if m in sys.modules)
print("driver imported:", ",".join(loaded) or "nothing")
sys.exit(code)
"""


@pytest.mark.slow
@pytest.mark.parametrize(
    "overrides",
    [
        [],  # sklearn, the embedded default
        ["+estimator=pytorch", "epochs=1", "estimator.threads=1", "estimator.device=cpu"],
        ["+estimator=chainer", "epochs=1"],
    ],
    ids=["sklearn", "pytorch", "chainer"],
)
def test_the_driver_imports_no_framework(home, overrides):
    proc = subprocess.run(
        [sys.executable, "-c", DRIVER, *overrides],
        capture_output=True,
        text=True,
        env={**os.environ, "HARNESS_HOME": str(home)},
        timeout=600,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "status: Completed" in proc.stdout
    assert "driver imported: nothing" in proc.stdout, proc.stdout


def test_a_config_error_found_in_the_job_is_exit_2_and_leaves_no_run(home):
    """scikit-learn checks its parameters in the job; the outcome is the same as a
    driver-side check: one line, exit 2, no Failed run left behind."""
    from harness.testing import run_cli

    result = run_cli("train", "estimator.max_iter=-5", home=home)
    assert result.returncode == 2, result.output
    lines = [ln for ln in result.stderr.splitlines() if ln.strip()]
    assert len(lines) == 1 and "estimator.max_iter" in lines[0], result.output
    assert "Traceback" not in result.stderr
    assert not (home / "runs").exists() or list((home / "runs").iterdir()) == []
    listed = run_cli("runs", "list", "--format", "json", home=home)
    assert listed.returncode == 0 and listed.json() == []

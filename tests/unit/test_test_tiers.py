"""What a test does when the machine lacks what its tier needs: skip with the reason
on a developer's machine, fail where HARNESS_TEST_REQUIRE says it must be there."""

from __future__ import annotations

import subprocess
import sys

import pytest

from harness.testing.requirements import KINDS, required

PROBE = """
from harness.testing.requirements import unavailable

def test_needs_a_cluster():
    unavailable("cluster", "no Slurm here")
"""


def run_probe(tmp_path, require: str | None) -> subprocess.CompletedProcess[str]:
    (tmp_path / "test_probe.py").write_text(PROBE)
    env = {"PATH": "/usr/bin:/bin"}
    if require is not None:
        env["HARNESS_TEST_REQUIRE"] = require
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-rs", "-p", "no:cacheprovider", "test_probe.py"],
        cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120,
    )  # fmt: skip


def test_without_the_requirement_it_skips_with_the_reason(tmp_path):
    result = run_probe(tmp_path, None)
    assert result.returncode == 0, result.stdout
    assert "1 skipped" in result.stdout and "no Slurm here" in result.stdout


@pytest.mark.parametrize("require", ["cluster", "browser,cluster,mpi", "all"])
def test_where_it_is_required_it_fails(tmp_path, require):
    result = run_probe(tmp_path, require)
    assert result.returncode == 1, result.stdout
    assert "1 failed" in result.stdout
    assert "cluster is required here (HARNESS_TEST_REQUIRE) but unavailable: no Slurm here" in (
        result.stdout
    )


def test_a_requirement_of_another_tier_changes_nothing(tmp_path):
    assert "1 skipped" in run_probe(tmp_path, "browser,mpi").stdout


def test_an_unknown_tier_is_a_mistake(monkeypatch):
    monkeypatch.setenv("HARNESS_TEST_REQUIRE", "cluster")
    assert required("cluster") and not required("gpu")
    with pytest.raises(ValueError, match="one of cluster, browser"):
        required("slurm")
    assert set(KINDS) == {"cluster", "browser", "mpi", "gpu", "tmpfs"}


def test_every_tier_is_a_registered_marker(pytestconfig):
    registered = {line.split(":")[0] for line in pytestconfig.getini("markers")}
    assert set(KINDS) | {"slow"} <= registered

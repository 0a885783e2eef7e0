"""What a test does when the machine lacks what its tier needs: skip with the reason
on a developer's machine, fail where HARNESS_TEST_REQUIRE says it must be there."""

from __future__ import annotations

import subprocess
import sys

import pytest

from harness.testing.requirements import KINDS, required, unavailable

PROBE = """
from harness.testing.requirements import unavailable

def test_needs_a_cluster():
    unavailable("cluster", "no Slurm here")
"""


def run_probe(tmp_path, require: str | None) -> subprocess.CompletedProcess[str]:
    (tmp_path / "test_probe.py").write_text(PROBE)
    env = {"PATH": "/usr/bin:/bin", "PYTEST_DISABLE_PLUGIN_AUTOLOAD": "1"}
    if require is not None:
        env["HARNESS_TEST_REQUIRE"] = require
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-rs", "-p", "no:cacheprovider", "test_probe.py"],
        cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120,
    )  # fmt: skip


def test_without_the_requirement_it_skips_with_the_reason(monkeypatch):
    monkeypatch.delenv("HARNESS_TEST_REQUIRE", raising=False)
    with pytest.raises(pytest.skip.Exception, match="no Slurm here"):
        unavailable("cluster", "no Slurm here")
    monkeypatch.setenv("HARNESS_TEST_REQUIRE", "browser,mpi")  # another tier's
    with pytest.raises(pytest.skip.Exception):
        unavailable("cluster", "no Slurm here")


@pytest.mark.parametrize("require", ["cluster", "browser,cluster,mpi", "all"])
def test_where_it_is_required_it_fails(monkeypatch, require):
    monkeypatch.setenv("HARNESS_TEST_REQUIRE", require)
    with pytest.raises(pytest.fail.Exception, match="cluster is required here"):
        unavailable("cluster", "no Slurm here")


def test_a_required_tier_fails_the_pytest_run(tmp_path):
    skipped, failed = run_probe(tmp_path, None), run_probe(tmp_path, "cluster")
    assert skipped.returncode == 0 and "1 skipped" in skipped.stdout, skipped.stdout
    assert failed.returncode == 1 and "1 failed" in failed.stdout, failed.stdout
    assert "cluster is required here (HARNESS_TEST_REQUIRE) but unavailable: no Slurm here" in (
        failed.stdout
    )


def test_an_unknown_tier_is_a_mistake(monkeypatch):
    monkeypatch.setenv("HARNESS_TEST_REQUIRE", "cluster")
    assert required("cluster") and not required("gpu")
    with pytest.raises(ValueError, match="one of cluster, browser"):
        required("slurm")
    assert set(KINDS) == {"cluster", "browser", "mpi", "gpu", "tmpfs"}


def test_every_tier_is_a_registered_marker(pytestconfig):
    registered = {line.split(":")[0] for line in pytestconfig.getini("markers")}
    assert set(KINDS) | {"slow"} <= registered

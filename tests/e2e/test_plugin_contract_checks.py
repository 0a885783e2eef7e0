"""What the harness checks about a plugin's answers: a broken answer ends the run
``Failed`` with a message naming the plugin, its distribution and the contract it
broke; it never crashes the driver or leaves a run ``Running``."""

from __future__ import annotations

import os

import pytest

from harness.testing import run_cli
from harness.testing.plugin_site import write_plugin_site

BAD_LAUNCH = """
from harness import Compute, hookimpl

class BadLaunchCompute(Compute):
    def launch(self, job):
        return 0  # the contract says JobResult

@hookimpl
def harness_register_computes(register):
    register("badlaunch", BadLaunchCompute)

@hookimpl
def harness_config_searchpath():
    return ["pkg://harness_badlaunch.conf"]
"""


def site_env(site) -> dict[str, str]:
    return {"PYTHONPATH": os.pathsep.join(filter(None, [str(site), os.environ.get("PYTHONPATH")]))}


@pytest.fixture(scope="module")
def bad_launch_env(tmp_path_factory):
    site = write_plugin_site(
        tmp_path_factory.mktemp("site"),
        "harness_badlaunch",
        BAD_LAUNCH,
        {"compute/badlaunch.yaml": "name: badlaunch\n"},
        name="badlaunch",
    )
    return site_env(site)


def test_a_launch_that_returns_the_wrong_type_fails_the_run_naming_the_plugin(
    tmp_path, bad_launch_env
):
    result = run_cli("train", "compute=badlaunch", home=tmp_path, env=bad_launch_env)
    assert result.returncode == 1, result.output
    assert "Traceback" not in result.stderr, result.stderr
    expected = (
        "compute 'badlaunch' of plugin 'badlaunch' (harness-badlaunch 0.1) broke the plugin "
        "contract: Compute.launch returned int 0, not a JobResult"
    )
    assert expected in result.stderr, result.stderr
    record = run_cli("runs", "show", result.run_id, "--format", "json", home=tmp_path).json()
    assert record["status"] == "Failed"
    assert record["error"] == expected

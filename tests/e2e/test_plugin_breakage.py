"""Plugins that break in the usual ways: one clear line naming the plugin and its
distribution, and everything else keeps working. The broken plugins are real
entry points of a pip-installed distribution (tests/e2e/plugin_packages/)."""

from __future__ import annotations

import re

import pytest
from pip_packages import BROKEN, installed

from harness.testing import run_cli

DIST = "(harness-broken-plugins 0.1.0)"
BROKEN_NAMES = ("nowhere", "needs-lib", "lazy-lib", "bad-hook", "twin-a", "twin-b", "clash")


@pytest.fixture(scope="module", autouse=True)
def broken_installed(tmp_path_factory):
    with installed({"harness-broken-plugins": BROKEN}, tmp_path_factory.mktemp("pkgs")):
        yield


@pytest.fixture(scope="module")
def listing(tmp_path_factory):
    home = tmp_path_factory.mktemp("home")
    result = run_cli("plugins", "list", "--format", "json", home=home)
    assert result.returncode == 0, result.output
    return result


def warning_about(result, plugin: str) -> str:
    lines = [
        line
        for line in result.stderr.splitlines()
        if line.startswith("harness: warning:") and f"plugin '{plugin}' {DIST}" in line
    ]
    assert lines, f"no warning naming plugin '{plugin}' {DIST}\n{result.stderr}"
    return "\n".join(lines)


def test_import_error_names_the_plugin(listing):
    line = warning_about(listing, "nowhere")
    assert "failed to load: ModuleNotFoundError: No module named 'harness_broken.nowhere'" in line
    plugin = {p["name"]: p for p in listing.json()}["nowhere"]
    assert plugin["status"] == "failed" and "harness_broken.nowhere" in plugin["error"]


def test_missing_dependency_says_what_is_missing(listing):
    line = warning_about(listing, "needs-lib")
    assert "needs the module 'harness_missing_lib_for_tests', which is not installed" in line
    assert "HARNESS_DISABLE_PLUGINS=needs-lib" in line
    lazy = warning_about(listing, "lazy-lib")
    assert "failed in harness_register_estimators" in lazy
    assert "'harness_missing_lib_for_tests'" in lazy
    plugins = {p["name"]: p for p in listing.json()}
    assert plugins["needs-lib"]["status"] == "failed"
    # A failing hook takes the plugin out of the command, as a failed import does.
    assert plugins["lazy-lib"]["status"] == "failed" and plugins["lazy-lib"]["components"] == {}
    assert "'harness_missing_lib_for_tests'" in plugins["lazy-lib"]["error"]


def test_wrong_hook_argument_is_rejected_by_pluggy(listing):
    line = warning_about(listing, "bad-hook")
    assert "is invalid" in line and "registr" in line and "harness_register_estimators" in line
    assert {p["name"]: p for p in listing.json()}["bad-hook"]["status"] == "failed"


def test_duplicate_component_names_both_plugins(tmp_path, listing):
    match = re.search(
        r"estimator 'twin' is registered by both plugin '(twin-[ab])' .* and plugin '(twin-[ab])'",
        listing.stderr,
    )
    assert match, listing.stderr
    kept, ignored = match.groups()
    assert kept != ignored
    assert f"HARNESS_DISABLE_PLUGINS={ignored}" in listing.stderr
    # The message says which one is used: check it is.
    result = run_cli("train", "+estimator=twin", home=tmp_path)
    assert result.returncode == 0, result.output
    shown = run_cli("runs", "show", result.run_id, "--format", "json", home=tmp_path).json()
    assert shown["metrics"]["twin_origin"] == {"twin-a": 1, "twin-b": 2}[kept]


def test_config_group_clash_names_both_plugins(tmp_path, listing):
    match = re.search(
        r"config option 'estimator/twin' of plugin '(\S+)' \S+ \S+ clashes with the one of "
        r"plugin '(\S+)' .*`estimator=twin` composes plugin '(\S+)'s file",
        listing.stderr,
    )
    assert match, listing.stderr
    second, first, used = match.groups()
    assert {second, first} == {"twin-a", "clash"} and used == first
    # The message says whose file Hydra composes: check it does.
    composed = run_cli("train", "+estimator=twin", "--cfg", "job", home=tmp_path)
    assert composed.returncode == 0, composed.output
    assert f"origin: {first}" in composed.stdout


def test_the_rest_keeps_working(tmp_path, listing):
    names = {p["name"] for p in listing.json()}
    assert {"sklearn", "local", "loggers", *BROKEN_NAMES} <= names
    result = run_cli("train", "estimator.data.format=iris", home=tmp_path)
    assert result.returncode == 0, result.output
    assert "status: Completed" in result.stdout
    # Each problem is said once per command, not once per hook call.
    warnings = [ln for ln in result.stderr.splitlines() if ln.startswith("harness: warning:")]
    assert len(warnings) == len(set(warnings)) == 6, result.stderr


def test_show_explains_a_failed_plugin(tmp_path):
    result = run_cli("plugins", "show", "needs-lib", home=tmp_path)
    assert result.returncode == 0, result.output
    assert (
        "status:        failed (it needs the module 'harness_missing_lib_for_tests'"
        in result.stdout
    )


def test_disabling_the_broken_plugins_silences_them(tmp_path):
    result = run_cli(
        "plugins", "list", home=tmp_path, env={"HARNESS_DISABLE_PLUGINS": ",".join(BROKEN_NAMES)}
    )
    assert result.returncode == 0, result.output
    assert "warning" not in result.stderr, result.stderr

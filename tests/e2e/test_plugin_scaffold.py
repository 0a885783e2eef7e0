"""`harness plugins new`: the package it writes installs, trains and passes its own test."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from pip_packages import installed, pytest_passed

from harness.testing import run_cli

KINDS = {"estimator": "ridge", "compute": "plain", "logger": "eventlog", "datastore": "folder"}


def test_new_writes_a_complete_package(tmp_path):
    result = run_cli("plugins", "new", "xgboost", "--kind", "estimator", "--dir", str(tmp_path))
    assert result.returncode == 0, result.output
    root = tmp_path / "harness-xgboost"
    files = sorted(str(p.relative_to(root)) for p in root.rglob("*") if p.is_file())
    assert files == [
        "README.md",
        "harness_xgboost/__init__.py",
        "harness_xgboost/config.py",
        "harness_xgboost/estimator.py",
        "pyproject.toml",
        "tests/test_harness_xgboost.py",
    ]
    pyproject = (root / "pyproject.toml").read_text()
    assert '[project.entry-points.harness]\nxgboost = "harness_xgboost"' in pyproject
    assert 'name = "harness-xgboost"' in pyproject
    assert (
        "@hookimpl\ndef harness_register_estimators(register):"
        in (root / "harness_xgboost" / "__init__.py").read_text()
    )
    assert "harness plugins show xgboost" in result.stdout


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (["Bad Name", "--kind", "logger"], "plugin name 'Bad Name'"),
        (["ok", "--kind", "nope"], "invalid choice: 'nope'"),
    ],
)
def test_new_rejects_bad_input(tmp_path, args, needle):
    result = run_cli("plugins", "new", *args, "--dir", str(tmp_path))
    assert result.returncode == 2, result.output
    assert needle in result.stderr and "Traceback" not in result.stderr
    assert list(tmp_path.iterdir()) == []


def test_new_never_overwrites(tmp_path):
    target = tmp_path / "harness-mine"
    target.mkdir()
    (target / "notes.txt").write_text("mine")
    result = run_cli("plugins", "new", "mine", "--kind", "logger", "--dir", str(tmp_path))
    assert result.returncode == 2, result.output
    assert "already exists and is not empty" in result.stderr
    assert [p.name for p in target.iterdir()] == ["notes.txt"]


@pytest.mark.slow
def test_scaffolded_plugins_install_train_and_pass_their_own_tests(tmp_path, home):
    made = tmp_path / "made"
    for kind, name in KINDS.items():
        result = run_cli("plugins", "new", name, "--kind", kind, "--dir", str(made))
        assert result.returncode == 0, result.output
    sources = {f"harness-{name}": made / f"harness-{name}" for name in KINDS.values()}
    with installed(sources, tmp_path / "build"):
        listing = run_cli("plugins", "list", "--format", "json", home=home)
        assert listing.returncode == 0 and "warning" not in listing.stderr, listing.output
        plugins = {p["name"]: p for p in listing.json()}
        for kind, name in KINDS.items():
            assert plugins[name]["components"] == {kind: [name]}
            assert plugins[name]["distribution"] == f"harness-{name}"
            # Datastores are configured in the workspace, not in a config group.
            assert plugins[name]["config_groups"] == ({} if kind == "datastore" else {kind: [name]})

        result = run_cli(
            "train", "+estimator=ridge", "estimator.alpha=0.5", "compute=plain", "+logger=eventlog",
            home=home,
        )  # fmt: skip
        assert result.returncode == 0, result.output
        run = run_cli("runs", "show", result.run_id, "--format", "json", home=home).json()
        assert run["status"] == "Completed"
        assert (run["estimator"], run["compute"]) == ("ridge", "plain")
        assert run["params"]["estimator"]["alpha"] == 0.5
        assert run["metrics"]["accuracy"] > 0.8
        assert "outputs/model.joblib" in run["files"]
        events = (Path(run["path"]) / "eventlog" / "events.jsonl").read_text().splitlines()
        assert '"event": "finish", "status": "Completed"' in events[-1]

        store = tmp_path / "folder-store"
        added = run_cli(
            "datastore", "add", "mine", f"folder://{store}", "--type", "folder", home=home
        )
        assert added.returncode == 0, added.output
        data = tmp_path / "data"
        data.mkdir()
        (data / "x.csv").write_text("a,y\n1,0\n")
        up = run_cli(
            "datastore", "upload", str(data), "-t", "t", "-d", "mine", "--no-progress", home=home
        )
        assert up.returncode == 0, up.output
        assert (store / "t" / "x.csv").read_text() == "a,y\n1,0\n"

        # What the author runs next: the generated tests, untouched.
        proc = subprocess.run(
            [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider",
             *(str(path / "tests") for path in sources.values())],
            cwd=made, env={**os.environ, "HARNESS_HOME": str(home)},
            capture_output=True, text=True, timeout=600,
        )  # fmt: skip
        assert proc.returncode == 0, proc.stdout[-4000:] + proc.stderr[-2000:]
        assert pytest_passed(proc.stdout), proc.stdout[-2000:]

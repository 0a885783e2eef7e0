"""Start-up guard: what ``harness --help`` and ``harness train --cfg job`` import.

Counted with ``python -X importtime`` (see harness.testing.imports): no timing is
asserted; benchmarks/bench_imports.py records the counts against the code before
the renovation."""

from __future__ import annotations

from harness.testing.imports import FRAMEWORKS, imported_modules, top_level


def test_help_imports_no_hydra_no_plugins_no_frameworks(tmp_path):
    modules = imported_modules(["--help"], env={"HARNESS_HOME": str(tmp_path)})
    roots = top_level(modules)
    assert not roots & {"hydra", "omegaconf", "pluggy", "rich", *FRAMEWORKS}, sorted(roots)
    harness = sorted(m for m in modules if m.startswith("harness"))
    # harness.safetext: the escaping stdout/stderr every command prints through (a leaf, `re` only)
    assert harness == ["harness", "harness.cli", "harness.errors", "harness.safetext"], harness


def test_train_cfg_job_imports_no_framework_and_no_run_machinery(tmp_path):
    modules = imported_modules(["train", "--cfg", "job"], env={"HARNESS_HOME": str(tmp_path)})
    roots = top_level(modules)
    assert not roots & set(FRAMEWORKS), sorted(roots & set(FRAMEWORKS))
    # Composing a config starts no run: no driver, worker, run store, supervision,
    # sweep watch, and no built-in plugin beyond its hookimpl module.
    for name in (
        "harness.job.driver",
        "harness.worker",
        "harness.run.store",
        "harness.contract.supervise",
        "harness.sweeps.watch",
        "harness.plugins.pytorch.estimator",
        "harness.plugins.sklearn.estimator",
    ):
        assert name not in modules, f"{name} imported by `harness train --cfg job`"


def test_train_cfg_job_imports_neither_optuna_nor_ray(tmp_path):
    # Hydra imports every hydra_plugins module while it scans for plugins: the
    # harness's Optuna sweeper and Ray launcher must import their libraries only
    # when a sweep runs (optuna alone took seconds here).
    modules = imported_modules(["train", "--cfg", "job"], env={"HARNESS_HOME": str(tmp_path)})
    roots = top_level(modules)
    assert not roots & {"optuna", "ray", "sqlalchemy"}, sorted(roots & {"optuna", "ray"})

"""`harness bench` through the real command: the CI suite end to end, compare, errors.

The CI suite runs once per module (about a minute and a half on 2 cores); the tests
below read what it wrote.
"""

from __future__ import annotations

import copy
import json

import pytest

from harness.testing import run_cli


@pytest.fixture(scope="module")
def ci_bench(tmp_path_factory):
    home = tmp_path_factory.mktemp("bench-home")
    out = tmp_path_factory.mktemp("bench-out") / "ci"
    result = run_cli("bench", "run", "ci", "--out", str(out), home=home, timeout=600)
    return home, out, result


def installed_estimators(home):
    listed = run_cli("plugins", "list", "--format", "json", home=home).json()
    return {name for plugin in listed for name in plugin["components"].get("estimator", [])}


@pytest.mark.slow
def test_ci_suite_runs_every_cell_and_writes_the_table(ci_bench):
    home, out, result = ci_bench
    assert result.returncode == 0, result.output
    doc = json.loads((out / "results.json").read_text())
    keys = [cell["key"] for cell in doc["cells"]]
    # Every estimator on every dataset (sklearn on the images through a flattened npz).
    for estimator in ("sklearn", "pytorch", "chainer"):
        for dataset in ("digits", "mnist", "cifar10"):
            assert f"{estimator}/{dataset}/default" in keys
    assert f"[1/{len(keys)}] sklearn/digits/default: harness train +estimator=sklearn" in (
        result.stdout
    )
    ran = [cell for cell in doc["cells"] if cell["status"] != "Skipped"]
    assert {cell["estimator"] for cell in ran} >= {"sklearn", "chainer"}
    for cell in doc["cells"]:
        if cell["status"] == "Skipped":  # only an estimator whose plugin is not installed
            assert cell["estimator"] not in installed_estimators(home), cell
            continue
        assert cell["status"] == "Completed", cell
        assert 0.0 <= cell["final_accuracy"] <= 1.0
        assert cell["throughput_samples_per_s"] > 0
        assert cell["peak_rss_mb"] > 10  # a Python process with numpy loaded
        assert cell["wall_s"] > 0
        assert cell["curve"] and cell["curve"][-1][1] == cell["final_accuracy"]
        if cell["estimator"] == "pytorch" and doc["machine"]["gpu"]:
            assert cell["gpu_peak_mb"] > 0  # device=auto picked the GPU
        else:
            assert cell["gpu_peak_mb"] is None
        reached = [t for t, acc in cell["curve"] if acc >= doc["target_accuracy"]]
        assert cell["time_to_target_s"] == (reached[0] if reached else None)
    markdown = (out / "results.md").read_text()
    assert "| cell | status | final accuracy | time to target (s) |" in markdown
    assert "sklearn/mnist/default" in markdown
    assert "accuracy_vs_time.png" in result.stdout


@pytest.mark.slow
def test_ci_suite_plot_is_a_png_that_decodes(ci_bench):
    import matplotlib.image

    _, out, _ = ci_bench
    image = matplotlib.image.imread(out / "accuracy_vs_time.png")
    assert image.ndim == 3 and image.shape[0] > 200 and image.shape[1] > 300
    assert image.std() > 0.01  # not a blank canvas


@pytest.mark.slow
def test_every_cell_is_a_run_in_history_linked_to_the_sweep(ci_bench):
    home, out, _ = ci_bench
    doc = json.loads((out / "results.json").read_text())
    listed = run_cli("runs", "list", "--format", "json", home=home)
    assert listed.returncode == 0, listed.output
    runs = {run["id"]: run for run in listed.json()}
    ran = [cell for cell in doc["cells"] if cell["status"] != "Skipped"]
    assert len(runs) == len(ran)
    for cell in ran:
        run = runs[cell["run_id"]]
        assert run["sweep_id"] == doc["sweep_id"]
        assert run["experiment"] == "bench-ci"
        assert run["tags"] == {"bench": doc["id"], "bench_cell": cell["key"]}
        assert run["system"]["peak_rss_mb"] == cell["peak_rss_mb"]


@pytest.mark.slow
def test_the_sweep_record_lists_every_cell_run(ci_bench):
    import importlib.util

    home, out, _ = ci_bench
    doc = json.loads((out / "results.json").read_text())
    if importlib.util.find_spec("harness.sweeps") is None:
        assert doc["sweep_record"] is False and doc["sweep_id"] == f"bench-{doc['id']}"
        return
    assert doc["sweep_record"] is True
    shown = run_cli("sweeps", "show", doc["sweep_id"], "--format", "json", home=home)
    assert shown.returncode == 0, shown.output
    text = shown.stdout
    for cell in doc["cells"]:
        if cell["run_id"]:
            assert cell["run_id"] in text


@pytest.mark.slow
def test_compare_passes_identical_results_and_flags_an_injected_regression(ci_bench, tmp_path):
    _, out, _ = ci_bench
    before = out / "results.json"
    same = run_cli("bench", "compare", str(before), str(before))
    assert same.returncode == 0, same.output
    assert "no regression" in same.stdout

    doc = json.loads(before.read_text())
    worse = copy.deepcopy(doc)
    cell = next(c for c in worse["cells"] if c["status"] == "Completed")
    cell["final_accuracy"] *= 0.8
    cell["peak_rss_mb"] *= 1.5
    after = tmp_path / "after.json"
    after.write_text(json.dumps(worse))
    flagged = run_cli("bench", "compare", str(before), str(after), "--format", "json")
    assert flagged.returncode == 1, flagged.output
    report = flagged.json()
    bad = {(row["cell"], row["metric"]) for row in report["rows"] if row["regression"]}
    assert bad == {(cell["key"], "final_accuracy"), (cell["key"], "peak_rss_mb")}
    # Below the threshold it is not a regression.
    loose = run_cli("bench", "compare", str(before), str(after), "--threshold", "0.6")
    assert loose.returncode == 0, loose.output


def test_unknown_suite_exits_2_listing_the_suites(home):
    result = run_cli("bench", "run", "no_such_suite", home=home)
    assert result.returncode == 2
    assert "unknown suite 'no_such_suite'" in result.stderr
    assert "ci" in result.stderr and "default" in result.stderr
    assert "Traceback" not in result.stderr
    assert not (home / "runs").exists()


def test_bad_suite_file_and_bad_compare_input_exit_2(home, tmp_path):
    suite = tmp_path / "mine.yaml"
    suite.write_text(
        "target_accuracy: 0.9\ndatasets: {x: {format: svhn}}\nestimators: {sklearn: {}}\n"
    )
    result = run_cli("bench", "run", str(suite), home=home)
    assert result.returncode == 2
    assert "dataset format 'svhn'" in result.stderr and "Traceback" not in result.stderr

    missing = run_cli("bench", "compare", str(tmp_path / "a.json"), str(tmp_path / "b.json"))
    assert missing.returncode == 2 and "no result file" in missing.stderr
    other = tmp_path / "other.json"
    other.write_text("{}")
    wrong = run_cli("bench", "compare", str(other), str(other))
    assert wrong.returncode == 2 and "not a `harness bench run` result" in wrong.stderr


def test_bench_list_shows_the_builtin_suites(home):
    result = run_cli("bench", "list", home=home)
    assert result.returncode == 0, result.output
    assert "ci" in result.stdout and "default" in result.stdout


@pytest.mark.slow
def test_ctrl_c_cancels_the_running_cell_and_keeps_the_cells_so_far(home, tmp_path):
    import os
    import signal
    import subprocess
    import time

    from harness.testing import harness_executable

    # A suite of the user's own (by path): a quick cell, then one that would run long.
    suite = tmp_path / "long.yaml"
    suite.write_text(
        "target_accuracy: 0.9\n"
        "datasets: {digits: {format: digits}}\n"
        "estimators:\n"
        "  sklearn: {overrides: [+estimator=sklearn]}\n"
        "  chainer: {overrides: [+estimator=chainer, epochs=500, estimator.model.n_units=16]}\n"
    )
    out = tmp_path / "out"
    env = {**os.environ, "HARNESS_HOME": str(home)}
    env.pop("HARNESS_JOB_SPEC", None)
    proc = subprocess.Popen(
        [harness_executable(), "bench", "run", str(suite), "--out", str(out)],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,  # a terminal's Ctrl-C reaches the whole process group
        # Under a background shell SIGINT is ignored, and that is inherited: undo it.
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )
    # Wait until the long cell has logged an epoch, then press "Ctrl-C".
    deadline = time.monotonic() + 300
    runs = home / "runs"
    while time.monotonic() < deadline:
        folders = sorted(runs.glob("*")) if runs.is_dir() else []
        if len(folders) == 2 and any((folders[1] / "metrics").glob("*.jsonl")):
            break
        time.sleep(0.2)
    os.killpg(proc.pid, signal.SIGINT)
    output, _ = proc.communicate(timeout=120)
    assert proc.returncode == 130, output
    doc = json.loads((out / "results.json").read_text())
    assert doc["interrupted"] is True
    assert [c["status"] for c in doc["cells"]] == ["Completed", "Canceled"], output
    shown = run_cli("runs", "show", doc["cells"][1]["run_id"], "--format", "json", home=home)
    assert shown.json()["status"] == "Canceled"
    assert "Interrupted" in (out / "results.md").read_text()

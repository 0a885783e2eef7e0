"""The core workflow through the real `harness` command in a subprocess."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time

import pytest

from harness.testing import SLOW_SKLEARN_JOB, harness_executable, job_processes, run_cli


def show(run_id, home):
    result = run_cli("runs", "show", run_id, "--format", "json", home=home)
    assert result.returncode == 0, result.output
    return result.json()


def test_default_train_trains_and_records_everything(home, tmp_path):
    elsewhere = tmp_path / "some" / "other" / "dir"
    elsewhere.mkdir(parents=True)
    result = run_cli("train", home=home, cwd=elsewhere)
    assert result.returncode == 0, result.output
    run_id = result.run_id
    assert f"run folder: {home / 'runs' / run_id}" in result.stdout
    assert "accuracy=" in result.stdout

    data = show(run_id, home)
    assert data["status"] == "Completed"
    assert data["experiment"] == "default"
    assert data["estimator"] == "sklearn" and data["compute"] == "local"
    assert data["metrics"]["accuracy"] >= 0.9
    assert data["params"]["estimator"]["model"]["_target_"].endswith("LogisticRegression")
    assert data["history"]["accuracy"][0]["step"] == 0
    assert {"outputs/model.joblib", "logs/stdout.txt", "logs/stderr.txt"} <= set(data["files"])
    provenance = data["provenance"]
    assert provenance["packages"]["scikit-learn"] and provenance["python"]
    assert provenance["command"] == ["harness", "train"]
    # Hydra wrote nothing into the user's directory.
    assert list(elsewhere.iterdir()) == []


@pytest.mark.parametrize("spelling", ["+estimator=sklearn", "estimator=sklearn"])
def test_both_group_spellings_work(home, spelling):
    result = run_cli("train", spelling, "estimator.C=0.5", "experiment=spell", home=home)
    assert result.returncode == 0, result.output
    data = show(result.run_id, home)
    assert data["params"]["estimator"]["C"] == 0.5
    assert data["experiment"] == "spell"
    assert spelling.lstrip("+") in data["overrides"] or spelling in data["overrides"]


def test_hydra_flags_keep_their_meaning(home):
    job = run_cli("train", "--cfg", "job", "estimator.C=2", home=home)
    assert job.returncode == 0, job.output
    assert "name: sklearn" in job.stdout and "C: 2" in job.stdout
    helped = run_cli("train", "--help", home=home)
    # The groups line lists every installed estimator (`estimator: script, sklearn`).
    groups = [ln for ln in helped.stdout.splitlines() if ln.startswith("estimator: ")]
    assert helped.returncode == 0 and groups and "sklearn" in groups[0], helped.stdout
    assert not (home / "runs").exists() or list((home / "runs").iterdir()) == []


def test_multirun_makes_one_run_per_combination(home):
    result = run_cli("train", "-m", "estimator.C=0.1,1", home=home)
    assert result.returncode == 0, result.output
    runs = run_cli("runs", "list", "--format", "json", home=home).json()
    assert sorted(r["id"] for r in runs) == sorted(
        line.split(":", 1)[1].strip()
        for line in result.stdout.splitlines()
        if line.startswith("run id:")
    )
    assert len(runs) == 2
    assert sorted(show(r["id"], home)["params"]["estimator"]["C"] for r in runs) == [0.1, 1.0]


def test_plugins_list_shows_builtins(home):
    result = run_cli("plugins", "list", "--format", "json", home=home)
    assert result.returncode == 0, result.output
    plugins = {p["name"]: p for p in result.json()}
    assert plugins["sklearn"]["kinds"] == ["estimator"]
    assert plugins["local"]["components"] == {"compute": ["local"]}
    assert plugins["loggers"]["distribution"] == "harness-ml"
    assert plugins["loggers"]["version"]
    table = run_cli("plugins", "list", home=home)
    assert table.returncode == 0 and "sklearn" in table.stdout and "harness-ml" in table.stdout


def test_runs_list_json_format(home):
    run_id = run_cli("train", "experiment=listing", home=home).run_id
    runs = run_cli("runs", "list", "--format", "json", home=home).json()
    assert len(runs) == 1
    item = runs[0]
    assert {"id", "experiment", "status", "estimator", "created", "metrics"} <= set(item)
    assert item["id"] == run_id and item["experiment"] == "listing"
    assert item["metrics"]["accuracy"] >= 0.9
    filtered = run_cli(
        "runs", "list", "--format", "json", "--experiment", "other", home=home
    ).json()
    assert filtered == []
    table = run_cli("runs", "list", home=home)
    assert run_id in table.stdout


@pytest.mark.parametrize(
    ("override", "needles"),
    [
        ("+estimator=nope", ["unknown estimator 'nope'", "sklearn"]),
        ("compute=nope", ["unknown compute 'nope'", "local"]),
        ("logger=[console,nope]", ["unknown logger 'nope'", "console"]),
        ("lr=abc", ["lr", "Float"]),
        ("estimator.C=-1", ["estimator.C", "float"]),
        ("estimator.data.path=/does/not/exist.csv", ["/does/not/exist.csv"]),
    ],
)
def test_bad_input_is_one_clear_error_exit_2(home, override, needles):
    result = run_cli("train", override, home=home)
    assert result.returncode == 2, result.output
    assert "Traceback" not in result.stderr
    for needle in needles:
        assert needle in result.stderr, result.output
    assert not (home / "runs").exists() or list((home / "runs").iterdir()) == []


def test_failing_job_is_failed_exit_1_with_traceback_and_metrics_kept(home, tmp_path):
    one_class = tmp_path / "one_class.csv"
    one_class.write_text("a,b,y\n1,2,0\n3,4,0\n5,6,0\n7,8,0\n")
    result = run_cli(
        "train", f"estimator.data.path={one_class}", "estimator.data.test_size=0.5", home=home
    )
    assert result.returncode == 1, result.output
    data = show(result.run_id, home)
    assert data["status"] == "Failed"
    assert "only one class" in data["error"]
    run_dir = home / "runs" / result.run_id
    assert "Traceback" in (run_dir / "logs" / "stderr.txt").read_text()
    assert data["metrics"]["n_train"] == 2  # logged before the failure, kept


def test_corrupt_run_record_does_not_break_listing(home):
    good = run_cli("train", home=home).run_id
    broken = home / "runs" / "20990101-000000-dead00"
    broken.mkdir()
    (broken / "run.json").write_text('{"id": "20990101-000000-dead00", "status": "Runn')
    result = run_cli("runs", "list", "--format", "json", home=home)
    assert result.returncode == 0, result.output
    assert [r["id"] for r in result.json()] == [good]
    assert "skipped 20990101-000000-dead00" in result.stderr


def test_unknown_run_is_clear_error(home):
    result = run_cli("runs", "show", "nope", home=home)
    assert result.returncode == 2 and "no run 'nope'" in result.stderr
    assert "Traceback" not in result.stderr


def test_parallel_trains_all_recorded(home):
    exe = harness_executable()
    env = {**os.environ, "HARNESS_HOME": str(home)}
    procs = [
        subprocess.Popen(
            [exe, "train", f"seed={i}"], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE
        )
        for i in range(3)
    ]
    for proc in procs:
        assert proc.wait(timeout=300) == 0
    runs = run_cli("runs", "list", "--format", "json", home=home).json()
    assert len(runs) == 3 and {r["status"] for r in runs} == {"Completed"}


def test_ctrl_c_cancels_the_job_and_keeps_its_record(home):
    exe = harness_executable()
    env = {**os.environ, "HARNESS_HOME": str(home)}
    proc = subprocess.Popen(
        [exe, "train", *SLOW_SKLEARN_JOB],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        run_id = proc.stdout.readline().split(":", 1)[1].strip()
        run_dir = home / "runs" / run_id
        deadline = time.time() + 60
        stdout_log = run_dir / "logs" / "stdout.txt"
        while not stdout_log.exists() or "training MLPClassifier" not in stdout_log.read_text():
            assert time.time() < deadline, "job never started"
            time.sleep(0.2)
        proc.send_signal(signal.SIGINT)
        assert proc.wait(timeout=60) == 130
        data = show(run_id, home)
        assert data["status"] == "Canceled"
        assert data["metrics"]["n_train"] == 1347  # written before the cancel, kept
        assert job_processes(run_dir) == []
    finally:
        # A failed assertion must not leave an endless MLP job behind: killing the
        # driver takes its job down too (PR_SET_PDEATHSIG, harness/supervise.py).
        if proc.poll() is None:
            proc.kill()
            proc.wait(timeout=30)


def test_offline_run_outside_a_job_prints_metrics(tmp_path):
    code = "from harness import Run; r = Run.get_context(); r.log('accuracy', 0.5); print(r.is_offline)"
    env = {k: v for k, v in os.environ.items() if k != "HARNESS_JOB_SPEC"}
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=env, cwd=tmp_path
    )
    assert out.returncode == 0, out.stderr
    assert out.stdout.splitlines() == ["[offline run] accuracy: 0.5", "True"]


def test_disabled_plugin_is_not_loaded(home):
    result = run_cli(
        "plugins", "list", "--format", "json", home=home, env={"HARNESS_DISABLE_PLUGINS": "loggers"}
    )
    assert result.returncode == 0, result.output
    # Listed as disabled (and why), with nothing loaded from it.
    plugins = {p["name"]: p for p in result.json()}
    assert plugins["loggers"]["status"] == "disabled" and plugins["loggers"]["components"] == {}
    assert "HARNESS_DISABLE_PLUGINS" in plugins["loggers"]["disabled_by"]
    assert plugins["sklearn"]["status"] == "loaded"


def test_help_and_unknown_command(home):
    result = run_cli("--help", home=home)
    assert result.returncode == 0 and "train" in result.stdout and "runs" in result.stdout
    bad = run_cli("trian", home=home)
    assert bad.returncode == 2 and "unknown command 'trian'" in bad.stderr
    json.dumps(result.stdout)


def test_relative_data_path_means_the_callers_directory(home, tmp_path):
    (tmp_path / "data.csv").write_text(
        "a,b,y\n" + "".join(f"{i},{(i * 7) % 5},{i % 2}\n" for i in range(40))
    )
    result = run_cli("train", "estimator.data.path=data.csv", home=home, cwd=tmp_path)
    assert result.returncode == 0, result.output
    assert show(result.run_id, home)["metrics"]["n_train"] == 30


USER_MODELS = '''
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.neighbors import KNeighborsClassifier


class Knn(ClassifierMixin, BaseEstimator):
    """A user's own estimator: no _parameter_constraints declared."""

    def __init__(self, k=3):
        self.k = k

    def fit(self, X, y):
        self.inner_ = KNeighborsClassifier(self.k).fit(X, y)
        self.classes_ = self.inner_.classes_
        return self

    def predict(self, X):
        return self.inner_.predict(X)


class NotAnEstimator:
    pass
'''


def test_users_own_sklearn_style_model(home, tmp_path):
    (tmp_path / "mymodels.py").write_text(USER_MODELS)
    env = {"PYTHONPATH": str(tmp_path)}
    ok = run_cli(
        "train",
        "estimator.model._target_=mymodels.Knn",
        "~estimator.C",
        "~estimator.max_iter",
        "+estimator.k=5",
        home=home,
        env=env,
    )
    assert ok.returncode == 0, ok.output
    assert show(ok.run_id, home)["metrics"]["accuracy"] >= 0.9
    bad = run_cli(
        "train",
        "estimator.model._target_=mymodels.NotAnEstimator",
        "~estimator.C",
        "~estimator.max_iter",
        home=home,
        env=env,
    )
    assert bad.returncode == 2 and "not a scikit-learn estimator" in bad.stderr, bad.output
    assert "Traceback" not in bad.stderr

"""Script mode (`+estimator=script`) through the real `harness` command."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import textwrap
import time
from pathlib import Path

import pytest
from layerless import harness_in

from harness.testing import harness_executable, run_cli

# Records exactly what it received; logs through harness.Run.
ECHO_SCRIPT = """
import json, os, sys
from harness import Run

run = Run.get_context()
run.log("accuracy", 0.75)
run.log_row("table", a=1, b=2.5)
run.tag("from_script", "yes")
os.makedirs("outputs", exist_ok=True)
with open("outputs/argv.json", "w") as f:
    json.dump({"argv": sys.argv[1:], "cwd": os.getcwd(),
               "outputs_env": os.environ["HARNESS_OUTPUTS_DIR"],
               "logs_env": os.environ["HARNESS_LOGS_DIR"]}, f)
print("echo script done")
"""


def write(folder: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        path = folder / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text))
    return folder


def show(run_id, home):
    result = run_cli("runs", "show", run_id, "--format", "json", home=home)
    assert result.returncode == 0, result.output
    return result.json()


def no_runs(home: Path) -> bool:
    return not (home / "runs").exists() or list((home / "runs").iterdir()) == []


def script_train(home, src, entry="train.py", *overrides, cwd=None):
    return run_cli(
        "train",
        "+estimator=script",
        f"estimator.source_directory={src}",
        f"estimator.entry_script={entry}",
        *overrides,
        home=home,
        cwd=cwd,
    )


def test_script_params_become_flags_and_run_logs_into_the_run(home, tmp_path):
    src = write(tmp_path / "src", {"train.py": ECHO_SCRIPT})
    result = run_cli(
        "train",
        "+estimator=script",
        "estimator.source_directory=./src",  # relative to where harness runs
        "estimator.entry_script=train.py",
        "+estimator.script_params.learning_rate=0.003",
        "+estimator.script_params.momentum=0.92",
        "+estimator.script_params.verbose=true",
        "+estimator.script_params.dry_run=false",
        "+estimator.script_params.layers=[64,32]",
        home=home,
        cwd=tmp_path,
    )
    assert result.returncode == 0, result.output
    assert "echo script done" in result.stdout  # the script's output streams through
    run_dir = home / "runs" / result.run_id
    received = json.loads((run_dir / "outputs" / "argv.json").read_text())
    assert received["argv"] == [
        "--learning_rate", "0.003", "--momentum", "0.92", "--verbose", "--layers", "64", "32",
    ]  # fmt: skip
    assert Path(received["cwd"]) == run_dir / "snapshot"
    assert Path(received["outputs_env"]) == run_dir / "outputs"
    assert Path(received["logs_env"]) == run_dir / "logs"
    data = show(result.run_id, home)
    assert data["status"] == "Completed"
    assert data["metrics"]["accuracy"] == 0.75
    assert data["history"]["table"][0]["value"] == {"a": 1, "b": 2.5}
    assert data["tags"]["from_script"] == "yes"
    assert "outputs/argv.json" in data["files"]
    assert "echo script done" in (run_dir / "logs" / "stdout.txt").read_text()
    assert data["provenance"]["source_dir"] == str(src.resolve())


def test_arguments_list_is_passed_as_is(home, tmp_path):
    src = write(tmp_path / "src", {"train.py": ECHO_SCRIPT})
    result = script_train(
        home, src, "train.py", "estimator.arguments=[--epochs,3,data/train.csv,'1e-3',true]"
    )
    assert result.returncode == 0, result.output
    received = json.loads((home / "runs" / result.run_id / "outputs" / "argv.json").read_text())
    assert received["argv"] == ["--epochs", "3", "data/train.csv", "1e-3", "true"]


def test_script_runs_in_a_snapshot_that_honours_ignore_files(home, tmp_path):
    src = write(
        tmp_path / "src",
        {
            "train.py": """
                import pathlib, sys
                original = pathlib.Path(sys.argv[2])
                # Edit the source while the run goes on: the run must not see it.
                (original / "message.txt").write_text("edited")
                (original / "helper.py").write_text("VALUE = 'edited'")
                import helper
                text = pathlib.Path("message.txt").read_text()
                pathlib.Path("outputs/seen.txt").write_text(text + " " + helper.VALUE)
            """,
            "helper.py": "VALUE = 'original'",
            "message.txt": "original",
            ".harnessignore": "data/\n*.bin\n",
            ".gitignore": "keep_me.txt\n",  # a folder's .harnessignore wins over its .gitignore
            "keep_me.txt": "kept",
            "data/big.csv": "1,2,3\n",
            "weights.bin": "xx",
            "pkg/__init__.py": "",
            "pkg/.gitignore": "secret.txt\n",
            "pkg/secret.txt": "no",
            "pkg/model.bin": "no",
            "outputs/stale.txt": "from an earlier local run",
            ".git/HEAD": "ref: refs/heads/main",
            "__pycache__/x.pyc": "",
        },
    )
    result = script_train(home, src, "train.py", f"estimator.arguments=[--source,{src}]")
    assert result.returncode == 0, result.output
    run_dir = home / "runs" / result.run_id
    snapshot = run_dir / "snapshot"
    assert (run_dir / "outputs" / "seen.txt").read_text() == "original original"
    copied = sorted(
        p.relative_to(snapshot).as_posix()
        for p in snapshot.rglob("*")
        if p.is_file() and not p.is_symlink() and p.parent.name != "__pycache__"
    )
    assert copied == [
        ".gitignore", ".harnessignore", "helper.py", "keep_me.txt", "message.txt",
        "pkg/.gitignore", "pkg/__init__.py", "train.py",
    ]  # fmt: skip
    assert (snapshot / "outputs").resolve() == (run_dir / "outputs").resolve()
    assert not (run_dir / "outputs" / "stale.txt").exists()
    # The source really was edited during the run.
    assert (src / "message.txt").read_text() == "edited"


def test_a_workspace_inside_the_source_folder_is_not_snapshotted(home, tmp_path):
    # `home` is tmp_path/harness-home: inside the source folder here.
    write(tmp_path, {"train.py": "print('ok')"})
    first = script_train(home, tmp_path)
    assert first.returncode == 0, first.output
    second = script_train(home, tmp_path)
    assert second.returncode == 0, second.output
    snapshot = home / "runs" / second.run_id / "snapshot"
    assert sorted(p.name for p in snapshot.iterdir()) == ["logs", "outputs", "train.py"]


def test_snapshot_over_the_size_limit_is_refused(home, tmp_path):
    src = write(tmp_path / "src", {"train.py": "print('hi')"})
    (src / "dataset.csv").write_bytes(b"0" * 300_000)
    result = script_train(home, src, "train.py", "estimator.snapshot_max_mb=0.1")
    assert result.returncode == 2, result.output
    assert "Traceback" not in result.stderr
    assert "estimator.snapshot_max_mb=0.1" in result.stderr
    assert "dataset.csv (0.3 MB)" in result.stderr and ".harnessignore" in result.stderr
    assert no_runs(home)
    (src / ".harnessignore").write_text("*.csv\n")
    again = script_train(home, src, "train.py", "estimator.snapshot_max_mb=0.1")
    assert again.returncode == 0, again.output


AZUREML_SCRIPT = """
import argparse
from azureml.core import Run
from azureml.core.run import Run as SameRun
import matplotlib
matplotlib.use("Agg")
import matplotlib.pyplot as plt

parser = argparse.ArgumentParser()
parser.add_argument("--reg", type=float)
args = parser.parse_args()
assert Run is SameRun
run = Run.get_context()
run.log("regularization", args.reg)
run.log("accuracy", 0.9)
run.log_list("losses", [0.5, 0.25])
run.log_row("confusion", tp=3, fp=1)
run.tag("framework", "azureml")
run.set_tags({"stage": "test"})
fig = plt.figure()
plt.plot([1, 2, 3])
run.log_image("curve", plot=fig)
open("chart.png", "wb").write(b"not really a png")
run.log_image("chart file", path="chart.png")
run.complete()
print("azureml run id", run.id)
"""


def test_azureml_compat_script_records_into_the_run(home, tmp_path):
    src = write(tmp_path / "src", {"score.py": AZUREML_SCRIPT})
    result = script_train(
        home, src, "score.py", "estimator.azureml_compat=true", "+estimator.script_params.reg=0.5"
    )
    assert result.returncode == 0, result.output
    assert f"azureml run id {result.run_id}" in result.stdout
    data = show(result.run_id, home)
    assert data["metrics"]["regularization"] == 0.5
    assert data["metrics"]["accuracy"] == 0.9
    assert [p["value"] for p in data["history"]["losses"]] == [0.5, 0.25]
    assert data["history"]["confusion"][0]["value"] == {"tp": 3, "fp": 1}
    assert data["tags"]["framework"] == "azureml" and data["tags"]["stage"] == "test"
    assert data["metrics"]["curve"] == "outputs/images/curve.png"
    assert data["metrics"]["chart file"] == "outputs/images/chart_file.png"
    assert {"outputs/images/curve.png", "outputs/images/chart_file.png"} <= set(data["files"])
    png = (home / "runs" / result.run_id / "outputs" / "images" / "curve.png").read_bytes()
    assert png.startswith(b"\x89PNG")


def test_azureml_shim_is_opt_in(home, tmp_path, layerless_python):
    from harness.compat import real_azureml

    assert real_azureml() is None, "this environment has a real azureml package"
    src = write(tmp_path / "src", {"score.py": "from azureml.core import Run\n"})
    # An environment without the opt-in (tests/e2e/layerless.py), whatever this one's.
    result = harness_in(
        layerless_python, "train", "+estimator=script", f"estimator.source_directory={src}",
        "estimator.entry_script=score.py", home=home,
    )  # fmt: skip
    assert result.returncode == 1, result.output
    assert "No module named 'azureml'" in show(result.run_id, home)["error"]


def test_failing_script_fails_the_run_and_keeps_its_stderr(home, tmp_path):
    src = write(
        tmp_path / "src",
        {
            "train.py": """
                from harness import Run
                run = Run.get_context()
                run.log("epoch_loss", 1.5)
                open("outputs/partial.txt", "w").write("half done")
                raise ValueError("bad batch in epoch 2")
            """,
            "exit3.py": "import sys; print('giving up', file=sys.stderr); sys.exit(3)",
        },
    )
    result = script_train(home, src)
    assert result.returncode == 1, result.output
    data = show(result.run_id, home)
    assert data["status"] == "Failed"
    assert data["error"] == "ValueError: bad batch in epoch 2"
    assert data["metrics"]["epoch_loss"] == 1.5
    assert "outputs/partial.txt" in data["files"]
    stderr = (home / "runs" / result.run_id / "logs" / "stderr.txt").read_text()
    assert "Traceback" in stderr and "bad batch in epoch 2" in stderr

    exit3 = script_train(home, src, "exit3.py")
    assert exit3.returncode == 1, exit3.output
    data = show(exit3.run_id, home)
    assert data["status"] == "Failed" and data["error"] == "giving up"
    assert "exit3.py exited with code 3" in exit3.stdout


@pytest.mark.parametrize(
    ("overrides", "needles"),
    [
        (["estimator.source_directory=/no/such/folder"], ["/no/such/folder", "does not exist"]),
        (["estimator.entry_script=missing.py"], ["missing.py", "not found"]),
        ([], ["estimator.entry_script is required"]),
        (["estimator.entry_script=../outside.py"], ["outside estimator.source_directory"]),
        (["estimator.entry_script=ignored.py"], ["left out of the snapshot"]),
        (["estimator.entry_script=train.py", "estimator.arguments=abc"], ["must be a list"]),
    ],
)
def test_bad_script_config_is_one_clear_error_exit_2(home, tmp_path, overrides, needles):
    write(
        tmp_path / "src",
        {"train.py": "", "ignored.py": "", ".harnessignore": "ignored.py\n"},
    )
    (tmp_path / "outside.py").write_text("")
    result = run_cli(
        "train",
        "+estimator=script",
        "estimator.source_directory=src",
        *overrides,
        home=home,
        cwd=tmp_path,
    )
    assert result.returncode == 2, result.output
    assert "Traceback" not in result.stderr
    assert len(result.stderr.strip().splitlines()) <= 2, result.stderr
    for needle in needles:
        assert needle in result.stderr, result.output
    assert no_runs(home)


def test_ctrl_c_stops_the_script_and_cancels_the_run(home, tmp_path):
    src = write(
        tmp_path / "src",
        {
            "train.py": """
                import os, time
                open("outputs/pid", "w").write(str(os.getpid()))
                print("script started", flush=True)
                try:
                    time.sleep(120)
                except KeyboardInterrupt:
                    open("outputs/interrupted", "w").write("yes")
                    raise
            """
        },
    )
    proc = subprocess.Popen(
        [
            harness_executable(),
            "train",
            "+estimator=script",
            f"estimator.source_directory={src}",
            "estimator.entry_script=train.py",
        ],  # fmt: skip
        env={**os.environ, "HARNESS_HOME": str(home)},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    run_id = proc.stdout.readline().split(":", 1)[1].strip()
    outputs = home / "runs" / run_id / "outputs"
    deadline = time.time() + 60
    while not (outputs / "pid").exists() or not (outputs / "pid").read_text():
        assert time.time() < deadline, "the script never started"
        time.sleep(0.1)
    pid = int((outputs / "pid").read_text())
    proc.send_signal(signal.SIGINT)
    assert proc.wait(timeout=60) == 130
    assert show(run_id, home)["status"] == "Canceled"
    assert (outputs / "interrupted").read_text() == "yes"
    with pytest.raises(ProcessLookupError):
        os.kill(pid, 0)

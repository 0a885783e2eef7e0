"""Invariant 4 (disk): ENOSPC anywhere gives `Failed` with "no space left on device
(PATH)", exit 1, and a run folder every command can show and delete.

The full disk is a real one: a small tmpfs mounted as HARNESS_HOME. That needs
root (CI runs as root) and mount rights; elsewhere the tests skip saying so.
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from harness.testing import run_cli
from harness.testing.requirements import unavailable

FILLER = "import os\nwith open('outputs/big.bin', 'wb') as f:\n    while True:\n        f.write(b'x' * 65536)\n        f.flush()\n"


@pytest.fixture
def small_disk(tmp_path: Path):
    mount = tmp_path / "disk"
    mount.mkdir()
    if os.geteuid() != 0:
        unavailable("tmpfs", "mounting a small tmpfs (a real full disk) needs root")
    done = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=6m", "tmpfs", str(mount)],
        capture_output=True,
        text=True,
    )
    if done.returncode != 0:
        unavailable("tmpfs", f"cannot mount a tmpfs here: {done.stderr.strip()}")
    try:
        yield mount
    finally:
        subprocess.run(["umount", "-l", str(mount)], check=False)


def _fill(disk: Path) -> None:
    with open(disk / "filler", "wb") as handle:
        try:
            while True:
                handle.write(b"\0" * (1 << 16))
                handle.flush()
        except OSError:
            pass


def test_a_job_that_fills_the_disk_is_failed_with_the_reason(small_disk, tmp_path):
    home = small_disk / "home"
    src = tmp_path / "src"
    src.mkdir()
    (src / "fill.py").write_text(FILLER)
    result = run_cli(
        "train",
        "+estimator=script",
        f"estimator.source_directory={src}",
        "estimator.entry_script=fill.py",
        home=home,
        cwd=tmp_path,
    )
    assert result.returncode == 1, result.output
    assert "Traceback" not in result.stdout
    run_id = result.run_id
    shown = run_cli("runs", "show", run_id, "--format", "json", home=home)
    assert shown.returncode == 0, shown.output
    record = shown.json()
    assert record["status"] == "Failed"
    assert record["error"].startswith("no space left on device ("), record["error"]
    listed = run_cli("runs", "list", "--format", "json", home=home)
    assert listed.returncode == 0 and [r["status"] for r in listed.json()] == ["Failed"]
    deleted = run_cli("runs", "delete", run_id, "--yes", home=home)
    assert deleted.returncode == 0, deleted.output
    assert not (home / "runs" / run_id).exists()


def test_train_on_a_full_disk_is_one_line_and_leaves_nothing(small_disk, tmp_path):
    home = small_disk / "home"
    (home / "runs").mkdir(parents=True)
    _fill(small_disk)
    result = run_cli("train", home=home, cwd=tmp_path)
    assert result.returncode == 1, result.output
    lines = [ln for ln in result.stderr.splitlines() if ln.strip()]
    assert "Traceback" not in result.stderr, result.output
    assert lines[-1].startswith("harness: error: no space left on device ("), result.output
    assert list((home / "runs").iterdir()) == []  # no half-made run
    assert run_cli("runs", "list", home=home).returncode == 0


def test_an_upload_hitting_a_full_disk_is_one_line_and_the_manifest_matches(small_disk, tmp_path):
    home = small_disk / "home"
    src = tmp_path / "data"
    src.mkdir()
    for i in range(12):
        (src / f"f{i}.bin").write_bytes(os.urandom(700_000))
    result = run_cli("datastore", "upload", str(src), "--target", "ds", "--no-progress", home=home)
    assert result.returncode == 1, result.output
    assert "Traceback" not in result.stderr, result.output
    assert "no space left on device" in result.stderr.splitlines()[-1]
    (small_disk / "home" / "datastores" / "default" / "ds").exists()
    verify = run_cli("datastore", "verify", "ds", "--format", "json", home=home)
    report = verify.json()
    assert not report["corrupt"] and not report["missing"], report


#: Logs a point every 20 ms; after 1.5 s (one flush) fills the disk (catching its own error, as
#: a job that writes a checkpoint into a full disk and goes on might), logs on for
#: 2.5 s and exits 0: only the metrics that could not be written say anything.
LOGS_INTO_A_FULL_DISK = """
import time
from harness import Run
run = Run.get_context()
start = time.time()
filled = False
step = 0
while time.time() - start < 4.0:
    run.log("loss", 1.0 / (step + 1), step=step)
    step += 1
    if not filled and time.time() - start > 1.5:
        filled = True
        try:
            with open("outputs/big.bin", "wb") as f:
                while True:
                    f.write(b"x" * 65536)
                    f.flush()
        except OSError:
            pass
    time.sleep(0.02)
"""


def test_metrics_lost_to_a_full_disk_make_the_run_failed(small_disk, tmp_path):
    home = small_disk / "home"
    src = tmp_path / "src"
    src.mkdir()
    (src / "train.py").write_text(LOGS_INTO_A_FULL_DISK)
    result = run_cli(
        "train",
        "+estimator=script",
        f"estimator.source_directory={src}",
        "estimator.entry_script=train.py",
        home=home,
        cwd=tmp_path,
    )
    assert result.returncode == 1, result.output
    shown = run_cli("runs", "show", result.run_id, "--format", "json", home=home)
    assert shown.returncode == 0, shown.output
    record = shown.json()
    assert record["status"] == "Failed", record
    assert record["error"].startswith("no space left on device ("), record["error"]
    assert "could not write metrics" in result.stderr, result.output
    assert record["history"]["loss"], "the points written before the disk filled are kept"

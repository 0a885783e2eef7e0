"""Invariant 2: concurrent writers never corrupt a datastore, a run or the registry."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest
from faultkit import make_run

from harness.testing import harness_executable

TRIALS = 3


def _start(home: Path, *args: str) -> subprocess.Popen[str]:
    import os

    env = {**os.environ, "HARNESS_HOME": str(home)}
    env.pop("HARNESS_JOB_SPEC", None)
    return subprocess.Popen(
        [harness_executable(), *args],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def _folder(root: Path, tag: str, files: int) -> Path:
    for i in range(files):
        path = root / f"sub{i % 3}" / f"f{i}.bin"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(f"{tag}-{i}-".encode() * (50 + i))
    return root


@pytest.mark.parametrize("trial", range(TRIALS))
def test_racing_uploads_without_overwrite_never_replace_a_file(home, tmp_path, trial):
    files = 40
    a = _folder(tmp_path / "a", "A", files)
    b = _folder(tmp_path / "b", "B", files)
    procs = [
        _start(home, "datastore", "upload", str(src), "--target", "ds", "--format", "json")
        for src in (a, b)
    ]
    outs = [p.communicate(timeout=300) for p in procs]
    for proc, (out, err) in zip(procs, outs, strict=True):
        assert proc.returncode == 0, out + err
        assert "Traceback" not in err
    summaries = [json.loads(out) for out, _ in outs]
    root = home / "datastores" / "default"
    for i in range(files):
        key = f"ds/sub{i % 3}/f{i}.bin"
        won = [s for s in summaries if key in s["transferred"]]
        lost = [s for s in summaries if key in s["existing_different"]]
        assert len(won) == 1 and len(lost) == 1, (key, summaries)  # exactly one winner
        winner = a if won[0] is summaries[0] else b
        assert (root / key).read_bytes() == (winner / f"sub{i % 3}" / f"f{i}.bin").read_bytes()
    verify = subprocess.run(
        [harness_executable(), "datastore", "verify", "ds", "--format", "json"],
        env={**__import__("os").environ, "HARNESS_HOME": str(home)},
        capture_output=True,
        text=True,
    )
    report = json.loads(verify.stdout)
    assert report["passed"] and not report["corrupt"] and len(report["ok"]) == files, report


@pytest.mark.parametrize("trial", range(TRIALS))
def test_racing_tags_and_delete_never_bring_a_run_back(home, trial):
    run_dir = make_run(home)
    run_id = run_dir.name
    procs = [_start(home, "runs", "tag", run_id, f"k{i}=v") for i in range(6)]
    procs.insert(3, _start(home, "runs", "delete", run_id, "--yes"))
    results = [(p, *p.communicate(timeout=120)) for p in procs]
    for proc, out, err in results:
        assert "Traceback" not in err, err
        assert proc.returncode in (0, 2), out + err
        if proc.returncode == 2:  # a tag that lost the race says so in one line
            lines = [ln for ln in err.splitlines() if ln.strip()]
            assert (
                len(lines) == 1
                and f"run {run_id} was deleted" in lines[0]
                or (f"no run '{run_id}'" in lines[0])
            ), err
    assert results[3][0].returncode == 0, results[3]
    assert not run_dir.exists()  # not even a folder holding only run.json or .lock
    listing = subprocess.run(
        [harness_executable(), "runs", "list", "--format", "json"],
        env={**__import__("os").environ, "HARNESS_HOME": str(home)},
        capture_output=True,
        text=True,
    )
    assert json.loads(listing.stdout) == [] and not listing.stderr.strip(), listing.stderr


def test_concurrent_registrations_get_distinct_versions(home):
    run_dir = make_run(home)
    (run_dir / "outputs" / "model.bin").write_bytes(b"m")
    procs = [
        _start(
            home,
            "models",
            "register",
            "m",
            "--run",
            run_dir.name,
            "--path",
            "outputs/model.bin",
            "--format",
            "json",
        )
        for _ in range(6)
    ]
    versions = []
    for proc in procs:
        out, err = proc.communicate(timeout=120)
        assert proc.returncode == 0, out + err
        versions.append(json.loads(out)["version"])
    assert sorted(versions) == [1, 2, 3, 4, 5, 6]


@pytest.mark.parametrize("slow_flags", [["--overwrite"], []], ids=["both-overwrite", "mixed"])
def test_racing_uploads_with_overwrite_leave_a_manifest_that_matches_the_disk(
    home, tmp_path, slow_flags
):
    """A places `0-shared.bin` early and records it in the manifest only when its many
    other files are done; B overwrites `0-shared.bin` meanwhile and finishes first. The
    manifest must describe B's bytes, the ones on disk (A's entry came too late),
    whether A overwrites too or only places new files."""
    import os
    import signal
    import time

    a, b = tmp_path / "a", tmp_path / "b"
    for i in range(1000):
        path = a / f"d{i % 20}" / f"f{i}.bin"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(os.urandom(500))
    (a / "0-shared.bin").write_bytes(b"A" * 5000)
    b.mkdir()
    (b / "0-shared.bin").write_bytes(b"B" * 5000)  # same size: only the hash tells them apart
    shared = home / "datastores" / "default" / "ds" / "0-shared.bin"
    slow = _start(home, "datastore", "upload", str(a), "--target", "ds", *slow_flags)
    manifest = home / "datastores" / "default" / ".harness" / "manifest.json"
    deadline = time.monotonic() + 120
    while not shared.exists():
        assert slow.poll() is None and time.monotonic() < deadline, slow.communicate()
        time.sleep(0.01)
    # Hold A between placing the file and recording it (what a busy machine does).
    slow.send_signal(signal.SIGSTOP)
    try:
        assert "0-shared.bin" not in (manifest.read_text() if manifest.exists() else "")
        fast = _start(home, "datastore", "upload", str(b), "--target", "ds", "--overwrite")
        out, err = fast.communicate(timeout=300)
        assert fast.returncode == 0 and "Traceback" not in err, out + err
    finally:
        slow.send_signal(signal.SIGCONT)
    out, err = slow.communicate(timeout=300)
    assert slow.returncode == 0 and "Traceback" not in err, out + err
    assert shared.read_bytes() == b"B" * 5000  # the later writer won the file
    verify = subprocess.run(
        [harness_executable(), "datastore", "verify", "ds", "--format", "json"],
        env={**os.environ, "HARNESS_HOME": str(home)},
        capture_output=True,
        text=True,
    )
    report = json.loads(verify.stdout)
    assert report["passed"] and not report["corrupt"], report
    assert len(report["ok"]) == 1001, len(report["ok"])

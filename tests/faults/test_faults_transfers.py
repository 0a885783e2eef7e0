"""Interrupting transfers: an upload, a download or a model registration stops when
told to (Ctrl-C, `kill -INT` also where SIGINT came ignored, SIGTERM), within one
block of the file in flight rather than at its end, keeps what it finished and
leaves no partial file; a download removes what killed downloads left behind."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import time
from pathlib import Path

import pytest

from harness import envvars
from harness.datastore.paths import TEMP_MARK
from harness.testing import harness_executable, run_cli

MB = 1 << 20


def _write(path: Path, size: int, seed: int) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    block = os.urandom(MB)
    with open(path, "wb") as handle:
        for index in range(size // MB):
            handle.write(seed.to_bytes(4, "little") + index.to_bytes(4, "little") + block[8:])
    return path


def _source(tmp_path: Path, files: int = 4, size: int = 64 * MB) -> Path:
    src = tmp_path / "src"
    for index in range(files):
        _write(src / f"f{index}.bin", size, index)
    return src


def _leftovers(*roots: Path) -> list[str]:
    return [str(p) for root in roots for p in root.rglob(f"*{TEMP_MARK}*")]


def _start(home: Path, *args: str, ignore_sigint: bool = False) -> subprocess.Popen:
    """`harness ARGS` in the background; with ``ignore_sigint`` as a script's `&` job
    starts it (SIGINT ignored, which Python keeps unless told otherwise).

    One file at a time: with a thread per file, all four 64 MB copies are in flight
    at once and can all finish (in ~0.1 s) before a loaded machine schedules the
    main thread's signal handler, so "it stopped before the end" would be a race.
    One at a time, three whole files lie between the signal and the end."""
    env = {**os.environ, "HARNESS_HOME": str(home), envvars.DATASTORE_THREADS: "1"}

    def ignore() -> None:
        signal.signal(signal.SIGINT, signal.SIG_IGN)

    return subprocess.Popen(
        [harness_executable(), *args],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        preexec_fn=ignore if ignore_sigint else None,
    )


def _when_reading(proc: subprocess.Popen, folder: Path, timeout: float = 120) -> None:
    """Wait until ``proc`` has one of the files under ``folder`` open: the copy is
    under way (and the command's signal handlers long installed)."""
    wanted = str(folder.resolve())
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        assert proc.poll() is None, proc.communicate()
        try:
            fds = os.listdir(f"/proc/{proc.pid}/fd")
        except FileNotFoundError:
            fds = []
        for fd in fds:
            try:
                target = os.readlink(f"/proc/{proc.pid}/fd/{fd}")
            except OSError:
                continue
            if target.startswith(wanted + os.sep):
                return
        time.sleep(0.005)
    raise AssertionError("the transfer never opened a source file")


def _manifest(home: Path) -> dict[str, dict]:
    path = home / "datastores" / "default" / ".harness" / "manifest.json"
    return json.loads(path.read_text())["files"] if path.exists() else {}


def _stored(home: Path) -> set[str]:
    root = home / "datastores" / "default"
    return {
        p.relative_to(root).as_posix()
        for p in root.rglob("*")
        if p.is_file() and ".harness" not in p.parts
    }


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM])
def test_an_upload_stops_on_kill_even_with_sigint_ignored(home, tmp_path, signum):
    src = _source(tmp_path)
    proc = _start(home, "datastore", "upload", str(src), "--target", "d", ignore_sigint=True)
    _when_reading(proc, src)
    proc.send_signal(signum)
    out, err = proc.communicate(timeout=120)
    assert proc.returncode == 130, (proc.returncode, out, err)
    assert "harness: interrupted" in err and "Traceback" not in err, err
    stored, recorded = _stored(home), set(_manifest(home))
    assert len(stored) < 4  # it stopped before the end
    assert stored == recorded, err  # what it finished is recorded; nothing half-written
    assert not _leftovers(home)
    again = run_cli("datastore", "upload", str(src), "--target", "d", "--format", "json", home=home)
    assert again.returncode == 0, again.output
    assert sorted(again.json()["identical"]) == sorted(recorded)  # a re-run completes it
    assert len(_manifest(home)) == 4


def test_an_interrupt_stops_the_file_in_flight_within_a_block(home, tmp_path, monkeypatch):
    """In-process: SIGINT lands while a 256 MB file is being copied; the copy ends
    at its next block instead of finishing the file, which is discarded."""
    from harness import Datastore

    src = tmp_path / "src"
    _write(src / "big.bin", 256 * MB, 1)
    monkeypatch.setenv("HARNESS_HOME", str(home))
    store = Datastore.get()
    moved: list[int] = []
    real_put = type(store).put_file

    def put_file(self, key, path, progress=None, **kwargs):
        def watched(nbytes: int) -> None:
            moved.append(nbytes)
            if len(moved) == 1:  # the first block is copied: interrupt the transfer
                os.kill(os.getpid(), signal.SIGINT)
            time.sleep(0.05)  # a slow disk: the file would take ~1 s, not a blink
            if progress is not None:
                progress(nbytes)

        return real_put(self, key, path, watched, **kwargs)

    monkeypatch.setattr(type(store), "put_file", put_file)
    with pytest.raises(KeyboardInterrupt):
        store.upload(str(src), "big", show_progress=False)
    assert sum(moved) < 256 * MB / 2, f"{sum(moved)} bytes copied after the interrupt"
    assert not _stored(home) and not _manifest(home) and not _leftovers(home)


def _uploaded(home: Path, tmp_path: Path) -> Path:
    src = _source(tmp_path)
    result = run_cli("datastore", "upload", str(src), "--target", "d", home=home)
    assert result.returncode == 0, result.output
    return src


def test_a_download_stops_on_kill_int_and_leaves_no_partial_file(home, tmp_path):
    _uploaded(home, tmp_path)
    dest = tmp_path / "copy"
    proc = _start(home, "datastore", "download", "d", str(dest), ignore_sigint=True)
    _when_reading(proc, home / "datastores" / "default" / "d")
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=120)
    assert proc.returncode == 130, (proc.returncode, out, err)
    assert not _leftovers(dest)
    copied = sorted(p.name for p in dest.rglob("*") if p.is_file())
    assert len(copied) < 4
    for name in copied:  # every file there is whole
        assert (dest / name).read_bytes() == (tmp_path / "src" / name).read_bytes()


def test_a_killed_download_leaves_nothing_and_a_new_one_clears_old_leftovers(home, tmp_path):
    _uploaded(home, tmp_path)
    dest = tmp_path / "copy"
    proc = _start(home, "datastore", "download", "d", str(dest))
    _when_reading(proc, home / "datastores" / "default" / "d")
    proc.kill()
    proc.wait(60)
    assert not _leftovers(dest)  # the data went to unnamed files (O_TMPFILE)
    # What a download killed on a file system without O_TMPFILE leaves: a hidden temp
    # file of a dead process, next to one of a live download (which must be kept).
    dead = subprocess.Popen(["true"])
    dead.wait()
    stale = dest / f".f0.bin{TEMP_MARK}{dead.pid}-0badf00d"
    live = dest / f".f1.bin{TEMP_MARK}{os.getpid()}-0badf00d"
    stale.write_bytes(b"x" * MB)
    live.write_bytes(b"y")
    result = run_cli("datastore", "download", "d", str(dest), "--overwrite", home=home)
    assert result.returncode == 0, result.output
    assert not stale.exists() and live.exists()
    assert sorted(p.name for p in dest.glob("*.bin")) == [f"f{i}.bin" for i in range(4)]


def test_a_model_registration_stops_on_kill_int(home, tmp_path):
    from harness.run.store import RunStore

    record = RunStore(home).create(experiment="e", estimator="none", compute="none", params={})
    _write(record.path / "outputs" / "model.bin", 512 * MB, 7)
    RunStore(home).set_status(record.id, "Running", started=record.created)
    RunStore(home).set_status(record.id, "Completed")
    args = ["models", "register", "m", "--run", record.id, "--path", "outputs/model.bin"]
    proc = _start(home, *args, ignore_sigint=True)
    _when_reading(proc, record.path / "outputs")
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=120)
    assert proc.returncode == 130, (proc.returncode, out, err)
    models = home / "models"
    assert not [p for p in models.rglob("*") if p.is_file() and p.name.endswith(".bin")]
    assert not list(models.glob("m/.staging-*"))
    listed = run_cli("models", "list", "--format", "json", home=home)
    assert listed.returncode == 0 and listed.json() == [], listed.output

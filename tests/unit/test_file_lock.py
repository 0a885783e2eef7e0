"""harness.storage.locks.file_lock: the workspace's lock between processes and
threads, interchangeable with filelock's on the same file."""

from __future__ import annotations

import subprocess
import sys
import threading
import time

import filelock
import pytest

from harness.contract import file_lock as public_file_lock
from harness.storage.locks import LockTimeout, file_lock

HOLD_IN_CHILD = """
import sys, time
from harness.storage.locks import file_lock
with file_lock(sys.argv[1]):
    print("held", flush=True)
    sys.stdin.readline()
"""


def _holder(path) -> subprocess.Popen[str]:
    child = subprocess.Popen(
        [sys.executable, "-c", HOLD_IN_CHILD, str(path)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert child.stdout is not None and child.stdout.readline() == "held\n"
    return child


def _release(child: subprocess.Popen[str]) -> None:
    assert child.stdin is not None
    child.stdin.write("\n")
    child.stdin.flush()
    assert child.wait(timeout=30) == 0


def test_another_process_holding_it_makes_a_timeout_fail_naming_the_file(tmp_path):
    path = tmp_path / "x.lock"
    child = _holder(path)
    try:
        started = time.monotonic()
        held = r"x\.lock is still locked by another process"
        with pytest.raises(LockTimeout, match=held), file_lock(path, timeout=0.3):
            pass
        assert time.monotonic() - started >= 0.3
    finally:
        _release(child)
    with file_lock(path, timeout=5):  # free again once the holder let go
        pass


def test_it_and_filelock_exclude_each_other_on_the_same_file(tmp_path):
    """Processes of an older harness (filelock) and of this one share lock files."""
    path = tmp_path / "manifest.lock"
    child = _holder(path)
    try:
        with pytest.raises(filelock.Timeout):
            filelock.FileLock(str(path), timeout=0.2).acquire()
    finally:
        _release(child)
    other = filelock.FileLock(str(path))
    with other, pytest.raises(LockTimeout), file_lock(path, timeout=0.2):
        pass


def test_two_threads_of_one_process_take_turns(tmp_path):
    path = tmp_path / "t.lock"
    inside: list[int] = []
    overlaps: list[int] = []

    def work(me: int) -> None:
        for _ in range(20):
            with file_lock(path):
                inside.append(me)
                if len(inside) > 1:
                    overlaps.append(me)
                time.sleep(0.001)
                inside.remove(me)

    threads = [threading.Thread(target=work, args=(n,)) for n in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert overlaps == []


def test_a_missing_folder_is_not_created(tmp_path):
    with pytest.raises(FileNotFoundError), file_lock(tmp_path / "gone" / "x.lock"):
        pass
    assert not (tmp_path / "gone").exists()


def test_plugins_get_it_from_the_contract():
    assert public_file_lock is file_lock

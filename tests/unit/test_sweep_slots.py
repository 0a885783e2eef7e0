"""The sweep's slots (harness/sweeps/slots.py): at most N holders, a wait that a
stop ends, and a slot given back whatever happens while it is held."""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

import pytest

from harness.sweeps import slots
from harness.testing import most_at_once


def _hold_in_children(path: str, children: int, seconds: float, out: Path) -> None:
    pids = []
    for index in range(children):
        pid = os.fork()
        if pid == 0:  # pragma: no cover - the child
            code = 1
            try:
                slots.use(path)
                with slots.held(lambda: None) as withheld:
                    start = time.monotonic()
                    time.sleep(seconds)
                    end = time.monotonic()
                (out / f"{index}.json").write_text(json.dumps([start, end, withheld]))
                code = 0
            finally:
                os._exit(code)
        pids.append(pid)
    for pid in pids:
        _, status = os.waitpid(pid, 0)
        assert os.waitstatus_to_exitcode(status) == 0


@pytest.mark.parametrize("count", [1, 2])
def test_at_most_n_processes_hold_a_slot_and_n_do(tmp_path, count):
    with slots.SlotPool(count) as pool:
        _hold_in_children(pool.path, 6, 0.15, tmp_path)
        folder = pool.folder
    held = [json.loads(p.read_text()) for p in tmp_path.glob("*.json")]
    assert len(held) == 6 and all(withheld is None for *_, withheld in held)
    # Never more than `count` at once, and `count` at once at some point: the
    # slots limit the jobs without putting them in single file.
    assert most_at_once([(a, b) for a, b, _ in held]) == count
    assert not os.path.exists(folder)  # the pool's FIFO is gone with the launch


def test_a_stop_ends_the_wait_and_no_slot_is_taken(tmp_path, monkeypatch):
    stopped = tmp_path / "stop"
    with slots.SlotPool(1) as pool:
        slots.use(pool.path)
        try:
            with slots.held(lambda: None) as first:  # the only slot, held here
                assert first is None
                started = time.monotonic()
                monkeypatch.setattr(slots, "SKIP_CHECK_S", 0.02)
                stopped.touch()
                with slots.held(lambda: "stopped by test" if stopped.exists() else None) as second:
                    assert second == slots.NOT_STARTED + "stopped by test"
                assert time.monotonic() - started < 5
            # The slot the first holder gave back is there for the next one.
            with slots.held(lambda: None) as third:
                assert third is None
        finally:
            slots.use(None)


def test_a_stop_found_just_after_the_slot_came_gives_it_back(tmp_path):
    asked = []

    def skip():  # asked once the free slot is taken: the sweep stopped meanwhile
        asked.append(True)
        return "stopped meanwhile"

    with slots.SlotPool(1) as pool:
        slots.use(pool.path)
        try:
            with slots.held(skip) as withheld:
                assert asked == [True]
                assert withheld == slots.NOT_STARTED + "stopped meanwhile"
            with slots.held(lambda: None) as again:
                assert again is None
        finally:
            slots.use(None)


def test_the_slot_is_given_back_when_the_holder_raises(tmp_path):
    with slots.SlotPool(1) as pool:
        slots.use(pool.path)
        try:
            with pytest.raises(KeyboardInterrupt), slots.held(lambda: None):
                raise KeyboardInterrupt
            started = time.monotonic()
            with slots.held(lambda: None) as again:
                assert again is None
            assert time.monotonic() - started < 1
        finally:
            slots.use(None)


def test_without_slots_a_run_starts_at_once():
    slots.use(None)
    with slots.held(lambda: "never asked") as withheld:
        assert withheld is None


def test_prepare_ahead_defaults_to_the_jobs_run_at_once_for_a_long_batch():
    long, short = slots.WORTH_IT_JOBS_PER_SLOT * 3, slots.WORTH_IT_JOBS_PER_SLOT * 3 - 1
    assert slots.ahead({}, 3, long) == 3
    assert slots.ahead({}, 3, short) == 0  # the extra workers would cost more than they save
    assert slots.ahead({"prepare_ahead": 0}, 3, long) == 0
    assert slots.ahead({"prepare_ahead": 5}, 2, 4) == 5  # the user's choice holds


def test_a_ctrl_c_while_waiting_is_a_reason_not_to_start(tmp_path, monkeypatch):
    def interrupted(fd, skip):
        raise KeyboardInterrupt

    with slots.SlotPool(1) as pool:
        slots.use(pool.path)
        try:
            monkeypatch.setattr(slots, "_take", interrupted)
            with slots.held(lambda: None, interrupted="canceled by the user") as withheld:
                assert withheld == slots.NOT_STARTED + "canceled by the user"
            with pytest.raises(KeyboardInterrupt), slots.held(lambda: None):
                pass  # no reason given: the Ctrl-C goes on up
        finally:
            slots.use(None)


def test_a_killed_sweeps_folder_is_removed_by_the_next_pool_and_no_other(tmp_path, monkeypatch):
    import signal
    import tempfile

    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    made = tmp_path / "made-by-the-killed-one"
    pid = os.fork()
    if pid == 0:  # pragma: no cover - the child: a sweep's process, SIGKILLed mid-launch
        try:
            pool = slots.SlotPool(1)
            made.write_text(pool.folder)
            os.kill(os.getpid(), signal.SIGKILL)
        finally:
            os._exit(1)  # never back into pytest
    os.waitpid(pid, 0)
    killed = Path(made.read_text())
    live = slots.SlotPool(1)  # another sweep, still running
    young = Path(tempfile.mkdtemp(prefix=slots.FOLDER_PREFIX))  # one being made just now
    long_ago = time.time() - 2 * slots.STALE_AFTER_S
    for folder in (killed, Path(live.folder)):
        os.utime(folder, (long_ago, long_ago))
    assert killed.is_dir()
    with slots.SlotPool(1) as fresh:
        assert not killed.exists()
        assert Path(live.folder, "slots").exists() and young.is_dir()
        assert Path(fresh.folder).is_dir()
    live.close()
    assert not Path(live.folder).exists()

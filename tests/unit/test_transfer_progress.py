"""The transfer's progress bar is built on a thread beside the transfer.

rich's import and the bar's set-up cost about 30 ms of a short command; the copy
must not wait for them, and what moved before the bar appeared must still be in
its final line.
"""

from __future__ import annotations

import io
import threading

import pytest
from rich.console import Console

from harness.datastore import transfer


@pytest.fixture
def slow_bar(monkeypatch):
    """``_bar`` waits for ``release`` first (a slow import of rich), and draws on a
    console that writes to a string instead of the terminal."""
    release = threading.Event()
    out = io.StringIO()
    monkeypatch.setattr(transfer, "_console", lambda: Console(file=out, width=120))
    real_bar = transfer._bar

    def bar():
        assert release.wait(10), "the test never released the bar"
        return real_bar()

    monkeypatch.setattr(transfer, "_bar", bar)
    return release, out


def test_the_transfer_moves_before_the_bar_exists_and_the_bar_counts_it(slow_bar):
    release, out = slow_bar
    with transfer._progress("upload → default:x", files=3, total=3000, show=True) as advance:
        # The bar is still being built: the transfer goes on all the same.
        advance(1000, 1)
        advance(1000, 1)
        release.set()
        advance(1000, 1)
    final = out.getvalue().rstrip().splitlines()[-1]
    assert "upload → default:x" in final and "3/3 files" in final and "3.0/3.0 kB" in final


def test_a_bar_that_cannot_be_built_fails_after_the_transfer_ends(monkeypatch):
    def broken():
        raise OSError("no terminal")

    monkeypatch.setattr(transfer, "_bar", broken)
    finished = []
    with (
        pytest.raises(OSError, match="no terminal"),
        transfer._progress("upload → default:x", files=1, total=10, show=True) as advance,
    ):
        advance(10, 1)
        finished.append(True)
    assert finished == [True]  # the transfer ran to its end before the error came


def test_no_progress_builds_no_bar(monkeypatch):
    monkeypatch.setattr(transfer, "_bar", lambda: pytest.fail("a bar was built"))
    with transfer._progress("upload → default:x", files=1, total=10, show=False) as advance:
        advance(10, 1)

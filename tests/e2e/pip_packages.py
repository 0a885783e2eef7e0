"""Plugin packages pip-installed for a test module, never into this environment.

A real ``pip install`` (a wheel build, ``*.dist-info`` with entry points), into a
throw-away ``--target`` folder that goes on ``PYTHONPATH`` while the module's tests
run, so every ``harness`` subprocess finds the plugins and the running environment
stays as it was (a notebook kernel using it never sees a half-installed plugin).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from harness.testing.plugin_site import pip_install_target

REPO = Path(__file__).resolve().parents[2]
EXAMPLE = REPO / "examples" / "harness-example-plugin"
BROKEN = Path(__file__).resolve().parent / "plugin_packages" / "harness-broken-plugins"


@contextmanager
def installed(sources: dict[str, Path], workdir: Path) -> Iterator[dict[str, str]]:
    """Install each source folder (dist name → folder) into ``workdir/site`` and put
    it on ``PYTHONPATH`` (which subprocesses inherit) until the block ends."""
    env = pip_install_target(workdir / "site", *sources.values(), build=workdir / "build")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("PYTHONPATH", env["PYTHONPATH"])
        yield env


def pytest_passed(stdout: str) -> bool:
    """Whether a nested pytest run's summary (its last line, "19 passed, 1 skipped in
    17.50s") counts passes and no failures; a test's name may say "failed"."""
    summary = stdout.strip().splitlines()[-1]
    return bool(re.search(r"\b\d+ passed\b", summary)) and not re.search(r"\b\d+ failed\b", summary)

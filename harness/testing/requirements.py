"""What a test needs from the machine, and what happens when the machine lacks it.

A test that needs a Slurm or Ray cluster, a browser, MPI, a GPU or a mountable
tmpfs calls ``unavailable(KIND, reason)`` when that cannot start here. On a
developer's machine the test then skips with the reason. Where the environment
says the thing must be there (``HARNESS_TEST_REQUIRE=cluster,browser,...``, which
``.ci/run`` sets), it fails instead: CI never goes green by skipping what it was
meant to test.
"""

from __future__ import annotations

import os
from typing import NoReturn

import pytest

__all__ = ["KINDS", "REQUIRE_ENV", "required", "unavailable"]

REQUIRE_ENV = "HARNESS_TEST_REQUIRE"
#: The test tiers (pytest markers of the same names): what each needs to run.
KINDS = {
    "cluster": "a one-node Slurm cluster (slurm-wlm, munge, root) or a local Ray cluster",
    "browser": "Chromium (Debian's /usr/bin/chromium) driven by Playwright",
    "mpi": "mpiexec (the mpi extra), and for two hosts a UTS namespace (root)",
    "gpu": "a CUDA device",
    "tmpfs": "mounting a small tmpfs (root), for a real full disk",
}


def required(kind: str) -> bool:
    """Whether this run must have ``kind`` (``HARNESS_TEST_REQUIRE``; ``all``: every kind)."""
    wanted = {k.strip() for k in os.environ.get(REQUIRE_ENV, "").split(",") if k.strip()}
    if kind not in KINDS:
        raise ValueError(f"unknown test requirement {kind!r}; one of {', '.join(KINDS)}")
    return kind in wanted or "all" in wanted


def unavailable(kind: str, reason: str) -> NoReturn:
    """``kind`` cannot be had here because of ``reason``: fail where it is required,
    skip with the reason otherwise."""
    if required(kind):
        pytest.fail(f"{kind} is required here ({REQUIRE_ENV}) but unavailable: {reason}")
    pytest.skip(reason)

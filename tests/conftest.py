import os
import shutil
import signal
import tempfile
from pathlib import Path

import pytest

from harness import envvars

# A shell without job control starts background commands with SIGINT ignored, and
# an ignored signal is inherited across exec: the harness processes that the Ctrl-C
# tests interrupt would never see it. Restore normal Ctrl-C for the whole session.
signal.signal(signal.SIGINT, signal.default_int_handler)

pytest_plugins = ["harness.testing.fixtures"]

# The harness's cache (the plugin index) goes to a throw-away folder, never the
# user's ~/.cache: a test changes nothing outside itself. Every command of the
# suite, subprocesses included, still reads and writes the index there.
_CACHE = tempfile.mkdtemp(prefix="harness-test-cache-")
os.environ[envvars.CACHE_DIR] = _CACHE


def pytest_unconfigure(config: pytest.Config) -> None:
    shutil.rmtree(_CACHE, ignore_errors=True)


#: The test tiers (markers registered in pyproject.toml; docs/testing.md): what a
#: test needs from the machine, known from the fixture that provides it or from its
#: file. `-m "not cluster and not browser and not mpi and not slow"` is the inner loop.
TIER_FIXTURES = {
    "cluster": {"slurm_env", "cluster"},
    "browser": {"browser_page"},
    "mpi": {"mpi_env", "agent"},
    "tmpfs": {"small_disk"},
}
TIER_FILES = {
    "cluster": {"test_slurm.py", "test_ray_cluster.py"},
    "mpi": {
        "test_mpi_compute.py", "test_mpi_frameworks.py", "test_mpi_script.py",
        "test_mpi_hosts.py", "test_faults_mpi.py", "test_mpi_contract.py",
        "test_pytorch_ddp.py",
    },
}  # fmt: skip


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        fixtures = set(getattr(item, "fixturenames", ()))
        name = Path(str(item.fspath)).name
        for tier, needs in TIER_FIXTURES.items():
            if fixtures & needs or name in TIER_FILES.get(tier, ()):
                item.add_marker(getattr(pytest.mark, tier))


@pytest.fixture
def home(harness_home):
    """Short alias: the temporary HARNESS_HOME of this test."""
    return harness_home

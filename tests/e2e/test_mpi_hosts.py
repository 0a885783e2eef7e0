"""compute=mpi across hosts: a real two-host Open MPI launch on one machine.

The second host is 127.0.0.2. mpiexec starts its daemon there through its launch
agent (``compute.rsh_agent``, ssh's stand-in here): the agent runs the daemon in a
new UTS namespace whose host name is ``harness-127.0.0.2``, so Open MPI sees two
machines, starts the remote daemon the way it does over ssh, and the ranks talk
over TCP. (Two "hosts" with the same host name hang in their first collective:
Open MPI tells nodes apart by name.) Also: hosts that cannot be reached, the same
machine named twice, and the ppr failure's reason.
"""

from __future__ import annotations

import shutil
import subprocess

import pytest
from test_mpi_compute import logs, mpi_env, show  # noqa: F401 - mpi_env is a fixture

from harness.testing import run_cli
from harness.testing.requirements import unavailable

AGENT = """#!/bin/sh
# Open MPI's launch agent: "$1" is the host, the rest the command to run there.
echo "$1" >> "{log}"
host=$1; shift
exec unshare --uts /bin/sh -c "hostname harness-$host; $*"
"""


@pytest.fixture(scope="module")
def agent(tmp_path_factory):
    probe = subprocess.run(["unshare", "--uts", "true"], capture_output=True, text=True)
    if probe.returncode != 0:
        unavailable("mpi", f"a second host needs a UTS namespace (root): {probe.stderr.strip()}")
    folder = tmp_path_factory.mktemp("agent")
    path = folder / "agent.sh"
    path.write_text(AGENT.format(log=folder / "launched.txt"))
    path.chmod(0o755)
    return path


def test_two_hosts_one_rank_each(home, mpi_env, agent):  # noqa: F811
    result = run_cli(
        "train", "+estimator=probe", "compute=mpi", "compute.node_count=2",
        "compute.hosts=[127.0.0.1,127.0.0.2]", f"compute.rsh_agent={agent}",
        home=home, env=mpi_env, timeout=180,
    )  # fmt: skip
    assert result.returncode == 0, result.output
    data = show(result.run_id, home)
    assert data["status"] == "Completed" and data["world_size"] == 2
    assert data["metrics"]["allreduce"] == 3
    rank_logs = logs(home, result.run_id)
    assert "probe rank=0 world=2" in rank_logs["rank_0.txt"]
    assert "probe rank=1 world=2" in rank_logs["rank_1.txt"]
    # rank 1 ran on the second host, whose daemon the agent started
    assert "host=harness-127.0.0.2" in rank_logs["rank_1.txt"]
    assert "host=harness-" not in rank_logs["rank_0.txt"]
    assert (agent.parent / "launched.txt").read_text().split() == ["127.0.0.2"]


def test_a_host_that_cannot_be_reached_is_named_with_the_cause(home, mpi_env):  # noqa: F811
    if shutil.which("ssh") is None:
        pytest.fail("this test needs the ssh client (apt-get install openssh-client)")
    result = run_cli(
        "train", "+estimator=probe", "compute=mpi", "compute.node_count=2",
        "compute.hosts=[127.0.0.1,127.0.0.3]",
        "compute.rsh_agent='ssh -o BatchMode=yes -o ConnectTimeout=5'",
        home=home, env=mpi_env, timeout=180,
    )  # fmt: skip
    assert result.returncode == 1, result.output
    error = show(result.run_id, home)["error"]
    assert error.startswith("could not start MPI on host 127.0.0.3: ssh: connect to host 127.0.0.3")
    assert "Connection refused" in error


def test_the_same_machine_named_twice_is_one_line(home, mpi_env):  # noqa: F811
    result = run_cli(
        "train", "+estimator=probe", "compute=mpi", "compute.node_count=2",
        "compute.hosts=[localhost,localhost]", home=home, env=mpi_env,
    )  # fmt: skip
    assert result.returncode == 2, result.output
    assert result.stderr.strip().splitlines() == [
        "harness: error: compute.hosts names localhost more than once: Open MPI counts a "
        "machine once, so its ranks would not fit; name each machine once (more ranks on "
        "one machine: compute.process_count_per_node, or host:SLOTS)"
    ]
    assert not (home / "runs").exists() or not any((home / "runs").iterdir())


def test_two_names_of_one_machine_fail_with_open_mpis_reason(home, mpi_env):  # noqa: F811
    result = run_cli(
        "train", "+estimator=probe", "compute=mpi", "compute.node_count=2",
        "compute.hosts=[localhost,127.0.0.1]", home=home, env=mpi_env, timeout=120,
    )  # fmt: skip
    assert result.returncode == 1, result.output
    error = show(result.run_id, home)["error"]
    # was "mpiexec exited with code 213:" and nothing else
    assert error.startswith(
        "mpiexec exited with code 213: Your job has requested more processes than the ppr"
    ), error
    assert "name each machine once" in error

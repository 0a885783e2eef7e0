"""The mpi compute's pieces: config checks, mpiexec command lines, failure diagnosis."""

from __future__ import annotations

import sys

import pytest

from harness.errors import ConfigError
from harness.plugins.mpi import launcher
from harness.plugins.mpi.diagnose import exception_line, failure_message
from harness.plugins.mpi.launcher import (
    MPICH,
    OPEN_MPI,
    MpiSettings,
    mpiexec_command,
    settings_from,
)

TAIL = [sys.executable, "-u", "-m", "mpi4py", "-m", "harness.plugins.mpi.rank", "job.json"]


def test_single_node_ranks_and_oversubscribe_only_past_the_core_count():
    settings = MpiSettings(process_count_per_node=2, mpiexec="/x/mpiexec")
    assert mpiexec_command(settings, OPEN_MPI, "job.json", cores=2) == [
        "/x/mpiexec",
        "-n",
        "2",
        *TAIL,
    ]
    assert mpiexec_command(settings, OPEN_MPI, "job.json", cores=1) == [
        "/x/mpiexec", "--oversubscribe", "-n", "2", *TAIL,
    ]  # fmt: skip


def test_hosts_and_hostfile_use_open_mpi_syntax_and_user_args_pass_through():
    hosts = MpiSettings(
        2, 2, hosts=["a", "b:8", "c"], mpiexec="m", mpiexec_args=["--bind-to", "none"]
    )
    assert mpiexec_command(hosts, OPEN_MPI, "job.json") == [
        "m", "--host", "a:2,b:8", "--map-by", "ppr:2:node", "-n", "4", "--bind-to", "none", *TAIL,
    ]  # fmt: skip
    hostfile = MpiSettings(1, 3, hostfile="/h", mpiexec="m")
    assert mpiexec_command(hostfile, OPEN_MPI, "job.json") == [
        "m", "--hostfile", "/h", "--map-by", "ppr:1:node", "-n", "3", *TAIL,
    ]  # fmt: skip
    assert mpiexec_command(hosts, MPICH, "job.json")[:6] == [
        "m",
        "-hosts",
        "a,b:8",
        "-ppn",
        "2",
        "-n",
    ]


def test_root_gets_open_mpis_two_consent_variables(monkeypatch):
    monkeypatch.setattr(launcher.os, "geteuid", lambda: 0)
    assert launcher.launcher_environment(OPEN_MPI) == launcher.ROOT_ENV
    assert launcher.launcher_environment(MPICH) == {}
    monkeypatch.setattr(launcher.os, "geteuid", lambda: 1000)
    assert launcher.launcher_environment(OPEN_MPI) == {}


@pytest.fixture()
def no_user_btl(monkeypatch, tmp_path):
    """No BTL choice in the environment, the home folder or the MPI prefix."""
    monkeypatch.delenv("OMPI_MCA_btl", raising=False)
    monkeypatch.setattr(launcher.Path, "home", lambda: tmp_path / "home")
    monkeypatch.setattr(launcher.os, "geteuid", lambda: 1000)
    (tmp_path / "prefix" / "bin").mkdir(parents=True)
    (tmp_path / "prefix" / "etc").mkdir()
    return tmp_path


def test_single_node_open_mpi_skips_the_fabric_probe_unless_told_otherwise(no_user_btl):
    mpiexec = str(no_user_btl / "prefix" / "bin" / "mpiexec")
    single = MpiSettings(process_count_per_node=2, mpiexec=mpiexec)
    assert launcher.launcher_environment(OPEN_MPI, single) == {"OMPI_MCA_btl": "^ofi"}
    assert launcher.launcher_environment(MPICH, single) == {}
    multi = MpiSettings(2, 2, hosts=["a", "b"], mpiexec=mpiexec)
    assert launcher.launcher_environment(OPEN_MPI, multi) == {}
    opted_out = MpiSettings(2, mpiexec=mpiexec, skip_fabric_probe=False)
    assert launcher.launcher_environment(OPEN_MPI, opted_out) == {}


@pytest.mark.parametrize("where", ["env", "args", "home file", "prefix file"])
def test_a_users_own_btl_choice_is_left_alone(no_user_btl, monkeypatch, where):
    mpiexec = str(no_user_btl / "prefix" / "bin" / "mpiexec")
    settings = MpiSettings(process_count_per_node=2, mpiexec=mpiexec)
    if where == "env":
        monkeypatch.setenv("OMPI_MCA_btl", "self,tcp")
    elif where == "args":
        settings.mpiexec_args = ["--mca", "btl", "self,tcp"]
    elif where == "home file":
        (no_user_btl / "home" / ".openmpi").mkdir(parents=True)
        (no_user_btl / "home" / ".openmpi" / "mca-params.conf").write_text("btl = self,tcp\n")
    else:
        conf = no_user_btl / "prefix" / "etc" / "openmpi-mca-params.conf"
        conf.write_text("# btl = commented out\nbtl=self,sm\n")
    assert launcher.launcher_environment(OPEN_MPI, settings) == {}


def test_a_commented_btl_line_is_not_a_choice(no_user_btl):
    conf = no_user_btl / "prefix" / "etc" / "openmpi-mca-params.conf"
    conf.write_text("# btl = self,tcp\nbtl_tcp_if_include = eth0\n")
    settings = MpiSettings(mpiexec=str(no_user_btl / "prefix" / "bin" / "mpiexec"))
    assert launcher.launcher_environment(OPEN_MPI, settings) == {"OMPI_MCA_btl": "^ofi"}


@pytest.mark.parametrize(
    ("node", "needle"),
    [
        ({"process_count_per_node": 0}, "process_count_per_node"),
        ({"node_count": 2}, "needs the machines"),
        ({"node_count": 3, "hosts": ["a", "b"]}, "names only 2"),
        ({"hosts": ["a"], "hostfile": __file__}, "not both"),
        ({"hostfile": "/no/such/hostfile"}, "/no/such/hostfile"),
        ({"timeout": -1}, "compute.timeout"),
        ({"mpiexec_args": [1]}, "mpiexec_args"),
        ({"skip_fabric_probe": "yes"}, "skip_fabric_probe"),
        ({"mpiexec": "/no/such/mpiexec"}, "compute.mpiexec"),
    ],
)
def test_bad_settings_are_config_errors(node, needle):
    with pytest.raises(ConfigError, match=needle.replace("/", "/")):
        settings_from(node)


def test_no_mpiexec_anywhere_says_what_to_install(monkeypatch, tmp_path):
    monkeypatch.setattr(launcher.sys, "executable", str(tmp_path / "python"))
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(launcher.MpiexecNotFoundError, match=r"pip install 'harness-ml\[mpi\]'"):
        launcher.find_mpiexec()


def test_failure_message_names_the_rank_that_raised(tmp_path):
    (tmp_path / "rank_0.txt").write_text("training\n")
    (tmp_path / "rank_1.txt").write_text(
        'Traceback (most recent call last):\n  File "x.py", line 1\n    boom()\n'
        "ValueError: bad shard\n"
    )
    (tmp_path / "mpiexec.txt").write_text("MPI_ABORT was invoked on rank 1\n")
    assert failure_message(tmp_path, 2, 1) == (
        "rank 1 failed: ValueError: bad shard; traceback in logs/rank_1.txt"
    )


def test_failure_message_for_a_killed_rank_and_for_launcher_errors(tmp_path):
    (tmp_path / "mpiexec.txt").write_text(
        "prterun noticed that process rank 1 with PID 7 on node vm exited on\nsignal 9 (Killed).\n"
    )
    assert failure_message(tmp_path, 2, 137).startswith("rank 1 was killed by signal 9")
    (tmp_path / "mpiexec.txt").write_text("----\nThere are not enough slots available\n----\n")
    assert "not enough slots" in failure_message(tmp_path, 4, 1)


def test_exception_line_skips_frames_and_chained_tracebacks():
    log = (
        'Traceback (most recent call last):\n  File "a"\nKeyError: 1\n\nDuring handling...\n\n'
        'Traceback (most recent call last):\n  File "b"\n    x()\nRuntimeError: second\nafter\n'
    )
    assert exception_line(log) == "RuntimeError: second"
    assert exception_line("no traceback here") is None

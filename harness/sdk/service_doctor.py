"""``harness doctor``'s look at the services (``$HARNESS_HOME/services/``).

The same promises as for runs: a damaged ``service.json`` is reported and, with
``--fix``, its folder moved to ``damaged/`` (its process, if one is left, cannot be
proven to be the service's, so nothing is signalled, as ``services delete`` does);
a record that says ``Starting``/``Healthy``/``Unhealthy`` while its process is gone
is recorded ``Failed`` by the examination itself (``serve.liveness``, as any reader
does). The harness's own leftovers are removed with ``--fix``: the trash of an
interrupted ``services delete``, a service whose start was interrupted before its
process existed (only staged models and source are in it), and the staging folder
of an interrupted ``update``/``reload`` whose process is gone.
"""

from __future__ import annotations

import re
from pathlib import Path

from harness.errors import HarnessError, NotFoundError
from harness.ids import NAME_PATTERN
from harness.run import processes
from harness.sdk.workspace_doctor import Finding, scan_records
from harness.serve import liveness
from harness.serve.launch import STAGING_PREFIX
from harness.serve.store import RECORD_FILE, ServiceStore

__all__ = ["examine_services"]

#: ``.staging-PID-TICKS-RANDOM`` (``serve.launch.staging_folder``).
_STAGING = re.compile(re.escape(STAGING_PREFIX) + r"(\d+)-(\d+)-[0-9a-f]+")


def examine_services(home: Path) -> list[Finding]:
    store = ServiceStore(home)
    return scan_records(
        store.root,
        lambda name: NAME_PATTERN.fullmatch(name) is not None,
        lambda entry: _service(store, entry),
        kind="service",
        not_one="not a service folder",
        trash_of="an interrupted services delete",
    )


def _service(store: ServiceStore, folder: Path) -> list[Finding]:
    try:
        record = store.get(folder.name)
    except NotFoundError:
        if not folder.exists():
            return []  # deleted while we looked
        problem = f"no {RECORD_FILE} in the folder"
        return [Finding("service", str(folder), problem, "move to damaged/")]
    except HarnessError as exc:
        return [Finding("service", str(folder), str(exc), "move to damaged/")]
    now = liveness.observe(store, record)  # a dead process: Failed, with the reason
    if liveness.interrupted(now):
        return [
            Finding(
                "leftover",
                str(folder),
                f"service '{record.name}' whose start was interrupted (the process that "
                f"started it, pid {record.starter_pid}, is gone; no service process ran)",
                "remove",
            )
        ]
    found: list[Finding] = []
    if now.status != record.status:
        found.append(
            Finding(
                "service",
                str(folder),
                f"was {record.status}: {now.error}",
                "marked Failed",
                fixed=True,
            )
        )
    for child in sorted(folder.iterdir()):
        match = _STAGING.fullmatch(child.name)
        if match and not processes.alive(int(match[1]), ticks=int(match[2]) or None):
            found.append(
                Finding(
                    "leftover",
                    str(child),
                    "staged files of an interrupted service update or reload",
                    "remove",
                )
            )
    return found

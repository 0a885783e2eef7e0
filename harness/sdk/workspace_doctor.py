"""``harness doctor``: find damaged or stuck workspace records, and repair them.

Listings already skip a damaged record with a warning; this is where it gets
cleared. Nothing is deleted that a user might want back: a damaged record's
folder is moved to ``$HARNESS_HOME/damaged/`` (its outputs stay readable there).
Only the harness's own leftovers (``.deleted-*`` trash, ``.staging-*`` folders of
interrupted registrations and service updates, services whose start was
interrupted) are removed. Services: ``service_doctor``.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable
from dataclasses import asdict, dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from harness.errors import HarnessError
from harness.ids import NAME_PATTERN, is_run_id
from harness.storage.workspace import harness_home

DAMAGED_DIR = "damaged"


@dataclass
class Finding:
    # run | sweep | sweep-link | sweep-job | sweep-summary | model | model-version |
    # model-state | leftover | datastore-registry | manifest | service
    kind: str
    path: str
    problem: str
    fix: str  # what --fix does (or did)
    fixed: bool = False

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


def examine(home: Path | None = None, *, fix: bool = False) -> list[Finding]:
    """Every problem found in the workspace; with ``fix``, each one repaired."""
    home = home or harness_home()
    findings: list[Finding] = []
    findings += _runs(home)
    findings += _sweeps(home)
    findings += _models(home)
    findings += _datastores(home)
    from harness.sdk.service_doctor import examine_services  # it builds on Finding

    findings += examine_services(home)
    if fix:
        for finding in findings:
            _repair(home, finding)
    return findings


def _runs(home: Path) -> list[Finding]:
    from harness.run.liveness import reconcile
    from harness.run.store import RunStore, load_record

    store = RunStore(home)

    def examine_run(entry: Path) -> list[Finding]:
        try:
            record = load_record(entry)
        except HarnessError as exc:
            return [Finding("run", str(entry), str(exc), "move to damaged/")]
        if record.is_final:
            return []
        now = reconcile(store, record)  # a dead driver: Failed, with the reason
        if now.status == record.status:
            return []
        problem = f"was {record.status}: {now.error}"
        return [Finding("run", str(entry), problem, "marked Failed", fixed=True)]

    return scan_records(
        store.root, is_run_id, examine_run,
        kind="run", not_one="not a run folder (name or type)", trash_of="an interrupted delete",
    )  # fmt: skip


def scan_records(
    root: Path,
    valid_name: Callable[[str], bool],
    examine_one: Callable[[Path], list[Finding]],
    *,
    kind: str,
    not_one: str,
    trash_of: str,
) -> list[Finding]:
    """The findings of a records folder (runs/, services/), in name order: the trash
    an interrupted delete left (``.deleted-*``), each entry that is no record folder
    (a bad name, a link, a file), and what ``examine_one`` finds in each record
    folder. Other hidden entries are the store's own and skipped."""
    found: list[Finding] = []
    if not root.is_dir():
        return found
    for entry in sorted(root.iterdir()):
        name = entry.name
        if name.startswith(".deleted-"):
            found.append(Finding("leftover", str(entry), f"trash of {trash_of}", "remove"))
        elif name.startswith("."):
            continue
        elif not valid_name(name) or entry.is_symlink() or not entry.is_dir():
            found.append(Finding(kind, str(entry), not_one, "move to damaged/"))
        else:
            found += examine_one(entry)
    return found


def _sweeps(home: Path) -> list[Finding]:
    from harness.sweeps.store import SweepStore

    store = SweepStore(home)
    found: list[Finding] = []
    if not store.root.is_dir():
        return found
    for entry in sorted(store.root.iterdir()):
        if entry.name.startswith("."):
            continue
        if not is_run_id(entry.name) or entry.is_symlink() or not entry.is_dir():
            found.append(Finding("sweep", str(entry), "not a sweep folder", "move to damaged/"))
            continue
        try:
            before = _status(entry / "sweep.json")
            record = store.get(entry.name)
        except HarnessError as exc:
            found.append(Finding("sweep", str(entry), str(exc), "move to damaged/"))
            continue
        if before != record.status:
            found.append(
                Finding(
                    "sweep",
                    str(entry),
                    f"was {before}: {record.error}",
                    "marked Failed",
                    fixed=True,
                )
            )
        # A damaged run link, job record or summary.json of a readable sweep.
        for damaged in store.damaged_files(entry.name):
            kind = "sweep-" + damaged.kind.removeprefix("sweep ")
            problem = f"damaged {damaged.kind}: {damaged.problem}"
            found.append(Finding(kind, damaged.path, problem, "move to damaged/"))
    return found


def _status(path: Path) -> str | None:
    from harness.storage.workspace import read_json_nofollow

    try:
        return str(read_json_nofollow(path).get("status"))
    except (OSError, ValueError, AttributeError):
        return None


def _models(home: Path) -> list[Finding]:
    from harness.errors import DamagedRecordError
    from harness.storage.model_records import ENTRY_FILE, STATE_FILE
    from harness.storage.model_records import read_entry as _read_entry
    from harness.storage.model_registry import ModelRegistry

    registry = ModelRegistry(home)
    found: list[Finding] = []
    if not registry.root.is_dir():
        return found
    for folder in sorted(registry.root.iterdir()):
        if not NAME_PATTERN.fullmatch(folder.name) or folder.is_symlink() or not folder.is_dir():
            found.append(Finding("model", str(folder), "not a model folder", "move to damaged/"))
            continue
        for child in sorted(folder.iterdir()):
            if child.name.startswith((".staging-", ".deleted-")):
                found.append(
                    Finding(
                        "leftover", str(child), "an interrupted registration or delete", "remove"
                    )
                )
            elif child.name.isdigit():
                try:
                    _read_entry(child / ENTRY_FILE)
                except DamagedRecordError as exc:
                    found.append(Finding("model-version", str(child), str(exc), "move to damaged/"))
        state = folder / STATE_FILE
        if os.path.lexists(state):
            try:
                registry._state(folder, strict=True)
            except DamagedRecordError as exc:
                found.append(
                    Finding(
                        "model-state",
                        str(state),
                        str(exc),
                        "rebuild from the versions on disk (aliases are lost)",
                    )
                )
    return found


def _datastores(home: Path) -> list[Finding]:
    """datastores.json, and the manifest of every datastore on this machine's disk
    (a remote one is not fetched here; its commands name a damaged manifest)."""
    from harness.datastore import manifest as mf
    from harness.datastore import settings
    from harness.datastore.paths import META_DIR
    from harness.errors import DamagedRecordError

    found: list[Finding] = []
    registry = home / settings.SETTINGS_FILE
    try:
        _, stores = settings.configured()
    except DamagedRecordError as exc:
        found.append(Finding("datastore-registry", str(registry), str(exc), "move to damaged/"))
        return found
    for name, entry in sorted(stores.items()):
        if entry.get("type") != "local":
            continue
        manifest = Path(str(entry["url"])) / META_DIR / mf.MANIFEST_NAME
        if not manifest.is_file() or not manifest.is_relative_to(home):
            continue  # a datastore outside the workspace is the user's own folder
        try:
            mf.parse(manifest.read_bytes())
        except (OSError, DamagedRecordError) as exc:
            found.append(
                Finding(
                    "manifest",
                    str(manifest),
                    f"damaged manifest of datastore '{name}': {exc}",
                    "move to damaged/ (then upload the data again to record it)",
                )
            )
    return found


def _repair(home: Path, finding: Finding) -> None:
    if finding.fixed:
        return
    path = Path(finding.path)
    if finding.fix == "remove":
        shutil.rmtree(path, ignore_errors=True)
    elif finding.fix.startswith("move to damaged/"):
        target_dir = home / DAMAGED_DIR
        target_dir.mkdir(exist_ok=True)
        stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
        relative = path.relative_to(home).as_posix().replace("/", "-")
        target = target_dir / f"{stamp}-{relative}"
        path.rename(target)
        finding.fix = f"moved to {target}"
    elif finding.kind == "model-state":
        _rebuild_state(path.parent)
    finding.fixed = True


def _rebuild_state(folder: Path) -> None:
    from filelock import FileLock

    from harness.storage.model_registry import STATE_FILE, RegistryState
    from harness.storage.workspace import atomic_write_json

    with FileLock(str(folder / ".lock")):
        versions = [int(p.name) for p in folder.iterdir() if p.name.isdigit()]
        state = RegistryState(next_version=max(versions, default=0) + 1)
        atomic_write_json(folder / STATE_FILE, state.to_json())

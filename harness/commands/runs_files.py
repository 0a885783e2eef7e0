"""``harness runs logs|download|tag|delete``: a run's files and its record."""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path
from typing import IO, Any

from harness.errors import ConfigError, HarnessError, NotFoundError
from harness.run.liveness import reconcile
from harness.run.record import CANCELED, COMPLETED, FAILED, RunRecord
from harness.run.store import RunStore

#: `logs -f` exit codes mirror `harness train`: the run's outcome.
FOLLOW_EXIT = {COMPLETED: 0, FAILED: 1, CANCELED: 130}
POLL_S = 0.25


def add_parsers(sub: Any) -> None:
    logs = sub.add_parser("logs", help="a run's captured output (-f follows a running job)")
    logs.add_argument("run_id")
    logs.add_argument("-f", "--follow", action="store_true", help="follow until the run ends")
    logs.add_argument("--file", help="only this file of logs/ (e.g. stderr.txt)")
    download = sub.add_parser("download", help="copy a file or folder out of a run")
    download.add_argument("run_id")
    download.add_argument("path", help="path inside the run folder, e.g. outputs/model.joblib")
    download.add_argument("dest", help="destination file or existing folder")
    tag = sub.add_parser("tag", help="set tags on a run: KEY=VALUE ...")
    tag.add_argument("run_id")
    tag.add_argument("tags", nargs="+", metavar="KEY=VALUE")
    delete = sub.add_parser("delete", help="delete runs and everything they wrote")
    delete.add_argument("run_ids", nargs="+", metavar="RUN_ID")
    delete.add_argument("--yes", "-y", action="store_true", help="do not ask for confirmation")


def inside_run(record: RunRecord, path: str) -> Path:
    """``path`` (relative to the run folder) checked: inside the run, no symlinks."""
    assert record.path is not None
    from harness.storage.safecopy import inside

    target = inside(record.path, path, f"run {record.id}")
    if not target.exists():
        raise NotFoundError(
            f"run {record.id} has no '{path}' (see `harness runs show {record.id}` for its files)"
        )
    return target


# -- logs -------------------------------------------------------------------
def _log_files(record: RunRecord, only: str | None) -> list[Path]:
    logs = record.logs_dir
    if only:
        if "/" in only or only in ("", ".", "..") or "\x00" in only:
            raise ConfigError(f"--file '{only}': give a file name from logs/, e.g. stderr.txt")
        path = logs / only
        if path.is_symlink() or not path.is_file():
            names = ", ".join(sorted(p.name for p in logs.glob("*.txt"))) or "(none yet)"
            raise NotFoundError(f"run {record.id} has no logs/{only}. Files: {names}")
        return [path]
    order = {"stdout.txt": 0, "stderr.txt": 1}
    return sorted(logs.glob("*.txt"), key=lambda p: (order.get(p.name, 2), p.name))


def _sink(path: Path) -> IO[bytes]:
    return sys.stderr.buffer if path.name == "stderr.txt" else sys.stdout.buffer


def cmd_logs(store: RunStore, opts: argparse.Namespace) -> int:
    record = reconcile(store, store.get(opts.run_id))
    offsets: dict[Path, int] = {}

    def pump() -> None:
        for path in _log_files(record, opts.file):
            with open(path, "rb") as handle:
                handle.seek(offsets.get(path, 0))
                chunk = handle.read()
            if chunk:
                offsets[path] = offsets.get(path, 0) + len(chunk)
                sink = _sink(path)
                sink.write(chunk)
                sink.flush()

    pump()
    if not opts.follow:
        return 0
    while not record.is_final:
        time.sleep(POLL_S)
        pump()
        record = reconcile(store, store.get(record.id))
    pump()  # whatever the job wrote between the last read and its end
    print(
        f"run {record.id}: {record.status}" + (f": {record.error}" if record.error else ""),
        file=sys.stderr,
    )
    return FOLLOW_EXIT.get(record.status, 1)


# -- download ---------------------------------------------------------------
def cmd_download(store: RunStore, opts: argparse.Namespace) -> int:
    from harness.cli.output import warn
    from harness.storage.safecopy import copy_out

    record = store.get(opts.run_id)
    source = inside_run(record, opts.path)
    report = copy_out(source, Path(opts.dest))
    for rel in report.skipped:
        warn(f"skipped {opts.path.rstrip('/')}/{rel}: a symlink or special file, not copied")
    print(report.target)
    return 0


# -- tag ----------------------------------------------------------------------
def cmd_tag(store: RunStore, opts: argparse.Namespace) -> int:
    tags: dict[str, str] = {}
    for item in opts.tags:
        key, sep, value = item.partition("=")
        if not sep or not key:
            raise ConfigError(f"tag '{item}': write KEY=VALUE")
        tags[key] = value
    record = store.set_tags(opts.run_id, tags)
    print(f"run {record.id} tags: " + ", ".join(f"{k}={v}" for k, v in record.tags.items()))
    return 0


# -- delete -------------------------------------------------------------------
def _confirm(question: str) -> bool:
    print(question, end=" ", flush=True)
    try:
        answer = sys.stdin.readline()
    except (OSError, ValueError):
        return False
    return answer.strip().lower() in ("y", "yes")


def cmd_delete(store: RunStore, opts: argparse.Namespace) -> int:
    from harness.errors import DamagedRecordError

    names = []
    for run_id in opts.run_ids:
        try:
            record = reconcile(store, store.get(run_id))
        except DamagedRecordError:
            names.append(store.folder(run_id).name)  # a damaged record can be deleted
            continue
        if not record.is_final:
            raise HarnessError(
                f"run {record.id} is still {record.status}; "
                f"cancel it first (`harness runs cancel {record.id}`)"
            )
        names.append(record.id)
    question = f"delete {len(names)} run(s) ({', '.join(names)}) and all their files? [y/N]"
    if not opts.yes and not _confirm(question):
        print("nothing deleted", file=sys.stderr)
        return 1
    for name in names:
        store.delete(name)
        print(f"deleted {name}")
    return 0


ACTIONS = {"logs": cmd_logs, "download": cmd_download, "tag": cmd_tag, "delete": cmd_delete}

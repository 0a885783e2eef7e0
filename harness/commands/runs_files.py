"""``harness runs logs|download|tag|delete``: a run's files and its record."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from harness.errors import ConfigError, HarnessError, NotFoundError
from harness.run.liveness import reconcile
from harness.run.record import CANCELED, COMPLETED, FAILED, RunRecord
from harness.run.store import RunStore
from harness.safetext import clean
from harness.sdk.follow import LogFollower, follow
from harness.sdk.run import Run

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


def cmd_logs(store: RunStore, opts: argparse.Namespace) -> int:
    handle = Run.get(opts.run_id)
    record = handle.record()
    _log_files(record, opts.file)  # a missing --file is one clear error
    # The same follower as run.wait_for_completion(show_output=True) in the Python API.
    if not opts.follow:
        LogFollower(record.logs_dir, opts.file).pump()
        return 0
    follow(record.logs_dir, lambda: handle.record().is_final, only=opts.file)
    record = handle.record()
    print(
        f"run {record.id}: {record.status}" + (f": {clean(record.error)}" if record.error else ""),
        file=sys.stderr,
    )
    return FOLLOW_EXIT.get(record.status, 1)


# -- download ---------------------------------------------------------------
def cmd_download(store: RunStore, opts: argparse.Namespace) -> int:
    print(Run.get(opts.run_id).download_file(opts.path, opts.dest))
    return 0


# -- tag ----------------------------------------------------------------------
def cmd_tag(store: RunStore, opts: argparse.Namespace) -> int:
    tags: dict[str, str] = {}
    for item in opts.tags:
        key, sep, value = item.partition("=")
        if not sep or not key:
            raise ConfigError(f"tag '{item}': write KEY=VALUE")
        tags[key] = value
    handle = Run.get(opts.run_id)
    handle.set_tags(tags)
    record = handle.record()
    shown = ", ".join(f"{clean(k)}={clean(v)}" for k, v in record.tags.items())
    print(f"run {record.id} tags: {shown}")
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

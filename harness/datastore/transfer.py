"""Upload, download and verify: the file-by-file work, in parallel, with progress.

Every file is hashed while it is copied (one read), written under a temporary
name and renamed, so a killed transfer never leaves a half file under a final
name. Completed files reach the manifest even when the transfer is interrupted;
a re-run finds the rest.

Stopping: on Ctrl-C (or a failure of another file) no new file starts, and the
files in flight stop at their next block (the progress callback raises
``TransferStopped``, which the copy code lets through and the file is discarded),
so an interrupt is answered within one block, not at the end of a large file. A
download first removes the temporary files that killed downloads left in the
folders it writes to.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import FIRST_EXCEPTION, ThreadPoolExecutor, wait
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from harness import envvars
from harness.datastore import manifest as mf
from harness.datastore.manifest import MANIFEST_NAME, FileEntry
from harness.datastore.paths import join_key, normalize_key, remove_dead_temps, walk_source

if TYPE_CHECKING:
    from harness.contract.datastore import Datastore

#: Threads per transfer: hashing and file I/O release the GIL.
WORKERS = int(os.environ.get(envvars.DATASTORE_THREADS, "0")) or min(8, 2 * (os.cpu_count() or 2))


@dataclass
class TransferSummary:
    action: str
    datastore: str
    path: str
    transferred: list[str] = field(default_factory=list)
    identical: list[str] = field(default_factory=list)
    existing_different: list[str] = field(default_factory=list)
    overwritten: list[str] = field(default_factory=list)
    bytes: int = 0
    seconds: float = 0.0

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    def print(self) -> None:
        verb = "uploaded" if self.action == "upload" else "downloaded"
        rate = self.bytes / self.seconds / 1e6 if self.seconds > 0 else 0.0
        print(
            f"{verb} {len(self.transferred)} file(s), {_human(self.bytes)} in "
            f"{self.seconds:.2f} s ({rate:.0f} MB/s)"
            + (f", {len(self.overwritten)} overwritten" if self.overwritten else "")
        )
        print(f"skipped {len(self.identical)} identical file(s)")
        if self.existing_different:
            print(
                f"skipped {len(self.existing_different)} existing file(s) that differ "
                "(left untouched; use --overwrite to replace them):"
            )
            for key in self.existing_different:
                print(f"  {key}")


@dataclass
class VerifyReport:
    datastore: str
    path: str
    ok: list[str] = field(default_factory=list)
    corrupt: list[str] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)
    untracked: list[str] = field(default_factory=list)

    @property
    def passed(self) -> bool:
        return not (self.corrupt or self.missing)

    def to_json(self) -> dict[str, Any]:
        return {**asdict(self), "passed": self.passed}


def _human(n: float) -> str:
    for unit in ("B", "KB", "MB", "GB"):
        if n < 1000 or unit == "GB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1000
    return f"{n} B"


@contextmanager
def _progress(description: str, files: int, total: int, show: bool) -> Iterator[Any]:
    """A rich bar in bytes with a files counter; yields ``advance(bytes, files)``."""
    if not show:
        yield lambda nbytes=0, nfiles=0: None
        return
    from rich.progress import (
        BarColumn,
        DownloadColumn,
        Progress,
        TextColumn,
        TimeRemainingColumn,
        TransferSpeedColumn,
    )

    bar = Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        TextColumn("{task.fields[done]}/{task.fields[files]} files"),
        DownloadColumn(),
        TransferSpeedColumn(),
        TimeRemainingColumn(),
        console=_console(),
        transient=False,
    )
    task = bar.add_task(description, total=total or 1, files=files, done=0)
    done = [0]
    lock = threading.Lock()

    def advance(nbytes: int = 0, nfiles: int = 0) -> None:
        with lock:
            done[0] += nfiles
            bar.update(task, advance=nbytes, done=done[0])

    with bar:
        yield advance
        if not total:
            bar.update(task, completed=1)


def _console() -> Any:
    """The real stderr (rich writes its own escape codes, which harness.safetext's
    escaping stream would spoil); in a notebook kernel plain text, not rich's live
    Jupyter display, whose widget saves as an empty one in the notebook file: the
    final line is kept."""
    import sys

    from rich.console import Console

    from harness.safetext import raw_stream

    if Console().is_jupyter:
        return Console(file=raw_stream(sys.stderr), force_jupyter=False, force_terminal=False)
    return Console(file=raw_stream(sys.stderr))


def _batches(items: list[Any], size_of: Callable[[Any], int]) -> list[list[Any]]:
    """Group small files (up to 64 files or 16 MB a batch) so that 20,000 tiny files
    do not pay a thread-pool round trip each; a large file gets a batch of its own."""
    batches: list[list[Any]] = []
    current: list[Any] = []
    current_bytes = 0
    for item in items:
        current.append(item)
        current_bytes += size_of(item)
        if len(current) >= 64 or current_bytes >= 16 << 20:
            batches.append(current)
            current, current_bytes = [], 0
    if current:
        batches.append(current)
    return batches


class TransferStopped(Exception):
    """Raised by a file's progress callback once the transfer stops: the copy in
    flight ends at that block and its file is discarded."""


def stoppable(advance: Callable[..., None], stop: threading.Event) -> Callable[[int], None]:
    """A per-file progress callback that also ends the copy once ``stop`` is set."""

    def moved(nbytes: int) -> None:
        if stop.is_set():
            raise TransferStopped
        advance(nbytes)

    return moved


def _run_parallel(
    items: list[Any],
    work: Callable[[Any], None],
    size_of: Callable[[Any], int],
    stop: threading.Event | None = None,
) -> None:
    """Run ``work`` over ``items`` on a thread pool. On Ctrl-C or a failure no new
    file starts, and copies that watch ``stop`` (``stoppable``) end at their next
    block; what they leave is discarded (each file is atomic)."""
    if not items:
        return
    stop = stop if stop is not None else threading.Event()

    def batch(group: list[Any]) -> None:
        for item in group:
            if stop.is_set():
                return
            try:
                work(item)
            except TransferStopped:
                return

    groups = _batches(items, size_of)
    pool = ThreadPoolExecutor(max_workers=min(WORKERS, len(groups)))
    try:  # submitting too: a Ctrl-C between two submits must stop the first ones
        pending = {pool.submit(batch, group) for group in groups}
        while pending:
            # A timeout: a signal the kernel handed to a worker thread does not wake
            # a blocked main thread, which runs Python's handler only when it wakes.
            done, pending = wait(pending, timeout=0.2, return_when=FIRST_EXCEPTION)
            for future in done:
                future.result()  # re-raise the first failure
    except BaseException:
        stop.set()
        raise
    finally:
        if _join(pool, stop):
            raise KeyboardInterrupt


def _join(pool: ThreadPoolExecutor, stop: threading.Event) -> bool:
    """Wait for the workers, also through another Ctrl-C (each stops within a block):
    the files they finished must reach the manifest before the interrupt goes on.
    True if a Ctrl-C came while waiting."""
    interrupted = False
    while True:
        try:
            pool.shutdown(wait=True, cancel_futures=True)
            return interrupted
        except KeyboardInterrupt:
            stop.set()
            interrupted = True


def _merge_manifest(
    store: Datastore,
    new: dict[str, FileEntry],
    written: set[str],
    recheck: bool,
    started_with: dict[str, FileEntry],
) -> None:
    """Record ``new`` in the manifest. A file this upload ``written`` may have been
    replaced since by a racing ``--overwrite`` upload; so, under the manifest lock,
    the entry is what is on disk now. It is hashed again when racing is this upload's
    premise (``recheck``: it overwrote), when another upload recorded an entry for
    that file since this one read the manifest (``started_with``), or when its size
    changed; a racing writer that has not recorded yet re-hashes when it does."""
    if not new:
        return

    with store.meta_lock():
        entries = mf.parse(store.read_meta(MANIFEST_NAME))
        for key in sorted(written & new.keys()):
            size = store.file_size(key)
            if size is None:  # removed meanwhile: nothing of ours to describe
                del new[key]
            elif recheck or entries.get(key) != started_with.get(key) or size != new[key].size:
                new[key] = store.hash_key(key, new[key].algorithm)
        entries.update(new)
        store.write_meta(MANIFEST_NAME, mf.dump(entries))


def _takes_exclusive(store: Datastore) -> bool:
    import inspect

    try:
        return "exclusive" in inspect.signature(store.put_file).parameters
    except (TypeError, ValueError):
        return False


def put_new(store: Datastore, key: str, path: Path, progress: Any, exclusive: bool) -> Any:
    """Put a file that must not replace one (``FileExistsError`` if one appeared)."""
    if exclusive:
        return store.put_file(key, path, progress, exclusive=True)
    with store.meta_lock():  # an older plugin: make check-and-put one step here
        if store.file_size(key) is not None:
            raise FileExistsError(key)
        return store.put_file(key, path, progress)


def upload(
    store: Datastore, src: Path, target: str, overwrite: bool, show: bool
) -> TransferSummary:
    key = normalize_key(target, allow_root=True)  # '' / '.': the root, v1's target_path=None
    files = list(walk_source(src))
    known = store.manifest()  # a damaged manifest: one line before anything changes
    if not key:
        for rel, _, _ in files:
            normalize_key(rel)  # at the root, a file may not land in the metadata folder
    store.remove_stale_temps(key)
    started_with = dict(known)  # what the manifest said before any racing upload
    summary = TransferSummary("upload", store.name, key)
    new: dict[str, FileEntry] = {}
    written: set[str] = set()
    lock = threading.Lock()
    started = time.perf_counter()
    exclusive = _takes_exclusive(store)
    stop = threading.Event()

    with _progress(
        f"upload → {store.name}:{key}", len(files), sum(f[2] for f in files), show
    ) as advance:

        def one(item: tuple[str, Path, int]) -> None:
            rel, path, size = item
            dest = join_key(key, rel)
            existing = store.file_size(dest)
            entry: FileEntry | None = None
            if existing is None:
                try:
                    entry = put_new(store, dest, path, stoppable(advance, stop), exclusive)
                    outcome = "transferred"
                except FileExistsError:  # a racing upload put it there first
                    existing = store.file_size(dest)
                    known.pop(dest, None)  # hash what is on disk now
            if entry is None:
                current = known.get(dest)
                if current is None or current.size != existing:
                    current = store.hash_key(dest)
                # Compared with the stored entry's own algorithm (an old manifest's
                # SHA-256); a file written anew gets the upload's algorithm.
                source = mf.hash_file(str(path), current.algorithm)
                if current == source:
                    entry, outcome = source, "identical"
                elif overwrite:
                    moved = stoppable(lambda n: None, stop)
                    entry, outcome = store.put_file(dest, path, moved), "overwritten"
                else:
                    entry, outcome = current, "existing_different"
                advance(size)
            with lock:
                if outcome in ("transferred", "overwritten"):
                    summary.bytes += entry.size
                    summary.transferred.append(dest)
                    written.add(dest)
                if outcome != "transferred":
                    getattr(summary, outcome).append(dest)
                if known.get(dest) != entry:
                    new[dest] = entry
            advance(0, 1)

        try:
            _run_parallel(files, one, lambda item: item[2], stop)
        finally:
            _merge_manifest(store, new, written, overwrite, started_with)  # also on Ctrl-C
    summary.seconds = time.perf_counter() - started
    for name in ("transferred", "identical", "existing_different", "overwritten"):
        getattr(summary, name).sort()
    return summary


def download(
    store: Datastore, target: str, dest: Path, overwrite: bool, show: bool
) -> TransferSummary:
    key = normalize_key(target, allow_root=True)
    files = store.require(key)
    known = store.manifest()
    summary = TransferSummary("download", store.name, key)
    checked: set[Path] = set()
    for src_key, _ in files:  # before anything is written or shown
        _refuse_links(dest, dest / mf.relative_to(src_key, key), checked)
    for folder in {(dest / mf.relative_to(src_key, key)).parent for src_key, _ in files}:
        remove_dead_temps(folder, recursive=False)  # what killed downloads left
    lock = threading.Lock()
    started = time.perf_counter()
    stop = threading.Event()
    with _progress(
        f"download {store.name}:{key}", len(files), sum(s for _, s in files), show
    ) as advance:

        def one(item: tuple[str, int]) -> None:
            src_key, size = item
            local = dest / mf.relative_to(src_key, key)
            expected = known.get(src_key)
            outcome = "transferred"
            if local.exists():
                wanted = expected or store.hash_key(src_key)
                have = mf.hash_file(str(local), wanted.algorithm)
                if have == wanted:
                    outcome = "identical"
                elif not overwrite:
                    outcome = "existing_different"
                else:
                    outcome = "overwritten"
            if outcome in ("transferred", "overwritten"):
                store.get_file(src_key, local, expected, stoppable(advance, stop))
            else:
                advance(size)
            with lock:
                if outcome in ("transferred", "overwritten"):
                    summary.bytes += size
                    summary.transferred.append(str(local))
                if outcome != "transferred":
                    getattr(summary, outcome).append(str(local))
            advance(0, 1)

        _run_parallel(files, one, lambda item: item[1], stop)
    summary.seconds = time.perf_counter() - started
    return summary


def _refuse_links(dest: Path, local: Path, checked: set[Path]) -> None:
    """No folder between ``dest`` (the user's choice) and ``local``, nor ``local``
    itself, may be a symlink: a download never writes through one planted in the
    destination. Folders already checked are remembered (one lstat each)."""
    from harness.datastore.errors import UnsafePathError

    parts = local.relative_to(dest).parts
    current = dest
    for i, part in enumerate(parts):
        current = current / part
        if current in checked:
            continue
        if current.is_symlink():
            raise UnsafePathError(
                f"'{current}' in the destination is a symlink; a download never writes "
                "through one (remove it or choose another destination)"
            )
        if i < len(parts) - 1 and current.is_dir():
            checked.add(current)


def verify(store: Datastore, path: str) -> VerifyReport:
    key = normalize_key(path, allow_root=True)
    entries = mf.entries_under(store.manifest(), key)
    present = dict(store.iter_files(key))
    if not entries and not present:
        store.require(key)
    report = VerifyReport(store.name, key)
    lock = threading.Lock()

    def one(item: tuple[str, FileEntry]) -> None:
        name, expected = item
        if name not in present:
            outcome = "missing"
        else:
            got = store.hash_key(name, expected.algorithm)
            outcome = "ok" if got == expected else "corrupt"
        with lock:
            getattr(report, outcome).append(name)

    _run_parallel(sorted(entries.items()), one, lambda item: item[1].size)
    report.untracked = sorted(set(present) - set(entries))
    for name in ("ok", "corrupt", "missing"):
        getattr(report, name).sort()
    return report

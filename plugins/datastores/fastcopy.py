"""Copying one file into a local datastore with as few syscalls as the OS allows.

- Linux ``O_TMPFILE``: the data goes into an unnamed file that ``linkat`` then
  gives its final name, so a killed upload leaves nothing behind at all and a new
  file costs one directory change instead of two (create + rename). Elsewhere, or
  when the final name exists, a hidden temporary name and ``os.replace``.
- Large files are copied block by block with ``copy_file_range``, inside the kernel
  (as ``cp`` does), while a second thread hashes the blocks already copied, from an
  ``mmap`` of the *new* file: copy and hash overlap, and the hash is of exactly the
  bytes stored even if the source changes meanwhile. Python code never touches a
  byte. Where the kernel cannot copy between the two files (another file system on
  an old kernel, EXDEV …), each block is read into this thread's buffer, hashed
  there and written from it.

  The read-hash-write way was also tried for every large file whenever each core
  already had one (less CPU per byte in a warm process: 1.04× ``cp -r`` against
  0.88×, 4 × 256 MiB). In a new process, which is how every ``harness datastore
  upload`` and most notebooks' first upload run, it took 0.52–1.5 s against
  0.38–0.41 s for the kernel copy (5 alternated pairs): 70 % of its time went to
  filling new page-cache folios from the buffer (``copy_folio_from_iter_atomic``),
  memory this VM's host has to back again once the guest has reported it free
  (after an idle pause the same process is slow again). So the kernel copies
  whenever it can (benchmarks/README.md, start-up and uploads).
- Small files: one read and a write of each chunk.
- Writes go in pieces of at most ``WRITE_PIECE`` (64 KiB, the size of a pipe's
  worth of pages that the kernel's own copy writes at a time): a larger ``write``
  makes ext4 put it in larger page-cache folios, the memory that is slow to fill
  above. Read-hash-write of 4 × 256 MiB in a new process, 8 alternated rounds:
  0.54-0.73 s with 64 KiB pieces, 0.53-1.72 s with 256 KiB (1 MiB pieces stalled
  even in a warm process).
- The ``progress`` callback is called after every block; an exception it raises
  (the transfer's stop on Ctrl-C) ends the copy there and discards the file.
"""

from __future__ import annotations

import errno
import mmap
import os
import queue
import threading
from collections.abc import Callable
from typing import Any

from harness.contract.datastore import (
    CHUNK,
    FileEntry,
    Progress,
    digest_entry,
    new_digest,
    temp_name,
)

#: Files from this size on are copied block by block (above).
LARGE = 4 << 20
_KERNEL_CHUNK = 16 << 20
#: The most one ``write`` is given (see the module's docstring).
WRITE_PIECE = 64 << 10
_NO_KERNEL_COPY = {errno.EXDEV, errno.ENOSYS, errno.EINVAL, errno.EOPNOTSUPP, errno.EBADF}
_proc_fd: int | None = None
_proc_lock = threading.Lock()


def _proc_fds() -> int | None:
    """A handle on /proc/self/fd (for linkat), or None where there is no /proc."""
    global _proc_fd
    with _proc_lock:
        if _proc_fd is None:
            try:
                _proc_fd = os.open("/proc/self/fd", os.O_RDONLY | os.O_DIRECTORY)
            except OSError:
                _proc_fd = -1
    return _proc_fd if _proc_fd >= 0 else None


def write_file(
    src: str,
    final: str,
    mode: int,
    progress: Progress | None,
    *,
    exclusive: bool = False,
    check: Callable[[FileEntry], None] | None = None,
    algorithm: str | None = None,
) -> FileEntry:
    """Copy ``src`` to ``final`` atomically, hashing it; returns its size and hash.

    ``exclusive``: never replace an existing ``final`` (``FileExistsError``); the
    final step is a ``link``, which the kernel refuses when the name exists, so of
    two racing writers exactly one wins. ``check`` is called with the entry before
    the file gets its name (a download's comparison with the manifest: raising
    there leaves nothing). ``algorithm``: the hash (default: the current one).
    """
    parent = os.path.dirname(final)
    proc = _proc_fds()
    anonymous = -1
    if proc is not None and hasattr(os, "O_TMPFILE"):
        try:  # readable too: the hash thread maps what was written
            anonymous = os.open(parent, os.O_TMPFILE | os.O_RDWR | os.O_CLOEXEC, mode)
        except OSError:
            anonymous = -1  # the filesystem has no O_TMPFILE: use a temporary name
    if anonymous >= 0:
        try:
            entry = _copy(src, anonymous, progress, algorithm)
            if check is not None:
                check(entry)
            try:
                os.link(str(anonymous), final, src_dir_fd=proc, follow_symlinks=True)
            except FileExistsError:  # replacing a file: link under a temp name, rename
                if exclusive:
                    raise
                tmp = temp_name(final)
                os.link(str(anonymous), tmp, src_dir_fd=proc, follow_symlinks=True)
                os.replace(tmp, final)
            return entry
        finally:
            os.close(anonymous)
    tmp = temp_name(final)
    flags = os.O_RDWR | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC
    out = os.open(tmp, flags, mode)
    try:
        entry = _copy(src, out, progress, algorithm)
        if check is not None:
            check(entry)
        os.close(out)
        out = -1
        if exclusive:
            os.link(tmp, final)  # EEXIST if another writer got there first
            os.unlink(tmp)
        else:
            os.replace(tmp, final)
        return entry
    except BaseException:
        if out >= 0:
            os.close(out)
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def _copy(src: str, out: int, progress: Progress | None, algorithm: str | None) -> FileEntry:
    fd = os.open(src, os.O_RDONLY | os.O_CLOEXEC)
    try:
        size = os.fstat(fd).st_size
        if size >= LARGE:
            return _copy_large(fd, out, size, progress, algorithm)
        return _copy_buffered(fd, out, progress, algorithm)
    finally:
        os.close(fd)


class _BlockHasher:
    """A thread that hashes the blocks of ``out`` the copy has written, in order,
    from an ``mmap`` of each (the hash releases the GIL, so it runs beside the next
    ``copy_file_range``). At most two blocks wait, so memory stays flat."""

    _DONE = (-1, -1)

    def __init__(self, out: int, digest: Any) -> None:
        self.out = out
        self.digest = digest
        self.blocks: queue.Queue[tuple[int, int]] = queue.Queue(maxsize=2)
        self.error: BaseException | None = None
        self.stopped = False
        self.thread = threading.Thread(target=self._loop, name="harness-hash", daemon=True)
        self.thread.start()

    def give(self, offset: int, length: int) -> None:
        if self.error is not None:
            raise self.error
        self.blocks.put((offset, length))

    def _loop(self) -> None:
        while True:
            offset, length = self.blocks.get()
            try:
                if length < 0:
                    return
                if self.error is not None or self.stopped:
                    continue  # keep taking blocks so give() never waits on a dead thread
                self._hash(offset, length)
            except BaseException as exc:  # handed to the copying thread
                self.error = exc

    def _hash(self, offset: int, length: int) -> None:
        start = offset - offset % mmap.ALLOCATIONGRANULARITY  # mmap offsets are aligned
        with mmap.mmap(
            self.out, offset + length - start, access=mmap.ACCESS_READ, offset=start
        ) as mapped:
            view = memoryview(mapped)
            try:
                self.digest.update(view[offset - start :])
            finally:
                view.release()

    def finish(self, failed: bool) -> None:
        """Wait for the hash of every block given (or, ``failed``, just stop)."""
        self.stopped = failed
        self.blocks.put(self._DONE)
        self.thread.join()
        if self.error is not None and not failed:
            raise self.error


def _copy_large(
    fd: int, out: int, size: int, progress: Progress | None, algorithm: str | None
) -> FileEntry:
    """Block by block in the kernel with the hash on a second thread; where the
    kernel refuses before its first block, read, hashed and written by this thread."""
    digest = new_digest(algorithm, threads=1)
    hasher: _BlockHasher | None = None
    kernel = hasattr(os, "copy_file_range")
    done = 0
    try:
        while done < size:
            n = -1
            if kernel:
                try:
                    n = os.copy_file_range(fd, out, min(_KERNEL_CHUNK, size - done), done, done)
                except OSError as exc:
                    if exc.errno not in _NO_KERNEL_COPY or hasher is not None:
                        raise
                    kernel = False  # nothing went through the kernel yet: copy it ourselves
                else:
                    if n:
                        if hasher is None:
                            hasher = _BlockHasher(out, digest)
                        hasher.give(done, n)
            if n < 0:  # no kernel copy between these files: this thread copies
                n = _copy_block(fd, out, done, digest)
            if n == 0:  # the source shrank while we copied
                break
            done += n
            if progress is not None:
                progress(n)
    except BaseException:
        if hasher is not None:
            hasher.finish(failed=True)
        raise
    if hasher is not None:
        hasher.finish(failed=False)
    return digest_entry(done, digest)


_buffers = threading.local()


def _buffer() -> bytearray:
    """This thread's copy buffer: allocating 1 MB per small file costs more than the copy."""
    buffer = getattr(_buffers, "buffer", None)
    if buffer is None:
        buffer = _buffers.buffer = bytearray(CHUNK)
    return buffer


def _copy_block(fd: int, out: int, offset: int, digest: Any) -> int:
    """Read up to a chunk at ``offset``, hash it and write it at the same offset;
    the bytes hashed are the bytes written. Returns how many (0 at the end)."""
    buffer = _buffer()
    n = os.preadv(fd, [buffer], offset)
    view = memoryview(buffer)[:n]
    digest.update(view)
    for start in range(0, n, WRITE_PIECE):
        piece = view[start : start + WRITE_PIECE]
        at = offset + start
        while piece:  # os.pwrite may write less than asked
            written = os.pwrite(out, piece, at)
            piece, at = piece[written:], at + written
    return n


def _copy_buffered(
    fd: int, out: int, progress: Progress | None, algorithm: str | None
) -> FileEntry:
    digest = new_digest(algorithm)
    size = 0
    while n := _copy_block(fd, out, size, digest):
        size += n
        if progress is not None:
            progress(n)
    return digest_entry(size, digest)

"""Copying one file into a local datastore with as few syscalls as the OS allows.

- Linux ``O_TMPFILE``: the data goes into an unnamed file that ``linkat`` then
  gives its final name, so a killed upload leaves nothing behind at all and a new
  file costs one directory change instead of two (create + rename). Elsewhere, or
  when the final name exists, a hidden temporary name and ``os.replace``.
- Large files are copied block by block, each block one of two ways, chosen before
  it by whether this process has a large copy for every core already:
  - *spare cores*: ``copy_file_range`` copies the block inside the kernel (as ``cp``
    does) while a second thread hashes the blocks already copied, from an ``mmap``
    of the *new* file: copy and hash overlap, so one file on two cores is bound by
    the slower of the two, not their sum;
  - *every core busy* (several large files at once): the block is read into this
    thread's buffer, hashed there and written from it. That takes less CPU per byte
    than the kernel copy plus a hash over the freshly copied pages (the hash alone
    0.24 s/GiB from a warm buffer against 0.29 from new page-cache folios), and
    with a file per core nothing is left to overlap. 4 × 256 MiB, in-process:
    1.04× ``cp -r``, against 0.88× with the kernel copy for every file.

  Either way the hash is of exactly the bytes stored, even if the source changes
  meanwhile, and Python code never touches a byte. Small files: one read and a
  write of each chunk.
- Writes go in pieces of at most ``WRITE_PIECE``: one ``write`` of 1 MiB makes ext4
  put it in large page-cache folios, and on this project's VMs those sometimes cost
  4-5× as long to fill (a quarter of 4 × 256 MiB copies took 1.0-1.6 s instead of
  0.23 s; none in 60 with 256 KiB pieces).
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

#: Files from this size on are copied block by block (the two ways above).
LARGE = 4 << 20
_KERNEL_CHUNK = 16 << 20
#: The most one ``write`` is given (see the module's docstring).
WRITE_PIECE = 256 << 10
#: Large copies in flight in this process, against the cores it may use.
_large_copies = [0]
_large_lock = threading.Lock()
_CORES = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1
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

    def drain(self) -> None:
        """Wait until every block given is in the digest (the copying thread then
        hashes the next blocks itself)."""
        self.blocks.join()
        if self.error is not None:
            raise self.error

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
            finally:
                self.blocks.task_done()

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


def _cores_busy() -> bool:
    """Whether this process copies a large file for every core it may use."""
    return _large_copies[0] >= _CORES


def _copy_large(
    fd: int, out: int, size: int, progress: Progress | None, algorithm: str | None
) -> FileEntry:
    """Block by block, each block in the kernel with the hash on a second thread, or
    (every core busy, or no kernel copy between these files) read, hashed and written
    by this thread; the digest takes the blocks in order either way."""
    digest = new_digest(algorithm, threads=1)
    hasher: _BlockHasher | None = None
    kernel = hasattr(os, "copy_file_range")
    done = 0
    with _large_lock:
        _large_copies[0] += 1
    try:
        while done < size:
            n = -1
            if kernel and not _cores_busy():
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
            if n < 0:  # this block is ours to read, hash and write
                if hasher is not None:
                    hasher.drain()  # the blocks it holds come first in the digest
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
    finally:
        with _large_lock:
            _large_copies[0] -= 1
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

"""Copying one file into a local datastore with as few syscalls as the OS allows.

- Linux ``O_TMPFILE``: the data goes into an unnamed file that ``linkat`` then
  gives its final name, so a killed upload leaves nothing behind at all and a new
  file costs one directory change instead of two (create + rename). Elsewhere, or
  when the final name exists, a hidden temporary name and ``os.replace``.
- Large files: ``copy_file_range`` copies inside the kernel (as ``cp`` does) while
  the source is hashed straight from an ``mmap``, so no byte is copied through
  Python. Small files: one ``read`` and one ``write``.
"""

from __future__ import annotations

import errno
import mmap
import os
import threading

from harness.contract.datastore import (
    CHUNK,
    FileEntry,
    Progress,
    digest_entry,
    new_digest,
    temp_name,
)

#: Files from this size on take the copy_file_range + mmap path.
LARGE = 4 << 20
_KERNEL_CHUNK = 16 << 20
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
    src: str, final: str, mode: int, progress: Progress | None, *, exclusive: bool = False
) -> FileEntry:
    """Copy ``src`` to ``final`` atomically, hashing it; returns its size and hash.

    ``exclusive``: never replace an existing ``final`` (``FileExistsError``); the
    final step is a ``link``, which the kernel refuses when the name exists, so of
    two racing writers exactly one wins.
    """
    parent = os.path.dirname(final)
    proc = _proc_fds()
    anonymous = -1
    if proc is not None and hasattr(os, "O_TMPFILE"):
        try:
            anonymous = os.open(parent, os.O_TMPFILE | os.O_WRONLY, mode)
        except OSError:
            anonymous = -1  # the filesystem has no O_TMPFILE: use a temporary name
    if anonymous >= 0:
        try:
            entry = _copy(src, anonymous, progress)
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
    out = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, mode)
    try:
        entry = _copy(src, out, progress)
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


def _copy(src: str, out: int, progress: Progress | None) -> FileEntry:
    fd = os.open(src, os.O_RDONLY)
    try:
        size = os.fstat(fd).st_size
        if size >= LARGE and hasattr(os, "copy_file_range"):
            entry = _copy_kernel(fd, out, size, progress)
            if entry is not None:
                return entry
        return _copy_buffered(fd, out, progress)
    finally:
        os.close(fd)


def _copy_kernel(fd: int, out: int, size: int, progress: Progress | None) -> FileEntry | None:
    """copy_file_range for the bytes, the mmap'd source for the hash; None if the
    kernel cannot copy between these files (nothing written then)."""
    digest = new_digest()
    with mmap.mmap(fd, size, access=mmap.ACCESS_READ) as mapped:
        view = memoryview(mapped)
        try:
            done = 0
            while done < size:
                try:
                    n = os.copy_file_range(fd, out, min(_KERNEL_CHUNK, size - done), done, done)
                except OSError as exc:
                    if done == 0 and exc.errno in _NO_KERNEL_COPY:
                        return None
                    raise
                if n == 0:  # the source shrank while we copied
                    break
                digest.update(view[done : done + n])
                done += n
                if progress is not None:
                    progress(n)
            return digest_entry(done, digest)
        finally:
            view.release()


_buffers = threading.local()


def _copy_buffered(fd: int, out: int, progress: Progress | None) -> FileEntry:
    digest = new_digest()
    size = 0
    buffer = getattr(_buffers, "buffer", None)
    if (
        buffer is None
    ):  # one buffer per thread: allocating 1 MB per small file costs more than the copy
        buffer = _buffers.buffer = bytearray(CHUNK)
    view = memoryview(buffer)
    while n := os.readv(fd, [buffer]):
        chunk = view[:n]
        digest.update(chunk)
        while chunk:  # os.write may write less than asked
            chunk = chunk[os.write(out, chunk) :]
        size += n
        if progress is not None:
            progress(n)
    return digest_entry(size, digest)

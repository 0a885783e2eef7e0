"""Copies out of the workspace: regular files only, never through a symlink.

Everything that copies a file or folder out of a run or the registry
(``runs download``, ``models register``, ``models download``) goes through
``copy_out``. The rules:

- the source path is named relative to a root (the run folder); no component of
  it may be a symlink, and it must stay inside the root (refused, one line);
- inside a folder, **symlinks and special files (FIFOs, sockets, devices) are
  skipped** and reported by name: a job that plants ``outputs/x -> /etc/shadow``
  gets nothing copied for it. Files are opened with ``O_NOFOLLOW`` relative to
  their folder's descriptor, so swapping a file for a link mid-copy does not help;
- the destination is written through a temporary name that is unpredictable and
  created with ``O_CREAT|O_EXCL|O_NOFOLLOW``, then renamed: a link planted at any
  name beside the destination is never written through. A folder destination must
  not exist yet; its sub-folders are created by us and opened with ``O_NOFOLLOW``.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import posixpath
import secrets
import stat
from dataclasses import dataclass, field
from pathlib import Path

from harness.errors import ConfigError, NotFoundError

__all__ = ["RUN_FILE_FOLDERS", "CopyReport", "UnsafeCopyError", "copy_out", "inside", "run_file"]

#: The folders of a run whose files may leave it (``runs download``, ``models
#: register``, ``run.download_file``, the dashboard): what ``get_file_names`` lists.
RUN_FILE_FOLDERS = ("outputs", "logs")

_DIR_FLAGS = os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC
_READ_FLAGS = os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC
_CREATE_FLAGS = os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC
_CHUNK = 1 << 20


class UnsafeCopyError(ConfigError):
    """A copy would follow a symlink or leave its root."""


@dataclass
class CopyReport:
    #: path relative to the copied folder (or the file's name) → sha256
    files: dict[str, str] = field(default_factory=dict)
    #: relative paths left out because they are symlinks or not regular files
    skipped: list[str] = field(default_factory=list)
    bytes: int = 0
    target: Path | None = None


def inside(root: Path, relative: str, what: str) -> Path:
    """``root/relative`` checked lexically and component by component: it must stay
    under ``root`` and no part of it may be a symlink. ``what`` names the root in
    messages (e.g. "run 2026…")."""
    if "\x00" in relative:
        raise UnsafeCopyError(f"'{relative!r}' contains a NUL byte")
    root = Path(os.path.abspath(root))
    target = Path(os.path.normpath(root / relative))
    if target != root and not target.is_relative_to(root):
        raise UnsafeCopyError(f"'{relative}' is outside the folder of {what} ({root})")
    current = root
    for part in target.relative_to(root).parts:
        current = current / part
        try:
            mode = os.lstat(current).st_mode
        except FileNotFoundError:
            raise NotFoundError(f"{what} has no '{relative}'") from None
        if stat.S_ISLNK(mode):
            raise UnsafeCopyError(
                f"'{current.relative_to(root)}' in {what} is a symlink; only regular files "
                "and folders are copied out of the workspace"
            )
    return target


def normalized(relative: str, what: str) -> str:
    """``relative`` as the path it names: ``outputs/../run.json`` → ``run.json``.
    Every prefix rule is checked on this, never on the text as typed. An absolute
    path, a NUL byte, a backslash or a path leaving its root is refused."""
    if not isinstance(relative, str) or "\x00" in relative or "\\" in relative:
        raise UnsafeCopyError(f"'{relative!r}' is not a relative path with '/' separators")
    path = posixpath.normpath(relative)
    if path.startswith("/") or path == ".." or path.startswith("../"):
        raise UnsafeCopyError(
            f"'{relative}' is outside the folder of {what}; give a path inside it "
            "(e.g. outputs/model.pkl)"
        )
    return path


def run_file(run_dir: Path, relative: str, what: str) -> Path:
    """A file or folder of a run that may be copied out: under ``outputs/`` or
    ``logs/`` once normalised (so ``outputs/../run.json`` is refused), and
    ``inside`` the run folder with no symlink on the way."""
    path = normalized(relative, what)
    if path.split("/", 1)[0] not in RUN_FILE_FOLDERS:
        shown = f" (that is '{path}')" if path != relative else ""
        raise UnsafeCopyError(
            f"'{relative}'{shown} is not under outputs/ or logs/ of {what}: only a run's "
            "outputs/ and logs/ are copied out"
        )
    return inside(run_dir, path, what)


def copy_out(source: Path, dest: Path, *, hash_files: bool = False) -> CopyReport:
    """Copy the regular file or folder ``source`` to ``dest``.

    ``dest`` an existing folder: the copy goes inside it under ``source``'s name.
    A folder copy refuses an existing target; a file copy replaces one atomically.
    """
    report = CopyReport()
    src_mode = os.lstat(source).st_mode
    if stat.S_ISLNK(src_mode):
        raise UnsafeCopyError(f"'{source}' is a symlink; only regular files are copied")
    target = dest / source.name if dest.is_dir() else dest
    parent = target.parent
    if not parent.is_dir():
        raise NotFoundError(f"no folder '{parent}' to copy into")
    parent_fd = os.open(parent, _DIR_FLAGS & ~os.O_NOFOLLOW)  # the user named this folder
    try:
        if stat.S_ISREG(src_mode):
            src_parent = os.open(source.parent, _DIR_FLAGS)
            try:
                _copy_file(
                    src_parent,
                    source.name,
                    parent_fd,
                    target.name,
                    report,
                    source.name,
                    hash_files,
                    replace=True,
                )
            finally:
                os.close(src_parent)
        elif stat.S_ISDIR(src_mode):
            try:
                os.mkdir(target.name, 0o755, dir_fd=parent_fd)
            except FileExistsError:
                raise ConfigError(f"'{target}' already exists; choose a new folder name") from None
            src_fd = os.open(source, _DIR_FLAGS)
            try:
                dst_fd = os.open(target.name, _DIR_FLAGS, dir_fd=parent_fd)
                try:
                    _copy_tree(src_fd, dst_fd, "", report, hash_files)
                finally:
                    os.close(dst_fd)
            finally:
                os.close(src_fd)
        else:
            raise UnsafeCopyError(f"'{source}' is not a regular file or folder")
    finally:
        os.close(parent_fd)
    report.target = target
    report.skipped.sort()
    return report


def _copy_tree(src_fd: int, dst_fd: int, rel: str, report: CopyReport, hash_files: bool) -> None:
    with os.scandir(src_fd) as entries:
        items = sorted(
            (e.name, e.is_dir(follow_symlinks=False), e.is_file(follow_symlinks=False))
            for e in entries
        )
    for name, is_dir, is_file in items:
        rel_name = f"{rel}{name}"
        if is_dir:
            try:
                child_src = os.open(name, _DIR_FLAGS, dir_fd=src_fd)
            except OSError:  # swapped for a link since the listing
                report.skipped.append(rel_name)
                continue
            try:
                os.mkdir(name, 0o755, dir_fd=dst_fd)
                child_dst = os.open(name, _DIR_FLAGS, dir_fd=dst_fd)
                try:
                    _copy_tree(child_src, child_dst, rel_name + "/", report, hash_files)
                finally:
                    os.close(child_dst)
            finally:
                os.close(child_src)
        elif is_file:
            _copy_file(src_fd, name, dst_fd, name, report, rel_name, hash_files, replace=False)
        else:
            report.skipped.append(rel_name)  # a symlink, FIFO, socket or device


def _copy_file(
    src_dir: int,
    src_name: str,
    dst_dir: int,
    dst_name: str,
    report: CopyReport,
    rel: str,
    hash_files: bool,
    *,
    replace: bool,
) -> None:
    try:
        fd_in = os.open(src_name, _READ_FLAGS, dir_fd=src_dir)
    except OSError:  # ELOOP: it became a link; ENXIO: a FIFO with no writer
        report.skipped.append(rel)
        return
    try:
        info = os.fstat(fd_in)
        if not stat.S_ISREG(info.st_mode):
            report.skipped.append(rel)
            return
        tmp = f".{dst_name}.{secrets.token_hex(8)}.tmp"
        fd_out = os.open(tmp, _CREATE_FLAGS, 0o644, dir_fd=dst_dir)
        digest = hashlib.sha256() if hash_files else None
        try:
            with os.fdopen(fd_out, "wb") as writer:
                while chunk := os.read(fd_in, _CHUNK):
                    writer.write(chunk)
                    if digest is not None:
                        digest.update(chunk)
                    report.bytes += len(chunk)
            if not replace:
                # link() refuses an existing name; a plain rename would replace it
                os.link(
                    tmp, dst_name, src_dir_fd=dst_dir, dst_dir_fd=dst_dir, follow_symlinks=False
                )
                os.unlink(tmp, dir_fd=dst_dir)
            else:
                os.replace(tmp, dst_name, src_dir_fd=dst_dir, dst_dir_fd=dst_dir)
        except BaseException:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(tmp, dir_fd=dst_dir)
            raise
        report.files[rel] = digest.hexdigest() if digest is not None else ""
    finally:
        os.close(fd_in)

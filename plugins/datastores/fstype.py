"""The filesystem type (``ext4``, ``btrfs``, ``nfs4``...) an open file lives on.

``fastcopy`` picks how to copy a large file by it: where ``copy_file_range`` can
clone or copy on the server (btrfs, XFS, NFS 4.2, SMB) it is the right call, and
on ext4 it is a plain page-cache copy that a ``pwrite`` from a mapping of the
source beats. Python has no ``fstatfs``; Linux's ``/proc/self/mountinfo`` names
each mount's type beside its device number, which ``fstat`` gives. Read once per
device. Anywhere else (no ``/proc``), or for a device not listed: ``""``.
"""

from __future__ import annotations

import os
import threading

_types: dict[int, str] = {}
_lock = threading.Lock()


def of(fd: int) -> str:
    """The type of the filesystem holding the open file ``fd`` ("" if unknown)."""
    device = os.fstat(fd).st_dev
    with _lock:
        known = _types.get(device)
        if known is None:
            known = _types[device] = _mount_type(device)
    return known


def _mount_type(device: int) -> str:
    # A line: "36 35 98:0 /mnt1 /mnt2 rw,noatime master:1 - ext4 /dev/root rw"; the
    # optional fields before " - " vary in number, so the type is found from "-".
    wanted = f"{os.major(device)}:{os.minor(device)}"
    try:
        with open("/proc/self/mountinfo", encoding="utf-8", errors="replace") as lines:
            for line in lines:
                fields = line.split()
                if len(fields) > 2 and fields[2] == wanted and "-" in fields:
                    after = fields.index("-", 3) + 1
                    return fields[after] if after < len(fields) else ""
    except (OSError, ValueError):
        pass
    return ""

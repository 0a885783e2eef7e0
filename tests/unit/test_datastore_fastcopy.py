"""The local datastore's file copy (``plugins/datastores/fastcopy.py``), every way
it can copy a file's blocks: ``copy_file_range`` with the hash taken on a second
thread, read-hash-write on the copying thread (the kernel refuses), and the small
files' buffered copy. Whichever way,
the entry it returns is the size and hash of the bytes as read back from the
destination, progress adds up to the size, and a copy stopped midway leaves no file
at all.

Block sizes are made small here (``small_blocks``) so that a few hundred KiB cross
every boundary a 16 MiB block has; one test runs at the real sizes.
"""

from __future__ import annotations

import errno
import mmap
import os
import threading
from pathlib import Path

import pytest

from harness import Datastore
from harness.datastore import manifest as mf
from harness.datastore.paths import TEMP_MARK
from harness.datastore.transfer import TransferStopped
from harness.plugins.datastores import fastcopy

CHUNK = mf.CHUNK
#: kernel: copy_file_range; refused: the kernel cannot copy between these files,
#: so the copying thread reads, hashes and writes each block.
ROUTES = ("kernel", "refused")
pytestmark = pytest.mark.skipif(
    not hasattr(os, "copy_file_range"), reason="the kernel copy needs copy_file_range"
)


@pytest.fixture
def small_blocks(monkeypatch):
    """Large-file copies from 8 KiB, in blocks of 64 KiB + 1 (not a multiple of the
    mmap granularity, so the hash thread's aligned mappings start mid-block)."""
    monkeypatch.setattr(fastcopy, "LARGE", 8 << 10)
    monkeypatch.setattr(fastcopy, "_KERNEL_CHUNK", (64 << 10) + 1)


def _route(monkeypatch, route: str) -> list[tuple[str, int]]:
    """Make ``route`` the way large files' blocks are copied; returns a list that
    records each block of a large file as ("kernel" | "own", bytes)."""
    blocks: list[tuple[str, int]] = []
    if route == "refused":
        _kernel_refuses(monkeypatch, errno.EXDEV)
    else:
        real_kernel = os.copy_file_range

        def kernel(*args):
            n = real_kernel(*args)
            blocks.append(("kernel", n))
            return n

        monkeypatch.setattr(os, "copy_file_range", kernel)
    real_own = fastcopy._copy_block

    def own(fd, out, offset, digest):
        n = real_own(fd, out, offset, digest)
        if os.fstat(fd).st_size >= fastcopy.LARGE:  # not the small files' buffered copy
            blocks.append(("own", n))
        return n

    monkeypatch.setattr(fastcopy, "_copy_block", own)
    return blocks


def _ways(blocks: list[tuple[str, int]]) -> set[str]:
    return {way for way, n in blocks if n}


EXPECTED_WAYS = {"kernel": {"kernel"}, "refused": {"own"}}


def _kernel_refuses(monkeypatch, code: int) -> None:
    def refuse(*args, **kwargs):
        raise OSError(code, os.strerror(code))

    monkeypatch.setattr(os, "copy_file_range", refuse, raising=False)


def _source(path: Path, size: int) -> Path:
    path.write_bytes(os.urandom(size))
    return path


def _copy(src: Path, dest: Path, algorithm: str = "blake3", progress=None) -> mf.FileEntry:
    return fastcopy.write_file(str(src), str(dest), 0o444, progress, algorithm=algorithm)


SIZES = [0, 1, CHUNK - 1, CHUNK, CHUNK + 1, 3 * CHUNK + 17]


@pytest.mark.parametrize("route", ROUTES)
@pytest.mark.parametrize("size", SIZES)
@pytest.mark.parametrize("algorithm", ["blake3", "sha256"])
def test_the_entry_is_the_hash_of_the_bytes_stored(
    tmp_path, monkeypatch, small_blocks, route, size, algorithm
):
    used = _route(monkeypatch, route)
    src = _source(tmp_path / "src.bin", size)
    moved: list[int] = []
    entry = _copy(src, tmp_path / "dest.bin", algorithm, moved.append)
    stored = (tmp_path / "dest.bin").read_bytes()
    assert stored == src.read_bytes()
    assert entry == mf.hash_file(str(tmp_path / "dest.bin"), algorithm)
    assert entry.size == size and entry.algorithm == algorithm
    assert sum(moved) == size  # progress adds up, whichever way the file went
    large = size >= fastcopy.LARGE
    assert _ways(used) == (EXPECTED_WAYS[route] if large else set())


@pytest.mark.parametrize("route", ROUTES)
def test_real_block_sizes(tmp_path, monkeypatch, route):
    """Three 16 MiB blocks and a tail: the constants as shipped."""
    used = _route(monkeypatch, route)
    size = 3 * fastcopy._KERNEL_CHUNK + CHUNK + 5
    src = _source(tmp_path / "src.bin", size)
    moved: list[int] = []
    entry = _copy(src, tmp_path / "dest.bin", progress=moved.append)
    assert entry == mf.hash_file(str(src)) == mf.hash_file(str(tmp_path / "dest.bin"))
    steps = {"kernel": [fastcopy._KERNEL_CHUNK] * 3, "refused": [CHUNK] * 3}
    assert moved[:3] == steps[route] and sum(moved) == size
    assert _ways(used) == EXPECTED_WAYS[route]


@pytest.mark.parametrize("code", [errno.EXDEV, errno.ENOSYS, errno.EINVAL, errno.EOPNOTSUPP])
def test_kernel_copy_refused_falls_back_to_the_same_entry(
    tmp_path, monkeypatch, small_blocks, code
):
    src = _source(tmp_path / "src.bin", 5 * CHUNK + 3)
    expected = mf.hash_file(str(src))
    used = _route(monkeypatch, "kernel")
    _kernel_refuses(monkeypatch, code)
    assert _copy(src, tmp_path / "dest.bin") == expected
    assert _ways(used) == {"own"}  # this thread copied every block
    assert (tmp_path / "dest.bin").read_bytes() == src.read_bytes()


@pytest.mark.parametrize("route", ROUTES)
def test_a_source_that_shrinks_midway_is_stored_and_hashed_as_copied(
    tmp_path, monkeypatch, small_blocks, route
):
    """Truncated after the first block: the copy ends where the source now ends, and
    the entry describes exactly the bytes stored."""
    used = _route(monkeypatch, route)
    block = fastcopy._KERNEL_CHUNK if route == "kernel" else CHUNK
    src = _source(tmp_path / "src.bin", 4 * block)
    original = src.read_bytes()
    keep = mmap.PAGESIZE * (block // mmap.PAGESIZE + 2)  # into the second block

    def shrink(nbytes: int) -> None:
        os.truncate(src, keep)

    entry = _copy(src, tmp_path / "dest.bin", progress=shrink)
    stored = (tmp_path / "dest.bin").read_bytes()
    assert stored == original[:keep]
    assert entry == mf.hash_file(str(tmp_path / "dest.bin")) and entry.size == keep
    assert _ways(used) == EXPECTED_WAYS[route]


@pytest.mark.parametrize("route", ROUTES)
@pytest.mark.parametrize("anonymous", [True, False], ids=["O_TMPFILE", "temp-name"])
def test_a_copy_stopped_midway_leaves_no_file(
    tmp_path, monkeypatch, small_blocks, route, anonymous
):
    _route(monkeypatch, route)
    if not anonymous:
        monkeypatch.setattr(fastcopy, "_proc_fds", lambda: None)
    src = _source(tmp_path / "src.bin", 3 * CHUNK)  # blocks, or the buffered copy's chunks
    out = tmp_path / "out"
    out.mkdir()
    moved: list[int] = []
    threads = threading.active_count()

    def stop_after_two(nbytes: int) -> None:
        moved.append(nbytes)
        if len(moved) == 2:
            raise TransferStopped

    with pytest.raises(TransferStopped):
        _copy(src, out / "f.bin", progress=stop_after_two)
    assert os.listdir(out) == []  # no final name, no temporary one
    assert len(moved) == 2
    assert threading.active_count() == threads  # the hash thread was stopped


def test_with_a_large_copy_for_every_core_each_still_goes_through_the_kernel(
    tmp_path, monkeypatch, small_blocks
):
    """Two large files at once on two cores: every block of both goes through
    ``copy_file_range`` (read-hash-write is only for a kernel that refuses; in a new
    process it was up to 4× slower: the module's docstring)."""
    ways: dict[str, set[str]] = {}
    entries: dict[int, mf.FileEntry] = {}
    real_kernel, real_own = os.copy_file_range, fastcopy._copy_block

    def note(way: str) -> None:
        ways.setdefault(threading.current_thread().name, set()).add(way)

    def kernel(*args):
        note("kernel")
        return real_kernel(*args)

    def own(*args):
        note("own")
        return real_own(*args)

    monkeypatch.setattr(os, "copy_file_range", kernel)
    monkeypatch.setattr(fastcopy, "_copy_block", own)
    # after its first block and again after its second, each copy waits for the
    # other: so both are surely in flight at once
    both_at = [threading.Barrier(2, timeout=30) for _ in range(2)]
    sources = [_source(tmp_path / f"src{i}.bin", 8 * CHUNK) for i in range(2)]

    def copy(i: int) -> None:
        blocks = [0]

        def progress(nbytes: int) -> None:
            blocks[0] += 1
            if blocks[0] <= 2:
                both_at[blocks[0] - 1].wait()

        entries[i] = _copy(sources[i], tmp_path / f"dest{i}.bin", progress=progress)

    threads = [threading.Thread(target=copy, args=(i,), name=f"copy{i}") for i in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    for i in range(2):
        stored = mf.hash_file(str(tmp_path / f"dest{i}.bin"))
        assert entries[i] == stored == mf.hash_file(str(sources[i]))
        assert ways[f"copy{i}"] == {"kernel"}


@pytest.mark.parametrize("route", ROUTES)
def test_upload_manifest_matches_the_files_read_back(
    harness_home, tmp_path, monkeypatch, small_blocks, route
):
    """Through ``Datastore.upload``: every manifest entry is the hash of the stored
    file, the same entries whichever way the files went, and verify passes."""
    used = _route(monkeypatch, route)
    src = tmp_path / "data"
    (src / "sub").mkdir(parents=True)
    sizes = {"empty": 0, "one": 1, "chunk": CHUNK, "sub/big": 4 * CHUNK + 1, "sub/mid": CHUNK + 1}
    for name, size in sizes.items():
        _source(src / name, size)
    store = Datastore.get()
    summary = store.upload(src, "t", show_progress=False)
    assert summary.bytes == sum(sizes.values())
    entries = store.manifest()
    for name in sizes:
        stored = harness_home / "datastores" / "default" / "t" / name
        assert stored.read_bytes() == (src / name).read_bytes()
        assert entries[f"t/{name}"] == mf.hash_file(str(stored))
    assert store.verify("t").passed
    assert _ways(used) == EXPECTED_WAYS[route]
    assert not list((harness_home / "datastores").rglob(f"*{TEMP_MARK}*"))

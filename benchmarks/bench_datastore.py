"""Datastore claim: `harness datastore upload` (the manifest hash of every file
included: BLAKE3, multi-threaded) runs at ≥ 0.9 of the throughput of a plain
`cp -r` of the same tree. `upload --hash sha256` is measured beside it.

Two trees, each copied by both sides in one run, alternating: a few large files
(1 GB in total) and 20,000 small files. Both sides run as a fresh process from the
same source to a fresh destination on the same disk; the source is read once
before timing so that both read it from the page cache.

A fourth side bounds what an upload that hashes can reach on this machine: BLAKE3
of the same files with no copy at all (a fresh process, the same thread pool size
as the upload), recorded as `blake3_only_ratio_to_cp`, beside the one-core speeds
of SHA-256 and BLAKE3. `rsync -a` (when installed) is a fifth side, and the upload
through the Python API in this process a sixth: the same copy without the start-up
of a fresh `harness` process, which a 1 GB tree cannot hide. The CLI runs twice:
with `--no-progress` (the side the figures have always named "harness datastore
upload") and as typed, its progress bar on (`paired_ratio_upload_with_bar_to_cp`).

Every side starts after a `sync` (not timed), so none pays for the writeback of the
dirty pages the previous one left. Each round pairs the sides, so
`paired_ratio_upload_to_cp` gives the median of the per-round ratios with a 95 %
bootstrap interval. The CPU seconds of every side
(user + system of the process and its children) are recorded beside the wall time:
on a loaded machine they say what the wall time cannot.

The upload's fixed cost (a fresh process: imports, plugin discovery) weighs less
as files grow, so `--large-mb` takes several sizes: each is a tree of 4 files of
that many MiB, measured as above and recorded under its own label ("large files"
for the first size, "large files, N MiB each" for the others); the target, ≥ 0.9
of `cp -r`, is the same for every size.

    python benchmarks/bench_datastore.py --large-only [--large-mb 256 1024] [--rounds 5]
"""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path

from _common import alternate, paired, parser, record, rounds, stats


def make_tree(root: Path, files: int, size: int) -> int:
    """``files`` files of ``size`` random bytes in folders of 1,000; returns bytes."""
    block = os.urandom(min(size, 1 << 20))
    for index in range(files):
        folder = root / f"d{index // 1000:03d}"
        folder.mkdir(parents=True, exist_ok=True)
        with open(folder / f"f{index:06d}.bin", "wb") as handle:
            left = size
            while left > 0:  # unique first bytes so no two files are identical
                chunk = block[: min(left, len(block))]
                handle.write(index.to_bytes(8, "little") + chunk[8:])
                left -= len(chunk)
    return files * size


def warm(root: Path) -> None:
    for path in root.rglob("*"):
        if path.is_file():
            with open(path, "rb") as handle:
                while handle.read(1 << 22):
                    pass


def _timed(cmd: list[str], env: dict[str, str] | None = None) -> tuple[float, float]:
    """(wall seconds, CPU seconds of the child) of one command."""
    import resource
    import subprocess
    import time

    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    subprocess.run(cmd, check=True, capture_output=True, env=env)
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def measure(
    src: Path, total: int, work: Path, repeats: int, cpu: dict[str, list[float]]
) -> dict[str, list[float]]:
    """MB/s of every side, alternating, fresh targets; CPU seconds per GB into ``cpu``."""
    exe = str(Path(sys.executable).with_name("harness"))
    counter = iter(range(1_000_000))
    gb = total / 1e9

    def command(name: str, cmd: list[str], env: dict[str, str] | None = None) -> float:
        wall, used = _timed(cmd, env)
        cpu.setdefault(name, []).append(used / gb)
        return total / wall / 1e6

    def cp() -> float:
        dest = work / f"out{next(counter)}"
        rate = command("cp -r", ["cp", "-r", str(src), str(dest)])
        shutil.rmtree(dest)
        return rate

    def rsync() -> float:
        dest = work / f"out{next(counter)}"
        rate = command(RSYNC, ["rsync", "-a", f"{src}/", str(dest)])
        shutil.rmtree(dest)
        return rate

    def upload(name: str, *extra: str) -> float:
        home = work / f"out{next(counter)}"
        env = {**os.environ, "HARNESS_HOME": str(home)}
        cmd = [exe, "datastore", "upload", str(src), "--target", "t", *extra]
        rate = command(name, cmd, env)
        shutil.rmtree(home)
        return rate

    def in_process() -> float:
        import resource
        import time

        from harness.contract.datastore import get_datastore

        home = work / f"out{next(counter)}"
        os.environ["HARNESS_HOME"] = str(home)
        store = get_datastore(None)
        before = resource.getrusage(resource.RUSAGE_SELF)
        started = time.perf_counter()
        store.upload(str(src), "t", show_progress=False)
        wall = time.perf_counter() - started
        after = resource.getrusage(resource.RUSAGE_SELF)
        used = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
        cpu.setdefault(IN_PROCESS, []).append(used / gb)
        shutil.rmtree(home)
        return total / wall / 1e6

    def hash_only() -> float:
        return command(BLAKE3_ONLY, [sys.executable, "-c", HASH_ONLY, str(src)])

    sides = {
        "cp -r": cp,
        "harness datastore upload": lambda: upload("harness datastore upload", "--no-progress"),
        UPLOAD_WITH_BAR: lambda: upload(UPLOAD_WITH_BAR),
        UPLOAD_SHA256: lambda: upload(UPLOAD_SHA256, "--no-progress", "--hash", "sha256"),
        IN_PROCESS: in_process,
        BLAKE3_ONLY: hash_only,
    }
    if shutil.which("rsync"):
        sides[RSYNC] = rsync
    return alternate({name: _settled(side) for name, side in sides.items()}, repeats)


def _settled(side: Callable[[], float]) -> Callable[[], float]:
    """``side`` after a ``sync``, outside its timing: with GiBs per side, the dirty
    pages one side leaves are written back while the next one runs, and the order of
    the sides, not their code, would decide who pays for it."""

    def run() -> float:
        os.sync()
        return side()

    return run


UPLOAD_SHA256 = "harness datastore upload --hash sha256"
#: The command as typed, its progress bar on (drawn only on a terminal, but built,
#: rich imported and all, in any case); the side above it passes --no-progress.
UPLOAD_WITH_BAR = "harness datastore upload, progress bar on (the default)"
RSYNC = "rsync -a"
IN_PROCESS = "Datastore.upload, in-process (no start-up)"
BLAKE3_ONLY = "blake3 only, no copy"
#: The floor for an upload that hashes: every file hashed on the upload's thread
#: pool, nothing written.
HASH_ONLY = """
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from harness.datastore.manifest import hash_file
from harness.datastore.transfer import WORKERS

def digest(path):
    return hash_file(str(path), "blake3")

files = [p for p in Path(sys.argv[1]).rglob("*") if p.is_file()]
with ThreadPoolExecutor(WORKERS) as pool:
    list(pool.map(digest, files))
"""


def one_core_MB_per_s(name: str) -> float:
    import hashlib
    import time

    from blake3 import blake3

    block = os.urandom(256 << 20)
    started = time.perf_counter()
    (hashlib.sha256(block) if name == "sha256" else blake3(block)).hexdigest()
    return len(block) / (time.perf_counter() - started) / 1e6


def main() -> None:
    p = parser(__doc__.splitlines()[0])
    p.add_argument("--large-only", action="store_true", help="only the tree of large files")
    p.add_argument(
        "--large-mb",
        type=int,
        nargs="+",
        default=None,
        help="MiB per large file (4 files); several sizes: one tree each",
    )
    opts = p.parse_args()
    sizes = [mb << 20 for mb in opts.large_mb or [0 if opts.quick else 256]]
    trees = {
        "large files" if i == 0 else f"large files, {size >> 20} MiB each": (4, size or 256 << 10)
        for i, size in enumerate(sizes)
    }
    trees["small files"] = (400, 4096)
    if not opts.quick:
        trees["small files"] = (20_000, 4096)
    if opts.large_only:
        trees.pop("small files")
    repeats = rounds(opts, 3, 5)
    figures: dict[str, object] = {}
    work = Path(tempfile.mkdtemp(prefix="bench-datastore-", dir=os.environ.get("BENCH_DIR")))
    try:
        for label, (count, size) in trees.items():
            src = work / "src"
            total = make_tree(src, count, size)
            warm(src)
            cpu: dict[str, list[float]] = {}
            samples = measure(src, total, work, repeats, cpu)
            cp_mb = stats(samples["cp -r"])
            figures[label] = {
                "files": count,
                "bytes": total,
                "MB_per_s": {name: stats(values) for name, values in samples.items()},
                "cpu_s_per_GB": {name: stats(values) for name, values in cpu.items()},
                "cp_r_MB_per_s": cp_mb,
                "upload_MB_per_s": stats(samples["harness datastore upload"]),
                "ratio_upload_to_cp": stats(samples["harness datastore upload"])["median"]
                / cp_mb["median"],
                "paired_ratio_upload_to_cp": paired(
                    samples, "harness datastore upload", "cp -r", ratio=True
                ),
                "paired_ratio_upload_with_bar_to_cp": paired(
                    samples, UPLOAD_WITH_BAR, "cp -r", ratio=True
                ),
                "paired_ratio_in_process_to_cp": paired(samples, IN_PROCESS, "cp -r", ratio=True),
                "ratio_upload_sha256_to_cp": stats(samples[UPLOAD_SHA256])["median"]
                / cp_mb["median"],
                "blake3_only_ratio_to_cp": stats(samples[BLAKE3_ONLY])["median"] / cp_mb["median"],
                "target_ratio": 0.9,
            }
            shutil.rmtree(src)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    figures["sha256_one_core_MB_per_s"] = one_core_MB_per_s("sha256")
    figures["blake3_one_core_MB_per_s"] = one_core_MB_per_s("blake3")
    figures["cores"] = os.cpu_count()
    record(opts.results, "datastore_upload", figures, opts.quick)


if __name__ == "__main__":
    main()

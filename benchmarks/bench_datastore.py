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
of SHA-256 and BLAKE3.
"""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
from pathlib import Path

from _common import alternate, parser, record, stats, time_command


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


def measure(src: Path, total: int, work: Path, repeats: int) -> dict[str, list[float]]:
    """MB/s of `cp -r` and of `harness datastore upload`, alternating, fresh targets."""
    exe = str(Path(sys.executable).with_name("harness"))
    counter = iter(range(1_000_000))

    def cp() -> float:
        dest = work / f"out{next(counter)}"
        seconds = time_command(["cp", "-r", str(src), str(dest)])
        shutil.rmtree(dest)
        return total / seconds / 1e6

    def upload() -> float:
        home = work / f"out{next(counter)}"
        env = {**os.environ, "HARNESS_HOME": str(home)}
        cmd = [exe, "datastore", "upload", str(src), "--target", "t", "--no-progress"]
        seconds = time_command(cmd, env)
        shutil.rmtree(home)
        return total / seconds / 1e6

    def upload_sha256() -> float:
        home = work / f"out{next(counter)}"
        env = {**os.environ, "HARNESS_HOME": str(home)}
        cmd = [exe, "datastore", "upload", str(src), "--target", "t", "--no-progress"]
        seconds = time_command([*cmd, "--hash", "sha256"], env)
        shutil.rmtree(home)
        return total / seconds / 1e6

    def hash_only() -> float:
        seconds = time_command([sys.executable, "-c", HASH_ONLY, str(src)])
        return total / seconds / 1e6

    return alternate(
        {
            "cp -r": cp,
            "harness datastore upload": upload,
            UPLOAD_SHA256: upload_sha256,
            BLAKE3_ONLY: hash_only,
        },
        repeats,
    )


UPLOAD_SHA256 = "harness datastore upload --hash sha256"
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
    p = parser(__doc__)
    p.add_argument("--large-only", action="store_true", help="only the tree of large files")
    opts = p.parse_args()
    trees = (
        {"large files": (4, 256 << 10), "small files": (400, 4096)}
        if opts.quick
        else {"large files": (4, 256 << 20), "small files": (20_000, 4096)}
    )
    if opts.large_only:
        trees.pop("small files")
    repeats = 3 if opts.quick else 5
    figures: dict[str, object] = {}
    work = Path(tempfile.mkdtemp(prefix="bench-datastore-", dir=os.environ.get("BENCH_DIR")))
    try:
        for label, (count, size) in trees.items():
            src = work / "src"
            total = make_tree(src, count, size)
            warm(src)
            samples = measure(src, total, work, repeats)
            cp_mb = stats(samples["cp -r"])
            up_mb = stats(samples["harness datastore upload"])
            sha_mb = stats(samples[UPLOAD_SHA256])
            hash_mb = stats(samples[BLAKE3_ONLY])
            figures[label] = {
                "files": count,
                "bytes": total,
                "cp_r_MB_per_s": cp_mb,
                "upload_MB_per_s": up_mb,
                "ratio_upload_to_cp": up_mb["median"] / cp_mb["median"],
                "upload_sha256_MB_per_s": sha_mb,
                "ratio_upload_sha256_to_cp": sha_mb["median"] / cp_mb["median"],
                "blake3_only_MB_per_s": hash_mb,
                "blake3_only_ratio_to_cp": hash_mb["median"] / cp_mb["median"],
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

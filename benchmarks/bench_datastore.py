"""Datastore claim: `harness datastore upload` (sha256 of every file included) runs
at ≥ 0.9 of the throughput of a plain `cp -r` of the same tree.

Two trees, each copied by both sides in one run, alternating: a few large files
(1 GB in total) and 20,000 small files. Both sides run as a fresh process from the
same source to a fresh destination on the same disk; the source is read once
before timing so that both read it from the page cache.
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

    return alternate({"cp -r": cp, "harness datastore upload": upload}, repeats)


def main() -> None:
    opts = parser(__doc__).parse_args()
    trees = (
        {"large files": (4, 256 << 10), "small files": (400, 4096)}
        if opts.quick
        else {"large files": (4, 256 << 20), "small files": (20_000, 4096)}
    )
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
            figures[label] = {
                "files": count,
                "bytes": total,
                "cp_r_MB_per_s": cp_mb,
                "upload_MB_per_s": up_mb,
                "ratio_upload_to_cp": up_mb["median"] / cp_mb["median"],
            }
            shutil.rmtree(src)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    record(opts.results, "datastore_upload", figures, opts.quick)


if __name__ == "__main__":
    main()

"""Start-up of the commands that load plugins: this checkout against a baseline
commit, both installed the same way, alternated in one run.

Both are ``pip install --no-deps --target`` copies (bytecode compiled, as a user's
install has it; no editable finder) put first on PYTHONPATH; the harness's
dependencies come from the running environment. The sides:

- ``python -c pass``: the interpreter alone, the floor of any command;
- ``harness datastore upload`` of one 1 KB file, and ``harness runs list`` (an empty
  workspace), by this checkout with its plugin index, by this checkout with the
  index off (``HARNESS_CACHE_DIR=``), and by the baseline.

The baseline defaults to the commit before the start-up work (per-kind component
collection, the plugin index, ``file_lock``). ``--quick`` skips it (no second
install) and measures the rest at a few rounds.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from pathlib import Path

from _common import (
    alternate,
    commit_copy,
    install_target,
    paired,
    parser,
    record,
    rounds,
    stats,
    time_command,
)

ROOT = Path(__file__).resolve().parents[1]
BASELINE = "7aba8ac"


def checkout_copy(folder: Path) -> Path:
    """This checkout's files as they are now (tracked and new, not ignored)."""
    listed = subprocess.run(
        ["git", "-C", str(ROOT), "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        check=True,
        capture_output=True,
    ).stdout
    names = b"\0".join(n for n in listed.split(b"\0") if n and (ROOT / n.decode()).is_file())
    folder.mkdir()
    packed = subprocess.run(
        ["tar", "-c", "-C", str(ROOT), "--null", "-T", "-"],
        input=names,
        check=True,
        capture_output=True,
    ).stdout
    subprocess.run(["tar", "-x", "-C", str(folder)], input=packed, check=True)
    return folder


def main() -> None:
    p = parser(__doc__.splitlines()[0])
    p.add_argument("--baseline", default=BASELINE, help="the commit to compare with")
    opts = p.parse_args()
    repeats = rounds(opts, 3, 21)
    exe = str(Path(sys.executable).with_name("harness"))
    with tempfile.TemporaryDirectory(prefix="bench-startup-") as tmp:
        work = Path(tmp)
        sites = {"this checkout": install_target(checkout_copy(work / "src"), work / "site")}
        if not opts.quick:
            baseline = commit_copy(ROOT, opts.baseline, work / "base-src")
            sites[f"baseline {opts.baseline}"] = install_target(baseline, work / "base-site")
        data = work / "data"
        data.mkdir()
        (data / "one.bin").write_bytes(os.urandom(1000))
        home = work / "home"
        counter = iter(range(1_000_000))
        base_env = {**os.environ, "HARNESS_HOME": str(home), "HARNESS_CACHE_DIR": str(work / "c")}
        for name in ("HARNESS_PLUGINS", "HARNESS_DISABLE_PLUGINS", "PYTHONPATH"):
            base_env.pop(name, None)

        def env_of(site: Path, index: bool = True) -> dict[str, str]:
            env = {**base_env, "PYTHONPATH": str(site)}
            if not index:
                env["HARNESS_CACHE_DIR"] = ""
            return env

        def upload(env: dict[str, str]) -> float:
            target = f"t{next(counter)}"
            return time_command([exe, "datastore", "upload", str(data), "-t", target], env)

        sides = {"python -c pass": lambda: time_command([sys.executable, "-c", "pass"], base_env)}
        for label, site in sites.items():
            variants = [("", True)]
            if label == "this checkout":
                variants.append((", no index", False))
            for suffix, index in variants:
                env = env_of(site, index)
                sides[f"upload 1 file, {label}{suffix}"] = lambda env=env: upload(env)
                sides[f"runs list, {label}{suffix}"] = lambda env=env: time_command(
                    [exe, "runs", "list"], env
                )
        for side in sides.values():  # bytecode, the index, the workspace: settled first
            side()
        samples = alternate(sides, repeats)
    figures: dict[str, object] = {
        "seconds": {name: stats(values) for name, values in samples.items()},
        "rounds": repeats,
    }
    comparisons = {}
    for command in ("upload 1 file", "runs list"):
        this = f"{command}, this checkout"
        comparisons[f"{command}: index on - off"] = paired(samples, this, f"{this}, no index")
        if not opts.quick:
            comparisons[f"{command}: this - baseline"] = paired(
                samples, this, f"{command}, baseline {opts.baseline}"
            )
    figures["paired_differences_s"] = comparisons
    record(opts.results, "startup", figures, opts.quick)
    for name, values in samples.items():
        print(f"{name:45s} median {stats(values)['median'] * 1000:7.1f} ms")
    for name, entry in comparisons.items():
        low, high = entry["ci95"]
        print(
            f"{name:45s} {entry['median'] * 1000:+7.1f} ms ({low * 1000:+.1f} to {high * 1000:+.1f})"
        )


if __name__ == "__main__":
    main()

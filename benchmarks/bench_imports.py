"""How many modules `harness --help` and `harness train --cfg job` import: this
checkout against the code before the issue-14 renovation (layers, session, plugin
checks), both measured in one run with `python -X importtime`.

The baseline is installed from `git archive BASELINE` into a temporary folder and
put first on PYTHONPATH (its dist-info, and so its entry points, win there). The
counts are deterministic, so `--quick` measures the same thing once.
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

from _common import commit_copy, install_target, parser, record

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from harness.testing.imports import FRAMEWORKS, imported_modules, top_level  # noqa: E402

#: The last commit before the renovation (main as issue 14 started).
BASELINE = "ee58f268bf3741a5a6a2d76a2f0a128555fb1a2a"
COMMANDS = {"harness --help": ["--help"], "harness train --cfg job": ["train", "--cfg", "job"]}


def install_baseline(ref: str, folder: Path) -> Path:
    return install_target(commit_copy(ROOT, ref, folder / "src"), folder / "site")


def measure(args: list[str], home: str, site: Path | None) -> dict[str, object]:
    env = {"HARNESS_HOME": home}
    if site is not None:
        env["PYTHONPATH"] = str(site)
    modules = imported_modules(args, env=env)
    return {
        "modules": len(modules),
        "harness_modules": sum(m.startswith("harness") for m in modules),
        "frameworks": sorted(top_level(modules) & set(FRAMEWORKS)),
    }


def main() -> None:
    opts = parser(__doc__.splitlines()[0]).parse_args()
    figures: dict[str, dict[str, object]] = {}
    with tempfile.TemporaryDirectory() as tmp:
        site = install_baseline(BASELINE, Path(tmp))
        for label, args in COMMANDS.items():
            before = measure(args, tmp, site)
            after = measure(args, tmp, None)
            figures[label] = {
                "before": before,
                "after": after,
                "no_more_modules": after["modules"] <= before["modules"],
            }
    record(opts.results, "imports", figures, opts.quick)


if __name__ == "__main__":
    main()

"""What the forgotten-opt-in hint (harness_azureml_hint.pth, harness/compat/
azureml_hint.py) costs every interpreter start: `python -c pass` with and without
it, both measured in one run, alternating.

Two bare venvs of this interpreter see this environment's packages through plain
path lines (so none of its own .pth files run in either); one of them also gets
the hint's .pth and module, exactly as the harness install writes them.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import sysconfig
import tempfile
from pathlib import Path

from _common import alternate, parser, record, stats, time_command

ROOT = Path(__file__).resolve().parents[1]
HINT = ROOT / "harness" / "compat" / "azureml_hint.py"


def bare_venv(folder: Path, with_hint: bool) -> Path:
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(folder)], check=True)
    python = folder / "bin" / "python"
    site = Path(
        subprocess.check_output(
            [str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
            text=True,
        ).strip()
    )
    (site / "_parent.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    if with_hint:
        shutil.copyfile(HINT, site / "_harness_azureml_hint.py")
        (site / "harness_azureml_hint.pth").write_text(
            "import _harness_azureml_hint; _harness_azureml_hint.install()\n"
        )
    # compile once, as pip does at install time
    subprocess.run([str(python), "-c", "pass"], check=True)
    return python


def importtime_us(python: Path) -> float:
    err = subprocess.run(
        [str(python), "-X", "importtime", "-c", "pass"], capture_output=True, text=True
    ).stderr
    line = next(ln for ln in err.splitlines() if ln.rstrip().endswith("_harness_azureml_hint"))
    return float(line.split("|")[1])


def main() -> None:
    opts = parser(__doc__.splitlines()[0]).parse_args()
    repeats = 5 if opts.quick else 60
    with tempfile.TemporaryDirectory() as tmp:
        without = bare_venv(Path(tmp) / "without", with_hint=False)
        with_hint = bare_venv(Path(tmp) / "with", with_hint=True)
        check = subprocess.run(
            [str(with_hint), "-c", "import azureml"], capture_output=True, text=True
        )
        assert "harness compat azureml --install" in check.stderr, check.stderr
        samples = alternate(
            {
                "without_hint_s": lambda: time_command([str(without), "-c", "pass"]),
                "with_hint_s": lambda: time_command([str(with_hint), "-c", "pass"]),
            },
            repeats,
        )
        # The module's own import, from the interpreter's -X importtime (µs, cumulative).
        import_us = [importtime_us(with_hint) for _ in range(repeats)]
    figures = {name: stats(values) for name, values in samples.items()}
    figures["hint_import_us"] = stats(import_us)
    figures["added_ms_median"] = 1000 * (
        figures["with_hint_s"]["median"] - figures["without_hint_s"]["median"]
    )
    record(opts.results, "azureml_hint_startup", figures, opts.quick)
    for name, figure in figures.items():
        print(name, figure)


if __name__ == "__main__":
    main()

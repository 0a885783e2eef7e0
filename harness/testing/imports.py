"""Which modules a ``harness`` command imports, read from ``python -X importtime``.

Used by the start-up guard test and ``benchmarks/bench_imports.py``: a count of
modules is stable where a time is noise, and the list says *what* slipped in.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Sequence

#: Frameworks the core must never import on its own (DESIGN: lazily, in plugins).
FRAMEWORKS = ("torch", "chainer", "sklearn", "mpi4py", "numpy", "scipy", "pandas", "mlflow")

_RUN = "import sys; from harness.cli import entry; sys.argv = ['harness', *sys.argv[1:]]; entry()"


def imported_modules(
    args: Sequence[str], python: str = sys.executable, env: dict[str, str] | None = None
) -> list[str]:
    """Every module ``harness ARGS`` imports, in import order (``-X importtime``)."""
    proc = subprocess.run(
        [python, "-X", "importtime", "-c", _RUN, *args],
        capture_output=True,
        text=True,
        env={**os.environ, **(env or {})},
        timeout=300,
    )
    if proc.returncode != 0:
        raise RuntimeError(f"harness {' '.join(args)} failed:\n{proc.stdout}{proc.stderr}")
    modules = []
    for line in proc.stderr.splitlines():
        if line.startswith("import time:") and "|" in line and "imported package" not in line:
            modules.append(line.rsplit("|", 1)[1].strip())
    return modules


def top_level(modules: Sequence[str]) -> set[str]:
    return {name.split(".")[0] for name in modules}

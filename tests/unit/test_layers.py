"""The Python API and the dashboard sit below the CLI: they build the objects the
commands print, so neither may import a command module (one code path, pointing
one way)."""

from __future__ import annotations

import ast
from pathlib import Path

import harness

PACKAGE = Path(harness.__file__).parent


def imported_modules(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
            names.update(f"{node.module}.{alias.name}" for alias in node.names)
    return names


def test_the_sdk_and_the_dashboard_import_no_command_module():
    offenders = {
        str(path.relative_to(PACKAGE)): sorted(
            name for name in imported_modules(path) if name.startswith("harness.commands")
        )
        for layer in ("sdk", "ui")
        for path in sorted((PACKAGE / layer).rglob("*.py"))
    }
    offenders = {path: names for path, names in offenders.items() if names}
    assert not offenders, f"import the builders from harness.sdk instead: {offenders}"


def test_the_check_sees_an_import_inside_a_function(tmp_path):
    module = tmp_path / "m.py"
    module.write_text("def f():\n    from harness.commands.sweeps import x\n")
    assert "harness.commands.sweeps" in imported_modules(module)

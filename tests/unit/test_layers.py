"""The floor plan is an import contract (pyproject.toml's [tool.importlinter]), which
``lint-imports`` checks in CI; these tests keep it in the inner loop and show that
it catches what it is for."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import grimp
import pytest
import tomllib

ROOT = Path(__file__).resolve().parents[2]


def contracts() -> dict[str, dict]:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    return {c["id"]: c for c in config["tool"]["importlinter"]["contracts"]}


@pytest.fixture(scope="module")
def graph() -> grimp.ImportGraph:
    return grimp.build_graph(
        "harness",
        include_external_packages=False,
        exclude_type_checking_imports=True,
        cache_dir=None,
    )


def illegal_layer_imports(graph: grimp.ImportGraph) -> set:
    layers = [
        grimp.Layer(*(name.strip() for name in line.split(":")), independent=False)
        for line in contracts()["layers"]["layers"]
    ]
    return graph.find_illegal_dependencies_for_layers(layers=layers, containers={"harness"})


def test_every_import_contract_holds():
    lint = Path(sys.executable).with_name("lint-imports")
    result = subprocess.run(
        [str(lint), "--no-cache"], cwd=ROOT, capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-2000:]
    assert "0 broken" in result.stdout


def test_the_layers_see_imports_inside_functions(graph):
    # sdk/doctor.py imports the examination inside check_workspace, not at the top.
    details = graph.get_import_details(
        importer="harness.sdk.doctor", imported="harness.sdk.workspace_doctor"
    )
    assert details and details[0]["line_contents"].startswith("from harness.sdk")


def test_an_upward_import_breaks_the_layers(graph):
    assert not illegal_layer_imports(graph)
    graph.add_import(
        importer="harness.run.store", imported="harness.sdk.run", line_number=1, line_contents="x"
    )
    broken = illegal_layer_imports(graph)
    assert {(d.importer, d.imported) for d in broken} == {("harness.run", "harness.sdk")}


def test_plugins_may_not_reach_core_internals():
    plugin_rule = contracts()["plugins"]
    forbidden = set(plugin_rule["forbidden_modules"])
    # The public surface stays allowed; the internals the built-ins used to import are not.
    assert not forbidden & {"harness.contract", "harness.errors", "harness.datasets"}
    assert {"harness.job", "harness.run", "harness.storage", "harness.worker"} <= forbidden
    top_level = {p.stem for p in (ROOT / "harness").iterdir() if not p.name.startswith("_")}
    public = {"contract", "errors", "datasets", "plugins", "conf", "py"}
    assert {f"harness.{name}" for name in top_level - public} == forbidden


def test_the_contract_names_every_environment_variable():
    from harness import envvars
    from harness.contract import envvars as public

    names = {n for n in vars(envvars) if n.isupper()} | {"first_int", "rank"}
    assert set(public.__all__) == names
    assert all(getattr(public, n) is getattr(envvars, n) for n in names)

"""A forgotten opt-in of the Azure ML v1 layer: `import azureml…` without
`harness compat azureml --install` names the fix — in a real Jupyter kernel and in
a plain interpreter — while a probe still finds nothing, and a real azureml (or the
installed shim) is never shadowed (harness/compat/azureml_hint.py)."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from importlib import metadata
from pathlib import Path

import pytest

from harness import compat

FIX = "harness compat azureml --install"


@pytest.fixture
def python(layerless_python):
    """Run code in an interpreter without the layer (tests/e2e/conftest.py): the hint
    is for such an environment, whether or not the tests' own one opted in. With the
    layer, `import azureml` finds the shim (test_azureml_notebooks.py)."""
    assert compat.real_azureml() is None, "this environment has a real azureml package"

    def run(code: str, **env: str) -> subprocess.CompletedProcess[str]:
        return _run(layerless_python, code, **env)

    return run


def _run(interpreter, code: str, **env: str) -> subprocess.CompletedProcess[str]:  # noqa: ANN001
    return subprocess.run(
        [str(interpreter), "-c", textwrap.dedent(code)],
        capture_output=True,
        text=True,
        env={**_base_env(), **env},
        timeout=120,
    )


def _base_env() -> dict[str, str]:
    import os

    return {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}


def test_the_harness_install_puts_the_hint_in_site_packages_and_its_record():
    # The installed distribution, not a build's harness_ml.egg-info in the checkout.
    site = compat.site_dir()
    (dist,) = metadata.Distribution.discover(name="harness-ml", path=[str(site)])
    files = {str(f) for f in dist.files or []}
    assert {
        "harness_azureml_hint.pth",
        "_harness_azureml_hint.py",
    } <= files  # pip uninstall removes them


def test_import_in_a_plain_interpreter_names_the_fix(python):
    proc = python("import azureml.core")
    assert proc.returncode == 1
    last = proc.stderr.strip().splitlines()[-1]
    assert last.startswith("ModuleNotFoundError: No module named 'azureml': ")
    assert FIX in last and "estimator.azureml_compat=true" in last


def test_every_import_form_raises_module_not_found_for_azureml_and_a_probe_finds_nothing(python):
    proc = python(
        """
        import importlib, importlib.util
        print("probe", importlib.util.find_spec("azureml"))
        for how in ("import azureml", "from azureml.core import Workspace",
                    "importlib.import_module('azureml.train.estimator')"):
            try:
                exec(how)
            except ModuleNotFoundError as exc:
                print(exc.name, "harness compat azureml --install" in str(exc))
        try:
            import azurexyz  # other missing modules keep Python's own message
        except ModuleNotFoundError as exc:
            print(exc)
        """
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.splitlines() == [
        "probe None",
        "azureml True",
        "azureml True",
        "azureml True",
        "No module named 'azurexyz'",
    ]


def test_a_real_azureml_and_the_installed_shim_are_found_first(python, tmp_path):
    real = tmp_path / "real"
    (real / "azureml" / "core").mkdir(parents=True)  # a namespace package, as the real SDK's
    (real / "azureml" / "core" / "__init__.py").write_text("WHO = 'real azureml'\n")
    code = "import azureml.core as c; print(getattr(c, 'WHO', c.__file__))"
    proc = python(code, PYTHONPATH=str(real))
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "real azureml"
    proc = python(code, PYTHONPATH=str(compat.SHIM_DIR))
    assert proc.returncode == 0, proc.stderr
    assert Path(proc.stdout.strip()).is_relative_to(compat.SHIM_DIR)


def test_a_jupyter_kernel_names_the_fix(layerless_python, tmp_path, monkeypatch):
    nbformat = pytest.importorskip("nbformat")
    nbclient = pytest.importorskip("nbclient")
    pytest.importorskip("ipykernel")
    spec = tmp_path / "jupyter" / "kernels" / "harness-hint-test"
    spec.mkdir(parents=True)
    (spec / "kernel.json").write_text(
        json.dumps(
            {
                "argv": [
                    str(layerless_python),
                    "-m",
                    "ipykernel_launcher",
                    "-f",
                    "{connection_file}",
                ],
                "display_name": "harness (hint test)",
                "language": "python",
            }
        )
    )
    monkeypatch.setenv("JUPYTER_PATH", str(tmp_path / "jupyter"))
    monkeypatch.delenv("PYTHONPATH", raising=False)
    cells = [
        "import importlib.util; print(importlib.util.find_spec('azureml'))",
        "from azureml.core import Workspace, Experiment",
    ]
    book = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(c) for c in cells])
    client = nbclient.NotebookClient(
        book,
        timeout=120,
        kernel_name="harness-hint-test",
        allow_errors=True,
        resources={"metadata": {"path": str(tmp_path)}},
    )
    client.execute()
    probe, failed = book.cells
    assert probe.outputs[0]["text"].strip() == "None"
    errors = [o for o in failed.outputs if o["output_type"] == "error"]
    assert len(errors) == 1
    assert errors[0]["ename"] == "ModuleNotFoundError"
    assert errors[0]["evalue"].startswith("No module named 'azureml': ")
    assert FIX in errors[0]["evalue"] and "restart the kernel" in errors[0]["evalue"]


@pytest.mark.slow
def test_a_wheel_built_from_the_checkout_installs_the_same_way(layerless_python, tmp_path):
    """docs/migrating-from-azureml.md: a wheel built from a clone installs as the
    clone does, the hint included. Built by pip (PEP 517, as `python -m build` does),
    installed with --no-deps into a throw-away venv that sees this environment's
    packages but not its harness or its opt-in."""
    import os
    import shutil
    import zipfile

    repo = Path(__file__).resolve().parents[2]
    source = tmp_path / "clone"  # a copy: an in-tree build would write build/ into the checkout
    shutil.copytree(
        repo, source, symlinks=True,
        ignore=shutil.ignore_patterns(".venv", ".git", "build", "*.egg-info", "__pycache__"),
    )  # fmt: skip
    built = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation",
         "-w", str(tmp_path / "dist"), str(source)],
        capture_output=True, text=True, timeout=600,
    )  # fmt: skip
    assert built.returncode == 0, built.stderr[-2000:]
    (wheel,) = (tmp_path / "dist").glob("harness_ml-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    assert {"harness_azureml_hint.pth", "_harness_azureml_hint.py"} <= names
    assert "harness/compat/azureml_shim/azureml/core/__init__.py" in names
    assert "harness/envs/curated/harness-sklearn.yaml" in names
    env = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(env)], check=True)
    python = env / "bin" / "python"
    purelib = subprocess.check_output(
        [str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"], text=True
    ).strip()
    installed = subprocess.run(
        [str(python), "-m", "pip", "install", "-q", "--no-deps", "--no-index", str(wheel)],
        capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert installed.returncode == 0, installed.stderr[-2000:]
    # Its dependencies from this environment, after the wheel's own files: the
    # parents' site-packages appended without their .pth files (no editable harness).
    parents = [p for p in sys.path if p.endswith("site-packages")]
    Path(purelib, "zz_parent_packages.pth").write_text("\n".join(parents) + "\n")
    clean = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    where = subprocess.run(
        [str(python), "-c", "import harness; print(harness.__file__)"],
        capture_output=True, text=True, env=clean, cwd=tmp_path,
    )  # fmt: skip
    assert where.stdout.strip().startswith(purelib), where.stdout + where.stderr
    hint = subprocess.run(
        [str(python), "-c", "import azureml.core"],
        capture_output=True, text=True, env=clean, cwd=tmp_path,
    )  # fmt: skip
    assert FIX in hint.stderr.strip().splitlines()[-1], hint.stderr
    done = subprocess.run(
        [str(env / "bin" / "harness"), "compat", "azureml", "--install"],
        capture_output=True, text=True, env=clean, cwd=tmp_path,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    layer = subprocess.run(
        [str(python), "-c", "import azureml.core; print(azureml.core.VERSION)"],
        capture_output=True, text=True, env=clean, cwd=tmp_path,
    )  # fmt: skip
    assert layer.stdout.strip() == "1.0.0+harness", layer.stderr

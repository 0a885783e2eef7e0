"""Fixtures shared by the end-to-end tests."""

from __future__ import annotations

import sys
import textwrap
from pathlib import Path

import pytest
from layerless import layerless_environment

from harness.compat import SHIM_DIR

# Reports which interpreter ran it and what it could import (the environment tests).
PROBE_SCRIPT = """
import json, os, sys
from harness import Run

found = {}
for name in sys.argv[1:]:
    try:
        module = __import__(name)
        found[name] = getattr(module, "__version__", "?")
    except ImportError:
        found[name] = None
os.makedirs("outputs", exist_ok=True)
with open(f"outputs/probe-{Run.get_context().rank}.json", "w") as f:
    json.dump({"executable": sys.executable, "found": found}, f)
Run.get_context().log("accuracy", 1.0)
print("probe done", found)
"""


@pytest.fixture(scope="session")
def uv_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One uv cache for the whole test session: each wheel an environment test
    installs is downloaded once (uv links the files from there)."""
    return tmp_path_factory.mktemp("uv-cache")


@pytest.fixture
def shared_uv_cache(uv_cache: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("UV_CACHE_DIR", str(uv_cache))
    return uv_cache


@pytest.fixture
def src(tmp_path: Path) -> Path:
    """A source folder with probe.py (PROBE_SCRIPT)."""
    folder = tmp_path / "src"
    folder.mkdir()
    (folder / "probe.py").write_text(textwrap.dedent(PROBE_SCRIPT))
    return folder


@pytest.fixture
def azureml(monkeypatch: pytest.MonkeyPatch, home: Path):
    """The Azure ML layer importable in this test process (as after the opt-in)."""
    monkeypatch.syspath_prepend(str(SHIM_DIR))
    for name in [m for m in sys.modules if m == "azureml" or m.startswith("azureml.")]:
        monkeypatch.delitem(sys.modules, name)
    import azureml.core

    yield azureml
    for name in [m for m in sys.modules if m == "azureml" or m.startswith("azureml.")]:
        del sys.modules[name]  # later tests must not see the shim as installed


@pytest.fixture(scope="session")
def layerless_python(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The interpreter of a throw-away environment without the azureml opt-in."""
    return layerless_environment(tmp_path_factory.mktemp("layerless") / "env")

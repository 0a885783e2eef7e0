"""Plugins for tests, never installed into the running environment.

- ``write_plugin_site``: a package plus a ``*.dist-info`` whose ``entry_points.txt``
  names it in the ``harness`` group, in a folder that goes on ``PYTHONPATH``.
  Entry-point discovery treats it exactly like an installed plugin.
- ``pip_install_target``: a real ``pip install`` of plugin packages into a
  throw-away folder (``--target``), findable through ``PYTHONPATH``.
- ``overlay_venv``: a throw-away venv over the running one, for commands that run
  ``pip install`` themselves (a documented quick start).
- ``discovered``: in-process, the entry points ``importlib.metadata`` returns.
"""

from __future__ import annotations

import textwrap
from pathlib import Path
from typing import Any


def write_plugin_site(
    site: Path, module: str, code: str, configs: dict[str, str], *, name: str
) -> Path:
    """Write package ``module`` (``__init__.py`` = ``code``) and its config files
    (``{"estimator/probe.yaml": text}`` under ``module/conf``) into ``site``, with
    the entry point ``harness: name = module``; returns ``site``."""
    package = site / module
    (package / "conf").mkdir(parents=True)
    (package / "__init__.py").write_text(textwrap.dedent(code))
    (package / "conf" / "__init__.py").write_text("")
    for relative, text in configs.items():
        path = package / "conf" / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    dist = site / f"{module}-0.1.dist-info"
    dist.mkdir()
    dist_name = module.replace("_", "-")
    (dist / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {dist_name}\nVersion: 0.1\n")
    (dist / "entry_points.txt").write_text(f"[harness]\n{name} = {module}\n")
    return site


def pip_install_target(target: Path, *sources: Path, build: Path | None = None) -> dict[str, str]:
    """``pip install --no-deps --target TARGET`` each source folder (a copy, so the
    build leaves nothing in it) and return the environment that makes the installed
    plugins findable: ``{"PYTHONPATH": TARGET[:existing]}`` for a subprocess.

    A real pip install (wheel build, ``*.dist-info`` with entry points), but into a
    throw-away folder: the running environment is never changed, so another process
    using it (a notebook kernel, a parallel test) never sees a half-installed plugin.
    """
    import os
    import shutil
    import subprocess
    import sys
    import tempfile

    target.mkdir(parents=True, exist_ok=True)
    work = Path(build or tempfile.mkdtemp(prefix="harness-pip-"))
    copies = []
    for source in sources:
        copy = work / source.name
        shutil.copytree(
            source, copy, ignore=shutil.ignore_patterns("build", "*.egg-info", "__pycache__")
        )
        copies.append(str(copy))
    # The running environment's setuptools builds the wheels (no download).
    proc = subprocess.run(
        [sys.executable, "-m", "pip", "--disable-pip-version-check", "install", "-q",
         "--no-deps", "--no-build-isolation", "--target", str(target), *copies],
        capture_output=True, text=True,
    )  # fmt: skip
    if proc.returncode != 0:
        raise RuntimeError(f"pip install --target {target} failed:\n{proc.stdout}\n{proc.stderr}")
    path = os.pathsep.join(filter(None, [str(target), os.environ.get("PYTHONPATH")]))
    return {"PYTHONPATH": path}


def overlay_venv(folder: Path) -> dict[str, str]:
    """A throw-away virtual environment that sees every package of the running one
    (a ``.pth`` file adds its site-packages, with its own ``.pth`` files) and has a
    ``harness`` command of its own: ``pip install`` there changes nothing here.
    Returns the environment for a subprocess (``PATH`` with its bin first)."""
    import os
    import subprocess
    import sys
    import sysconfig

    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(folder)], check=True)
    python = folder / "bin" / "python"
    purelib = subprocess.run(
        [str(python), "-c", "import sysconfig; print(sysconfig.get_path('purelib'))"],
        capture_output=True, text=True, check=True,
    ).stdout.strip()  # fmt: skip
    parent = sysconfig.get_path("purelib")
    (Path(purelib) / "_harness_parent_env.pth").write_text(
        f"import site; site.addsitedir({parent!r})\n"
    )
    harness = folder / "bin" / "harness"
    harness.write_text(f"#!{python}\nfrom harness.cli import entry\nentry()\n")
    harness.chmod(0o755)
    return {"PATH": os.pathsep.join([str(folder / "bin"), os.environ.get("PATH", "")])}


def discovered(patch: Any, points: list[Any]) -> None:
    """Make ``importlib.metadata`` find exactly ``points`` (objects with ``name``,
    ``value`` and ``dist``) as the ``harness`` entry points, with the plugin index
    off so that every search asks it (``patch``: pytest's ``monkeypatch``)."""
    from importlib import metadata

    from harness import envvars

    patch.setenv(envvars.CACHE_DIR, "")
    patch.setattr(metadata, "entry_points", lambda group: list(points))

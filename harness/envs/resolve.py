"""A definition resolved against this machine: interpreter, package lines, the
harness overlay, and the content hash that names the built folder.

**The overlay.** The worker (``python -m harness.worker``) must run inside the
environment, so the harness and its dependencies must be importable there. The
environment's own packages must still win (a user's ``numpy<2`` over the
harness's NumPy 2). A ``.pth`` file in the environment appends the harness's
site-packages *after* the environment's own (``site.addsitedir``, so their
``.pth`` files, editable installs included, work as in the harness's own venv):
nothing is copied, building stays a matter of the user's packages, and an
import that the environment satisfies never reaches the harness's folders.
That only works for the same Python minor version. For another version the
harness's core requirements are installed into the environment too, and the
overlay is reduced to the harness's own import roots plus its metadata.
"""

from __future__ import annotations

import hashlib
import json
import site
import sys
from dataclasses import dataclass
from functools import cache
from importlib import metadata
from pathlib import Path
from typing import Any

from harness.envs.python import Interpreter, find_interpreter, own_interpreter
from harness.envs.spec import Definition, check_requirement

#: Bump when the layout of a built environment changes: old builds are not reused.
FORMAT = 1
DISTRIBUTION = "harness-ml"


@dataclass(frozen=True)
class ResolvedEnvironment:
    definition: Definition
    interpreter: Interpreter
    requirements: tuple[str, ...]
    build_constraints: tuple[str, ...]
    #: Folders the environment's .pth appends to sys.path (see the module doc).
    overlay: tuple[str, ...]
    #: True when the overlay is the harness's whole site-packages (same minor).
    same_python: bool

    def key(self) -> dict[str, Any]:
        return {
            "format": FORMAT,
            "python": self.interpreter.version,
            "interpreter": self.interpreter.path,
            "requirements": sorted(self.requirements, key=str.lower),
            "build_constraints": sorted(self.build_constraints, key=str.lower),
            "overlay": list(self.overlay),
        }

    @property
    def hash(self) -> str:
        blob = json.dumps(self.key(), sort_keys=True).encode()
        return hashlib.sha256(blob).hexdigest()[:16]

    def summary(self) -> dict[str, Any]:
        """The part a run's provenance records before the environment is built."""
        return {
            "name": self.definition.name,
            "version": self.definition.version,
            "hash": self.hash,
            "python": self.interpreter.version,
            "requirements": list(self.requirements),
            "definition": self.definition.to_json(),
        }


def resolve(definition: Definition) -> ResolvedEnvironment:
    interpreter = find_interpreter(definition.python)
    requirements = definition.requirements()
    same = interpreter.minor == own_interpreter().minor
    if same:
        overlay = harness_site_dirs()
    else:
        # Another Python cannot load this one's compiled packages: install the
        # harness's core requirements too; the user's own lines come first and
        # uv resolves both together (a real conflict is a resolver error).
        requirements = [*requirements, *core_requirements()]
        overlay = harness_import_roots()
    return ResolvedEnvironment(
        definition=definition,
        interpreter=interpreter,
        requirements=tuple(requirements),
        build_constraints=tuple(
            check_requirement(c, "build_constraints") for c in definition.build_constraints
        ),
        overlay=tuple(overlay),
        same_python=same,
    )


@cache
def harness_site_dirs() -> list[str]:
    """The site-packages folders of the interpreter the harness runs in."""
    dirs = list(site.getsitepackages())
    if site.ENABLE_USER_SITE and Path(site.getusersitepackages()).is_dir():
        dirs.append(site.getusersitepackages())
    return [str(Path(d).resolve()) for d in dirs if Path(d).is_dir()]


@cache
def harness_import_roots() -> list[str]:
    """The folders holding the harness's own packages and metadata (harness, the
    built-in plugins, hydra_plugins, harness_ml's .dist-info)."""
    roots: list[str] = []
    dist = metadata.distribution(DISTRIBUTION)
    names = {"harness", "hydra_plugins"}
    names.update(ep.value.split(":")[0].split(".")[0] for ep in dist.entry_points)
    for name in sorted(names):
        module = sys.modules.get(name)
        spec = None
        if module is None:
            from importlib.util import find_spec

            spec = find_spec(name)
        locations = (
            list(getattr(module, "__path__", []) or [])
            if module is not None
            else list(spec.submodule_search_locations or [])
            if spec is not None
            else []
        )
        for location in locations:
            parent = str(Path(location).resolve().parent)
            if parent not in roots:
                roots.append(parent)
    dist_path = getattr(dist, "_path", None)  # the .dist-info folder (for entry points)
    if dist_path is not None:
        parent = str(Path(dist_path).resolve().parent)
        if parent not in roots:
            roots.append(parent)
    return roots


def core_requirements() -> list[str]:
    """harness-ml's own requirements, without extras."""
    from packaging.requirements import Requirement

    lines = []
    for line in metadata.requires(DISTRIBUTION) or []:
        req = Requirement(line)
        if req.marker is None or req.marker.evaluate({"extra": ""}):
            req.marker = None
            lines.append(str(req))
    return lines

"""Requirements the harness's own environment already satisfies are taken from
there, not installed again.

An environment of the harness's own Python sees the harness's site-packages
after its own (the overlay, see ``resolve.py``). So a requirement that the
harness's installed version already meets (``scikit-learn`` with scikit-learn
1.9 there, ``torch==2.14.1`` with that torch there) needs no download and no
copy: the job imports it through the overlay. Only the rest is installed by uv.

That is only sound when what the reused packages depend on stays satisfied once
the other requirements are installed in front of them (``scikit-learn`` reused,
``numpy<2`` installed: the harness's scikit-learn, built for NumPy 2, would load
NumPy 1). ``unmet_after_install`` walks the reused packages' dependencies as the
job will see them (the environment first, then the overlay); when a version is
unmet by a package of the environment, the builder installs every requirement
into the environment instead, as if nothing were reused. A dependency the
harness's own environment already lacks (or has at another version) is not a
reason to download: the harness's interpreter runs with that gap too (torch
from a CPU wheel declares CUDA packages a CPU machine never installs); it is
logged in the build log.

Declared versions are not the whole story: a reused package may still fail to
import beside the environment's own packages (the harness's chainer with the
file's ``numpy<2``: NumPy 1's ``numpy.distutils`` needs a setuptools older than
the harness's). So when the environment has packages of its own, the builder also
imports each reused package in the environment's interpreter, as a job would
(``failed_imports``); one that fails is not reused either.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterable
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path


def overlay_path(overlay: Iterable[str]) -> list[str]:
    """The folders the overlay puts on a job's ``sys.path``: each overlay folder
    and what its ``.pth`` files add, path lines and ``import site;
    site.addsitedir(...)`` lines alike. Asked of a fresh interpreter started
    without ``site`` (``-S``) that does exactly what the overlay ``.pth`` does."""
    folders = list(overlay)
    code = (
        "import json, site, sys; before = list(sys.path); "
        "[site.addsitedir(d) for d in json.loads(sys.argv[1])]; "
        "print(json.dumps([p for p in sys.path if p not in before]))"
    )
    try:
        out = subprocess.run(
            [sys.executable, "-S", "-c", code, json.dumps(folders)],
            capture_output=True, text=True, timeout=60, check=True,
        ).stdout  # fmt: skip
        found = [str(p) for p in json.loads(out.strip().splitlines()[-1])]
    except (OSError, subprocess.SubprocessError, ValueError, IndexError):
        found = []  # then only the overlay folders themselves count
    return [*dict.fromkeys([*folders, *found])]


def installed(path: Iterable[str]) -> dict[str, metadata.Distribution]:
    """Distributions on ``path`` by canonical name; the first one found wins, as
    for an import."""
    from packaging.utils import canonicalize_name

    found: dict[str, metadata.Distribution] = {}
    for dist in metadata.distributions(path=list(path)):
        name = dist.metadata["Name"]
        if name:
            found.setdefault(canonicalize_name(name), dist)
    return found


def split(requirements: Iterable[str], overlay: Iterable[str]) -> tuple[list[str], list[str]]:
    """(reused, to_install): the requirement lines the overlay's installed
    versions satisfy, and the others."""
    from packaging.requirements import Requirement
    from packaging.utils import canonicalize_name

    have = installed(overlay_path(overlay))
    reused: list[str] = []
    to_install: list[str] = []
    for line in requirements:
        req = Requirement(line)
        dist = have.get(canonicalize_name(req.name))
        applies = req.marker is None or req.marker.evaluate()
        if (
            applies
            and not req.url
            and dist is not None
            and req.specifier.contains(dist.version, prereleases=True)
        ):
            reused.append(line)
        else:
            to_install.append(line)
    return reused, to_install


@dataclass
class Closure:
    #: ``name==version`` of every package the reused requirements bring, taken
    #: from the harness's environment.
    from_harness: list[str] = field(default_factory=list)
    #: What is not met, one entry per requirement (empty: reusing is sound).
    unmet: list[str] = field(default_factory=list)
    #: Dependencies unmet in the harness's own environment already (missing or
    #: another version), where the environment does not shadow them.
    as_in_harness: list[str] = field(default_factory=list)


#: Run by the environment's interpreter: the overlay appended as its .pth will do,
#: the NumPy 2 patch jobs apply before chainer, then each import; prints a JSON
#: object name → None or the exception's line.
_IMPORT_CHECK = """
import importlib, json, site, sys
data = json.loads(sys.argv[1])
for folder in data["overlay"]:
    site.addsitedir(folder)
try:
    from harness.compat.numpy2 import restore_sctypes
    restore_sctypes()
except Exception:
    pass
found = {}
for name in data["names"]:
    try:
        importlib.import_module(name)
        found[name] = None
    except BaseException as exc:
        line = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
        found[name] = f"{type(exc).__name__}: {line}".rstrip(": ")
print(json.dumps(found))
"""


def import_names(dist: metadata.Distribution) -> list[str]:
    """What ``import`` a job uses for ``dist``: the top-level package named like the
    distribution (``chainer``), else its public top-level packages (``sklearn`` for
    scikit-learn, ``yaml`` for PyYAML). Namespace packages give none."""
    from packaging.utils import canonicalize_name

    tops: list[str] = []
    for file in dist.files or []:
        parts = file.parts
        if len(parts) == 2 and parts[1] == "__init__.py":
            tops.append(parts[0])
        elif len(parts) == 1 and parts[0].endswith(".py"):
            tops.append(parts[0][: -len(".py")])
    tops = sorted({t for t in tops if t.isidentifier() and not t.startswith("_")})
    own = canonicalize_name(str(dist.metadata["Name"])).replace("-", "_")
    if own in tops:
        return [own]
    return [t for t in tops if t not in ("test", "tests", "testing", "docs", "examples")]


def failed_imports(reused: Iterable[str], python: Path, overlay: Iterable[str]) -> list[str]:
    """``name: error`` for each reused requirement whose package does not import in
    the environment's interpreter (its own packages first, then the overlay)."""
    from packaging.requirements import Requirement
    from packaging.utils import canonicalize_name

    have = installed(overlay_path(overlay))
    names: dict[str, str] = {}
    for line in reused:
        dist = have.get(canonicalize_name(Requirement(line).name))
        for name in import_names(dist) if dist is not None else []:
            names[name] = line
    if not names:
        return []
    payload = json.dumps({"overlay": list(overlay), "names": list(names)})
    try:
        proc = subprocess.run(
            [str(python), "-c", _IMPORT_CHECK, payload],
            capture_output=True, text=True, timeout=300,
            env={k: v for k, v in os.environ.items() if k != "PYTHONPATH"},
        )  # fmt: skip
        found = json.loads(proc.stdout.strip().splitlines()[-1])
    except (OSError, subprocess.SubprocessError, ValueError, IndexError):
        return [f"{', '.join(names)}: the import check did not run"]
    return [f"{names[n]} (import {n}: {error})" for n, error in found.items() if error]


def unmet_after_install(reused: Iterable[str], env_site: Path, overlay: Iterable[str]) -> Closure:
    """Walk the reused requirements and their dependencies as the job will see
    them (``env_site`` first, then the overlay)."""
    from packaging.requirements import InvalidRequirement, Requirement
    from packaging.utils import canonicalize_name

    env_dir = env_site.resolve()
    visible = installed([str(env_dir), *overlay_path(overlay)])
    closure = Closure()
    stack = [Requirement(line) for line in reused]
    seen: set[tuple[str, frozenset[str]]] = set()
    while stack:
        req = stack.pop()
        name = canonicalize_name(req.name)
        if (name, frozenset(req.extras)) in seen:
            continue
        seen.add((name, frozenset(req.extras)))
        dist = visible.get(name)
        if dist is None:
            # Missing from the harness's environment as well (torch installed from a
            # CPU wheel without its CUDA packages): the reused package works here
            # exactly as it does for the harness itself.
            closure.as_in_harness.append(f"{req} (not installed)")
            continue
        in_env = Path(str(dist.locate_file(""))).resolve() == env_dir
        if not req.specifier.contains(dist.version, prereleases=True):
            # Only a package of this environment breaks what the reused ones need;
            # a gap the harness's environment has itself is no worse here.
            found = f"{req} (found {dist.version})"
            (closure.unmet if in_env else closure.as_in_harness).append(found)
            continue
        if not in_env:
            line = f"{dist.metadata['Name']}=={dist.version}"
            if line not in closure.from_harness:
                closure.from_harness.append(line)
        for text in dist.requires or []:
            try:
                dep = Requirement(text)
            except InvalidRequirement:
                continue
            extras = req.extras or {""}
            if dep.marker is None or any(dep.marker.evaluate({"extra": e}) for e in extras):
                dep.marker = None
                stack.append(dep)
    closure.from_harness.sort(key=str.lower)
    return closure

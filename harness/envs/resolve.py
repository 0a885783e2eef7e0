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
harness's compiled dependencies cannot be loaded, so its core requirements are
installed into the environment with the user's, and the harness itself with
``--no-deps`` (from its source folder, or its released version); no overlay.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import site
from dataclasses import dataclass
from functools import cache
from importlib import metadata
from pathlib import Path
from typing import Any

from harness.envs.python import Interpreter, choose, own_interpreter
from harness.envs.spec import Definition, check_requirement
from harness.storage.workspace import atomic_write_json, read_json

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
    #: Another minor version: the harness itself, installed with ``--no-deps``.
    harness_install: tuple[str, ...] = ()
    #: Why the interpreter is not the requested ``python`` (harness/envs/python.py);
    #: None when it is. Not part of the hash: the build is the interpreter's.
    python_note: str | None = None

    def key(self) -> dict[str, Any]:
        key = {
            "format": FORMAT,
            "python": self.interpreter.version,
            "interpreter": self.interpreter.path,
            "requirements": sorted(self.requirements, key=str.lower),
            "build_constraints": sorted(self.build_constraints, key=str.lower),
            "overlay": list(self.overlay),
            "harness": list(self.harness_install),
        }
        direct = self.direct_requirements()
        if direct:  # a local file's content, not only its URL: a changed wheel is a new build
            key["direct"] = [d.get("sha256") for d in direct]
        return key

    def direct_requirements(self) -> list[dict[str, Any]]:
        """The ``name @ URL`` requirements: installed as found at that URL, not by
        version. Each with its URL and, for a local file, its SHA-256 now."""
        return direct_requirements(self.requirements)

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
            **self.python_request(),
            **self.direct_record(),
        }

    def direct_record(self) -> dict[str, Any]:
        """What provenance keeps beside the requirements: ``name @ URL`` lines, and
        the Azure ML SDK packages the definition listed but that were not installed."""
        record: dict[str, Any] = {}
        direct = self.direct_requirements()
        if direct:
            record["direct_requirements"] = direct
        dropped = self.definition.azureml_packages()
        if dropped:
            record["not_installed"] = dropped
        return record

    def warnings(self) -> list[str]:
        """One line each: the Python used instead of the one asked for, the Azure ML
        SDK packages left out, requirements taken from a URL. Provenance keeps them."""
        return notes({"python_note": self.python_note, **self.direct_record()})

    def python_request(self) -> dict[str, Any]:
        """The requested version and, when another was used, the note saying so."""
        if self.definition.python is None:
            return {}
        return {"python_requested": self.definition.python, "python_note": self.python_note}


def resolve(definition: Definition, home: Path | None = None) -> ResolvedEnvironment:
    """Resolve ``definition`` on this machine.

    With a workspace (``home``), the canonical requirement lines are remembered in
    ``envs/.resolved/<key>.json``, keyed by the definition as written: a run that
    reuses a known definition then never imports ``packaging`` (its requirement
    parser alone cost more than the rest of the environment's start-up; measured
    in benchmarks/bench_envs.py). A remembered definition was checked when it was
    first resolved.
    """
    chosen = choose(definition.python, strict=definition.strict_python)
    interpreter = chosen.interpreter
    same = interpreter.minor == own_interpreter().minor
    overlay = harness_site_dirs() if same else []
    harness_install = () if same else tuple(harness_itself())
    memo = _memo_path(home, definition, interpreter, overlay, harness_install)
    lines = _read_memo(memo)
    if lines is None:
        requirements = definition.requirements()
        if not same:
            # Another Python cannot load this one's compiled packages: install the
            # harness's core requirements too; the user's own lines come first and
            # uv resolves both together (a real conflict is a resolver error).
            requirements = [*requirements, *core_requirements()]
        constraints = [
            check_requirement(c, "build_constraints") for c in definition.build_constraints
        ]
        requirements, constraints = implied_needs(requirements, constraints)
        lines = {"requirements": requirements, "build_constraints": constraints}
        if memo is not None:
            with contextlib.suppress(OSError):
                memo.parent.mkdir(parents=True, exist_ok=True)
                atomic_write_json(memo, lines)
    return ResolvedEnvironment(
        definition=definition,
        interpreter=interpreter,
        requirements=tuple(lines["requirements"]),
        build_constraints=tuple(lines["build_constraints"]),
        overlay=tuple(overlay),
        same_python=same,
        harness_install=harness_install,
        python_note=chosen.note,
    )


#: What a package needs that its own metadata does not say, added unless the
#: definition names that need's package itself. chainer 7.8.1 (its last release) is
#: a source archive whose build uses pkg_resources, gone in setuptools 81; at import,
#: with a NumPy 1.x (Azure's Chainer sample: cupy-cuda111 pulls numpy 1.26), it reads
#: numpy.distutils, which needs distutils.msvccompiler, gone in setuptools 74.
IMPLIED_NEEDS: dict[str, dict[str, list[str]]] = {
    "chainer": {"requirements": ["setuptools<74"], "build_constraints": ["setuptools<81"]},
}


def implied_needs(requirements: list[str], constraints: list[str]) -> tuple[list[str], list[str]]:
    """``requirements`` and ``constraints`` with IMPLIED_NEEDS added where they apply."""
    from packaging.requirements import Requirement
    from packaging.utils import canonicalize_name

    def names(lines: list[str]) -> set[str]:
        return {canonicalize_name(Requirement(line).name) for line in lines}

    requirements, constraints = list(requirements), list(constraints)
    for package, needs in IMPLIED_NEEDS.items():
        if package not in names(requirements):
            continue
        for line in needs.get("requirements", []):
            if canonicalize_name(Requirement(line).name) not in names(requirements):
                requirements.append(line)
        for line in needs.get("build_constraints", []):
            if canonicalize_name(Requirement(line).name) not in names(constraints):
                constraints.append(line)
    return requirements, constraints


def _memo_path(
    home: Path | None,
    definition: Definition,
    interpreter: Interpreter,
    overlay: list[str],
    harness_install: tuple[str, ...],
) -> Path | None:
    if home is None:
        return None
    written = {
        "format": FORMAT,
        "implied": sorted(IMPLIED_NEEDS),  # memos written before a need was added: stale
        "content": definition.content(),
        "interpreter": [interpreter.path, interpreter.version],
        "overlay": overlay,
        # Another Python adds the harness's own requirements, which change with it.
        "harness": [*harness_install, metadata.version(DISTRIBUTION)] if harness_install else [],
    }
    key = hashlib.sha256(json.dumps(written, sort_keys=True).encode()).hexdigest()[:24]
    return home / "envs" / ".resolved" / f"{key}.json"


def _read_memo(memo: Path | None) -> dict[str, list[str]] | None:
    if memo is None:
        return None
    try:
        data = read_json(memo)
        return {"requirements": list(data["requirements"]),
                "build_constraints": list(data["build_constraints"])}  # fmt: skip
    except (OSError, ValueError, KeyError, TypeError):
        return None


def notes(environment: dict[str, Any]) -> list[str]:
    """The warning lines for an environment, from what a run's provenance keeps
    (``python_note``, ``not_installed``, ``direct_requirements``): printed by the
    driver, and by the Python API for a submission (whose driver's output it does
    not show)."""
    lines = [str(environment["python_note"])] if environment.get("python_note") else []
    dropped = environment.get("not_installed") or []
    if dropped:
        lines.append(
            f"environment: {', '.join(dropped)} not installed: jobs import the harness's "
            "Azure ML layer as azureml, not the Azure ML SDK (docs/environments.md)"
        )
    for item in environment.get("direct_requirements") or []:
        lines.append(
            f"environment requirement '{item['requirement']}' is a direct URL: it is "
            "installed as found there, not pinned by version (provenance keeps the URL"
            + (" and the file's SHA-256)" if item.get("sha256") else ")")
        )
    return lines


def direct_requirements(lines: tuple[str, ...] | list[str]) -> list[dict[str, Any]]:
    """``name @ URL`` lines (canonical form, as ``check_requirement`` writes them)."""
    found = []
    for line in lines:
        head, sep, tail = line.partition(" @ ")
        if not sep:
            continue
        url = tail.split(" ;", 1)[0].strip()
        item: dict[str, Any] = {"requirement": line, "name": head.split("[")[0], "url": url}
        if url.startswith("file://"):
            from urllib.parse import unquote, urlparse

            path = Path(unquote(urlparse(url).path))
            item["sha256"] = _file_sha256(path) if path.is_file() else None
        found.append(item)
    return found


def _file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


@cache
def harness_site_dirs() -> list[str]:
    """The site-packages folders of the interpreter the harness runs in."""
    dirs = list(site.getsitepackages())
    if site.ENABLE_USER_SITE and Path(site.getusersitepackages()).is_dir():
        dirs.append(site.getusersitepackages())
    return [str(Path(d).resolve()) for d in dirs if Path(d).is_dir()]


def harness_itself() -> list[str]:
    """How to install this very harness into an environment of another Python:
    its source folder (``--no-deps``; editable when it is installed editable here),
    or its released version."""
    found = list(metadata.distributions(name=DISTRIBUTION))
    # An .egg-info in the working directory (a source checkout) has no install
    # record; the installed .dist-info says where the harness came from.
    dist = next((d for d in found if d.read_text("direct_url.json")), found[0])
    try:
        direct = json.loads(dist.read_text("direct_url.json") or "null")
    except ValueError:
        direct = None
    if direct and str(direct.get("url", "")).startswith("file://"):
        folder = str(direct["url"])[len("file://") :]
        editable = bool((direct.get("dir_info") or {}).get("editable"))
        return ["-e", folder] if editable else [folder]
    return [f"{DISTRIBUTION}=={dist.version}"]


#: Core requirements a job never imports (only the driver builds environments).
DRIVER_ONLY = {"uv"}


def core_requirements() -> list[str]:
    """harness-ml's own requirements, without extras and without the driver-only ones."""
    from packaging.requirements import Requirement
    from packaging.utils import canonicalize_name

    lines = []
    for line in metadata.requires(DISTRIBUTION) or []:
        req = Requirement(line)
        if canonicalize_name(req.name) in DRIVER_ONLY:
            continue
        if req.marker is None or req.marker.evaluate({"extra": ""}):
            req.marker = None
            lines.append(str(req))
    return lines

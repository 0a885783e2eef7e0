"""``harness envs``: named, versioned Python environments for runs.

create | list | show | build | delete | prune, each with ``--format json``.
Definitions live in ``$HARNESS_HOME/environments/``; built environments in
``$HARNESS_HOME/envs/<hash>/`` (see harness/envs/).
"""

from __future__ import annotations

import argparse
import shutil
import sys
import time
from pathlib import Path
from typing import Any

from harness.cli.output import print_json, print_table
from harness.envs import registry
from harness.envs.build import BUILDING_PREFIX, LAST_USED, RECORD, envs_root, find_built
from harness.envs.errors import EnvironmentSpecError
from harness.envs.resolve import resolve
from harness.envs.spec import Definition, from_mapping
from harness.storage.workspace import harness_home


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="harness envs",
        description="Python environments for runs, built with uv and cached by content hash.",
    )
    sub = parser.add_subparsers(dest="action", required=True, metavar="ACTION")
    create = sub.add_parser("create", help="register NAME (a new version if it changed)")
    create.add_argument("name")
    create.add_argument("--pip", nargs="+", default=[], metavar="PKG", help="pip requirements")
    create.add_argument("--conda", nargs="+", default=[], metavar="PKG",
                        help="conda package names (mapped to PyPI by the documented table)")  # fmt: skip
    create.add_argument("--requirements", metavar="FILE", help="a requirements.txt")
    create.add_argument("--conda-file", metavar="FILE", help="a conda environment.yml")
    create.add_argument(
        "--python", help="interpreter version (3.11) or path; default: the harness's"
    )
    create.add_argument(
        "--strict-python",
        action="store_true",
        help="refuse a --python that cannot be had here (default: the nearest, with a warning)",
    )
    create.add_argument("--build-constraint", nargs="+", default=[], metavar="REQ",
                        help="constraints for building source packages (e.g. setuptools<81)")  # fmt: skip
    create.add_argument("--build", action="store_true", help="build it now too")
    listing = sub.add_parser("list", help="curated and registered environments")
    show = sub.add_parser("show", help="one environment: definition, hash, packages if built")
    show.add_argument("reference", metavar="NAME[:VERSION]")
    build = sub.add_parser("build", help="build (or find) an environment now")
    build.add_argument("reference", metavar="NAME[:VERSION]")
    delete = sub.add_parser("delete", help="delete a registered environment (or one version)")
    delete.add_argument("reference", metavar="NAME[:VERSION]")
    prune = sub.add_parser(
        "prune", help="remove leftovers of killed builds and built environments nobody names"
    )
    prune.add_argument("--unused-days", type=float, default=7.0,
                       help="keep unnamed builds used within this many days (default 7; 0: none)")  # fmt: skip
    prune.add_argument("--dry-run", action="store_true", help="only list what would go")
    for command in (create, listing, show, build, delete, prune):
        command.add_argument("--format", choices=("table", "json"), default="table")
    return parser


def describe(home: Path, definition: Definition, with_packages: bool = False) -> dict[str, Any]:
    """The JSON object for one environment."""
    resolved = resolve(definition)
    built = find_built(resolved, home)
    curated = registry.is_reserved(definition.name or "")
    data: dict[str, Any] = {
        "name": definition.name,
        "version": definition.version,
        "kind": "curated" if curated else "workspace",
        "definition": registry.to_mapping(definition),
        "python": resolved.interpreter.version,
        "interpreter": resolved.interpreter.path,
        "requirements": list(resolved.requirements),
        "hash": resolved.hash,
        "built": built is not None,
        "path": str(built.path) if built else None,
        **resolved.python_request(),
        **resolved.direct_record(),
    }
    if curated:
        data["v1_names"] = sorted(k for k, v in registry.V1_NAMES.items() if v == definition.name)
    elif definition.name and definition.version:
        data["created"] = registry.created_at(home, definition.name, definition.version)
    if with_packages:
        data["packages"] = built.record.get("packages", []) if built else None
        data["from_harness"] = built.record.get("from_harness", []) if built else None
    return data


def cmd_create(home: Path, opts: argparse.Namespace) -> int:
    if registry.is_reserved(opts.name):
        raise EnvironmentSpecError(f"'{opts.name}' is a curated environment name; choose another")
    definition = from_mapping(
        {
            "name": opts.name,
            "python": opts.python,
            "pip_packages": opts.pip,
            "conda_packages": opts.conda,
            "requirements": opts.requirements,
            "conda_file": opts.conda_file,
            "build_constraints": opts.build_constraint,
            "strict_python": opts.strict_python or None,
        },
        where="harness envs create",
    )
    if not definition.pip_packages and not definition.conda_packages and not opts.python:
        raise EnvironmentSpecError(
            "harness envs create: give packages (--pip, --conda, --requirements, --conda-file) "
            "or --python"
        )
    resolved = resolve(definition)  # strict_python and no such Python: refused before writing
    for line in resolved.warnings():
        print(f"harness: warning: {line}", file=sys.stderr)
    stored, new = registry.register(home, definition)
    data = describe(home, stored)
    data["new_version"] = new
    if opts.build:
        data.update(_build(home, stored, quiet=opts.format == "json"))
    if opts.format == "json":
        print_json(data)
    else:
        what = "registered" if new else "unchanged, still"
        print(f"environment {stored.name}:{stored.version} {what} (hash {data['hash']})")
    return 0


def cmd_list(home: Path, opts: argparse.Namespace) -> int:
    rows = [describe(home, registry.curated(name)) for name in registry.curated_names()]  # type: ignore[arg-type]
    for name in registry.registered_names(home):
        latest = registry.get(home, name)
        entry = describe(home, latest)
        entry["versions"] = registry.versions(home, name)
        rows.append(entry)
    if opts.format == "json":
        print_json(rows)
        return 0
    print_table(
        f"environments in {home}",
        ("name", "version", "kind", "python", "built", "packages"),
        [
            (
                r["name"],
                r["version"],
                r["kind"],
                r["python"],
                "yes" if r["built"] else "no",
                " ".join(r["requirements"]) or "(none)",
            )  # fmt: skip
            for r in rows
        ],
    )
    return 0


def cmd_show(home: Path, opts: argparse.Namespace) -> int:
    definition = registry.get(home, opts.reference)
    data = describe(home, definition, with_packages=True)
    if definition.name and not registry.is_reserved(definition.name):
        data["versions"] = registry.versions(home, definition.name)
    if opts.format == "json":
        print_json(data)
        return 0
    print(f"environment {definition.name}:{definition.version}  [{data['kind']}]")
    if data.get("v1_names"):
        print(f"Azure ML v1 names: {', '.join(data['v1_names'])}")
    print(f"python {data['python']} ({data['interpreter']})")
    if data.get("python_note"):
        print(f"note: {data['python_note']}")
    print(f"requirements: {' '.join(data['requirements']) or '(none)'}")
    print(f"hash: {data['hash']}   built: {'yes, ' + data['path'] if data['built'] else 'no'}")
    if data["packages"]:
        print("packages:")
        reused = set(data.get("from_harness") or [])
        for line in data["packages"]:
            print(f"  {line}" + ("  (the harness's, reused)" if line in reused else ""))
    return 0


def _build(home: Path, definition: Definition, quiet: bool) -> dict[str, Any]:
    from harness.envs.build import ensure_built

    started = time.perf_counter()
    built = ensure_built(resolve(definition), home, quiet=quiet)
    return {
        "built": True,
        "built_now": built.built_now,
        "path": str(built.path),
        "seconds": round(time.perf_counter() - started, 3),
        "packages": built.record.get("packages", []),
        "from_harness": built.record.get("from_harness", []),
    }


def cmd_build(home: Path, opts: argparse.Namespace) -> int:
    definition = registry.get(home, opts.reference)
    data = describe(home, definition)
    data.update(_build(home, definition, quiet=opts.format == "json"))
    if opts.format == "json":
        print_json(data)
    else:
        state = "built" if data["built_now"] else "already built"
        print(f"environment {definition.name}:{definition.version} {state} in "
              f"{data['seconds']:.2f} s: {data['path']}")  # fmt: skip
    return 0


def cmd_delete(home: Path, opts: argparse.Namespace) -> int:
    gone = registry.delete(home, opts.reference)
    name = opts.reference.partition(":")[0]
    if opts.format == "json":
        print_json({"name": name, "deleted_versions": gone})
    else:
        print(f"deleted {name} version(s) {', '.join(map(str, gone))} "
              "(built environments stay until `harness envs prune`)")  # fmt: skip
    return 0


def cmd_prune(home: Path, opts: argparse.Namespace) -> int:
    root = envs_root(home)
    named = _named_hashes(home)
    removed: list[dict[str, Any]] = []
    cutoff = time.time() - opts.unused_days * 86400
    if root.is_dir():
        for folder in sorted(root.iterdir()):
            if folder.name.startswith(BUILDING_PREFIX) and not _builder_alive(folder):
                removed.append({"path": str(folder), "reason": "leftover of a killed build"})
            elif (
                (folder / RECORD).is_file()
                and folder.name not in named
                and _last_used(folder) < cutoff
            ):
                removed.append({"path": str(folder), "reason": "no definition names it"})
    if not opts.dry_run:
        for entry in removed:
            shutil.rmtree(entry["path"], ignore_errors=True)
    if opts.format == "json":
        print_json({"removed": removed, "dry_run": opts.dry_run})
    else:
        verb = "would remove" if opts.dry_run else "removed"
        for entry in removed:
            print(f"{verb} {entry['path']} ({entry['reason']})")
        print(f"{verb} {len(removed)} folder(s)")
    return 0


def _named_hashes(home: Path) -> set[str]:
    hashes = set()
    definitions = [registry.curated(n) for n in registry.curated_names()]
    for name in registry.registered_names(home):
        definitions += [registry.load(home, name, v) for v in registry.versions(home, name)]
    for definition in definitions:
        try:
            hashes.add(resolve(definition).hash)  # type: ignore[arg-type]
        except EnvironmentSpecError:  # e.g. its Python is gone: nothing can use the build
            continue
    return hashes


def _last_used(folder: Path) -> float:
    for name in (LAST_USED, RECORD):
        try:
            return (folder / name).stat().st_mtime
        except OSError:
            continue
    return 0.0


def _builder_alive(folder: Path) -> bool:
    """A ``.building-<hash>-<pid>`` folder whose builder still runs on this host."""
    from harness.run import processes

    pid = folder.name.rsplit("-", 1)[-1]
    return pid.isdigit() and processes.alive(int(pid))


def main(args: list[str]) -> int:
    actions = {
        "create": cmd_create,
        "list": cmd_list,
        "show": cmd_show,
        "build": cmd_build,
        "delete": cmd_delete,
        "prune": cmd_prune,
    }
    opts = build_parser().parse_args(args)
    return actions[opts.action](harness_home(), opts)

"""``harness models``: the model registry (register, list, show, download, alias, delete)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from harness.cli.output import print_json, print_table
from harness.errors import ConfigError

# The JSON objects are the Python API's: one code path for the CLI, the SDK and the
# dashboard.
from harness.sdk.model import model_json, model_list_item
from harness.storage.model_registry import ModelRegistry, ModelVersion, download, parse_ref


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="harness models",
        description="Model registry: versions 1, 2, 3… per name, linked to their runs. "
        "Refer to a version as NAME (latest), NAME:VERSION or NAME@ALIAS.",
    )
    sub = parser.add_subparsers(dest="action", required=True, metavar="ACTION")
    reg = sub.add_parser("register", help="copy a run's file in as the next version of NAME")
    reg.add_argument("name")
    reg.add_argument("--run", required=True, dest="run_id", help="the run that made the model")
    reg.add_argument(
        "--path", required=True, help="file or folder inside the run, e.g. outputs/model.joblib"
    )
    reg.add_argument("--tag", action="append", default=[], metavar="KEY=VALUE")
    reg.add_argument("--description", default="")
    reg.add_argument("--format", choices=("table", "json"), default="table")
    listing = sub.add_parser("list", help="registered models, or the versions of one")
    listing.add_argument("name", nargs="?")
    listing.add_argument("--format", choices=("table", "json"), default="table")
    show = sub.add_parser("show", help="one version: NAME, NAME:VERSION or NAME@ALIAS")
    show.add_argument("ref")
    show.add_argument("--format", choices=("table", "json"), default="table")
    down = sub.add_parser("download", help="copy a version's files to DEST (sha256 checked)")
    down.add_argument("ref")
    down.add_argument("dest")
    alias = sub.add_parser("alias", help="point ALIAS (e.g. production) at a version")
    alias.add_argument("name")
    alias.add_argument("version", type=int)
    alias.add_argument("alias")
    delete = sub.add_parser("delete", help="delete one version: NAME:VERSION")
    delete.add_argument("ref")
    delete.add_argument("--yes", "-y", action="store_true", help="do not ask for confirmation")
    return parser


def _tags(items: list[str]) -> dict[str, str]:
    tags = {}
    for item in items:
        key, sep, value = item.partition("=")
        if not sep or not key:
            raise ConfigError(f"--tag '{item}': write KEY=VALUE")
        tags[key] = value
    return tags


def _print_entry(entry: ModelVersion) -> None:
    from harness.cli.output import format_value

    print(
        f"model {entry.name}  version {entry.version}"
        + (f"  aliases: {', '.join(entry.aliases)}" if entry.aliases else "")
    )
    print(f"run: {entry.run_id} (experiment {entry.experiment})  source: {entry.source_path}")
    print(f"sha256: {entry.sha256}  size: {entry.size} bytes  created: {entry.created}")
    if entry.description:
        print(f"description: {entry.description}")
    if entry.tags:
        print("tags: " + ", ".join(f"{k}={v}" for k, v in entry.tags.items()))
    scalars = {k: v for k, v in entry.metrics.items() if isinstance(v, (int, float))}
    print(
        "metrics: "
        + ("  ".join(f"{k}={format_value(v)}" for k, v in sorted(scalars.items())) or "(none)")
    )
    print("files: " + ", ".join(entry.files))
    print(f"folder: {entry.path}")


def cmd_register(registry: ModelRegistry, opts: argparse.Namespace) -> int:
    from harness.sdk.run import Run
    from harness.sdk.workspace import Workspace

    # The Python API's run.register_model: one code path for both doors.
    model = Run.get(opts.run_id, workspace=Workspace(registry.root.parent)).register_model(
        opts.name, opts.path, tags=_tags(opts.tag), description=opts.description
    )
    entry = model._entry
    if opts.format == "json":
        print_json(model_json(entry))
    else:
        print(f"registered {entry.name} version {entry.version} from run {entry.run_id}")
    return 0


def cmd_list(registry: ModelRegistry, opts: argparse.Namespace) -> int:
    names = [opts.name] if opts.name else registry.names()
    if opts.name:
        registry.get(opts.name)  # a clear error for an unknown name
    if opts.format == "json":
        print_json([model_list_item(registry, name) for name in names])
        return 0
    rows = []
    for name in names:
        versions = registry.versions(name)
        for entry in versions if opts.name else versions[-1:]:
            rows.append(
                (
                    entry.name,
                    entry.version,
                    ", ".join(entry.aliases),
                    entry.run_id,
                    entry.created[:19].replace("T", " "),
                    entry.description,
                )
            )
    title = f"versions of {opts.name}" if opts.name else "models (latest version)"
    print_table(title, ("name", "version", "aliases", "run", "created", "description"), rows)
    return 0


def cmd_show(registry: ModelRegistry, opts: argparse.Namespace) -> int:
    entry = registry.get(opts.ref)
    if opts.format == "json":
        print_json(model_json(entry))
    else:
        _print_entry(entry)
    return 0


def cmd_download(registry: ModelRegistry, opts: argparse.Namespace) -> int:
    target = download(registry.get(opts.ref), Path(opts.dest))
    print(target)
    return 0


def cmd_alias(registry: ModelRegistry, opts: argparse.Namespace) -> int:
    entry = registry.set_alias(opts.name, opts.version, opts.alias)
    print(f"{entry.name}@{opts.alias} → version {entry.version}")
    return 0


def cmd_delete(registry: ModelRegistry, opts: argparse.Namespace) -> int:
    name, version, alias = parse_ref(opts.ref)
    if version is None:
        raise ConfigError(f"'{opts.ref}': name the version to delete, as NAME:VERSION")
    registry.get(opts.ref)
    if not opts.yes:
        print(f"delete model {name} version {version}? [y/N]", end=" ", flush=True)
        if sys.stdin.readline().strip().lower() not in ("y", "yes"):
            print("nothing deleted", file=sys.stderr)
            return 1
    registry.delete(name, version)
    print(f"deleted {name}:{version}")
    return 0


ACTIONS = {
    "register": cmd_register,
    "list": cmd_list,
    "show": cmd_show,
    "download": cmd_download,
    "alias": cmd_alias,
    "delete": cmd_delete,
}


def main(args: list[str]) -> int:
    opts = build_parser().parse_args(args)
    return ACTIONS[opts.action](ModelRegistry(), opts)

"""``harness models``: the model registry (register, list, show, download, alias, delete)
and ``serve``, which starts a web service (``harness services``) for a version."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from harness.cli.output import print_json, print_table
from harness.errors import ConfigError

# The JSON objects are the Python API's: one code path for the CLI, the SDK and the
# dashboard.
from harness.sdk.model import list_models, model_json
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
    _serve_parser(sub)
    return parser


def _serve_parser(sub: Any) -> None:
    serve = sub.add_parser(
        "serve",
        help="serve a version as a local web service (POST /score, /invocations)",
        description="Start a web service for registered model version(s), detached: it "
        "keeps running after this command (see `harness services`). Without "
        "--entry-script the estimator that trained the model loads it.",
    )
    serve.add_argument("refs", nargs="+", metavar="MODEL", help="NAME, NAME:VERSION or NAME@ALIAS")
    serve.add_argument("--name", help="the service's name (default: the first model's name)")
    serve.add_argument("--entry-script", help="a v1 score.py with init() and run(raw_data)")
    serve.add_argument("--source-directory", help="the folder of the entry script (copied in)")
    serve.add_argument(
        "--environment",
        help="NAME[:VERSION] of an environment (default: the one the model's run trained in)",
    )
    serve.add_argument(
        "--host", default="127.0.0.1", help="default 127.0.0.1 (any other needs a key)"
    )
    serve.add_argument("--port", type=int, default=0, help="default: a free port")
    serve.add_argument("--workers", type=int, default=1, help="worker processes (default 1)")
    serve.add_argument("--token", help="the key other hosts must send (default: a new one)")
    serve.add_argument(
        "--body-limit", type=_bytes, default=None, help="largest request body (default 32M)"
    )
    serve.add_argument("--overwrite", action="store_true", help="replace a service of that name")
    serve.add_argument("--no-wait", action="store_true", help="return while it is still starting")
    serve.add_argument("--format", choices=("table", "json"), default="table")


def _bytes(text: str) -> int:
    units = {"k": 1 << 10, "m": 1 << 20, "g": 1 << 30}
    raw = text.strip().lower().removesuffix("b").removesuffix("i")
    scale = units.get(raw[-1:], 1)
    number = raw[:-1] if raw[-1:] in units else raw
    if not number.isdigit() or int(number) < 1:
        raise argparse.ArgumentTypeError(f"'{text}' is not a size (e.g. 1048576, 64K, 32M)")
    return int(number) * scale


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
    from harness.storage.model_formats import describe_files

    described = describe_files(Path(entry.path) / "files", sorted(entry.files))
    print("files: " + ", ".join(f"{d['file']} ({d['format']})" for d in described))
    pickled = [str(d["file"]) for d in described if d["pickle"]]
    if pickled:
        print(
            f"pickle-based: {', '.join(pickled)}: loading runs code the file names; serve "
            "or load only models you trust (`models serve` checks the SHA-256 first)"
        )
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
    # The Python API's list_models: a damaged version is an item and one warning line.
    items = list_models(opts.name, registry.root.parent)
    if opts.format == "json":
        print_json(items)
        return 0
    rows = []
    for item in items:
        readable = [v for v in item["versions"] if not v.get("damaged")]
        shown = readable if opts.name else readable[-1:]
        for v in sorted(shown + [v for v in item["versions"] if v.get("damaged")], key=_number):
            if v.get("damaged"):
                rows.append(
                    (v["name"], v["version"], "-", "-", "-", "Damaged: see the warning above")
                )
                continue
            rows.append(
                (
                    v["name"],
                    v["version"],
                    ", ".join(v["aliases"]),
                    v["run_id"],
                    v["created"][:19].replace("T", " "),
                    v["description"],
                )
            )
    title = f"versions of {opts.name}" if opts.name else "models (latest version)"
    print_table(title, ("name", "version", "aliases", "run", "created", "description"), rows)
    return 0


def _number(version: dict[str, Any]) -> int:
    return int(version["version"])


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
    from harness.records import Damaged

    name, version, alias = parse_ref(opts.ref)
    if version is None:
        raise ConfigError(f"'{opts.ref}': name the version to delete, as NAME:VERSION")
    damaged = isinstance(registry.lookup(name, version), Damaged)  # also a damaged one
    what = f"model {name} version {version}" + (" (its record is damaged)" if damaged else "")
    if not opts.yes:
        print(f"delete {what}? [y/N]", end=" ", flush=True)
        if sys.stdin.readline().strip().lower() not in ("y", "yes"):
            print("nothing deleted", file=sys.stderr)
            return 1
    registry.delete(name, version)
    print(f"deleted {name}:{version}" + (" (damaged record)" if damaged else ""))
    return 0


def cmd_serve(registry: ModelRegistry, opts: argparse.Namespace) -> int:
    from harness.sdk.service import deploy
    from harness.sdk.workspace import Workspace

    name = opts.name or parse_ref(opts.refs[0])[0]
    service = deploy(
        name,
        opts.refs,
        workspace=Workspace(registry.root.parent),
        entry_script=opts.entry_script,
        source_directory=opts.source_directory,
        environment=opts.environment,
        host=opts.host,
        port=opts.port,
        workers=opts.workers,
        body_limit=opts.body_limit,
        token=opts.token,
        overwrite=opts.overwrite,
        wait=not opts.no_wait,
    )
    item = service.serialize()
    if opts.format == "json":
        print_json(item)
        return 0
    print(f"service {item['name']}: {item['status']}  ({_models_of(item)})")
    print(f"  scoring URI: {item['scoring_uri']}   MLflow clients: {item['url']}invocations")
    if item.get("auth"):
        print(f"  key (Authorization: Bearer …): {service.get_keys()[0]}")
    print(f"  logs: harness services logs {name}   stop: harness services stop {name}")
    return 0


def _models_of(item: dict[str, Any]) -> str:
    served = ", ".join(f"{m['name']}:{m['version']}" for m in item["models"])
    how = item.get("entry_script") or f"estimator {item.get('estimator')}"
    return f"{served} via {how}"


ACTIONS = {
    "serve": cmd_serve,
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

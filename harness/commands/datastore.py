"""``harness datastore``: upload, list, download and verify data; configure datastores."""

from __future__ import annotations

import argparse
from typing import Any

from harness.cli.output import print_json, print_table
from harness.datastore.errors import DatastoreError
from harness.errors import HarnessError

# The Python API's functions (harness.sdk.datastore): one code path for both doors.
from harness.sdk.datastore import (
    get_datastore,
    list_datastores,
    register_datastore,
    unregister_datastore,
)

EPILOG = """examples:
  harness datastore upload ./data --target datasets/cifar10
  harness datastore list datasets
  harness datastore verify datasets/cifar10
  harness datastore download datasets/cifar10 ./copy
  harness datastore add shared file:///mnt/shared/datastore
  harness datastore ls

in a training config:  '${datastore:datasets/cifar10}'   (mount: the path itself)
                       '${datastore:datasets/cifar10,download}'
                       '${datastore:shared:datasets/cifar10}'
"""


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="harness datastore",
        description="Datastores: named places that hold training data.",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    sub = parser.add_subparsers(dest="action", required=True)

    def with_store(p: argparse.ArgumentParser) -> argparse.ArgumentParser:
        p.add_argument("--datastore", "-d", help="datastore name (default: the workspace default)")
        p.add_argument("--format", choices=("text", "json"), default="text")
        return p

    up = with_store(sub.add_parser("upload", help="upload a folder's files to a datastore path"))
    up.add_argument("src_dir", help="local folder to upload")
    up.add_argument("--target", "-t", required=True, help="datastore path, e.g. datasets/cifar10")
    up.add_argument("--overwrite", action="store_true", help="replace existing different files")
    up.add_argument("--no-progress", action="store_true", help="no progress bar")
    up.add_argument(
        "--hash",
        choices=("blake3", "sha256"),
        default=None,
        help="manifest hash of the files written (default blake3; sha256 is slower)",
    )

    down = with_store(sub.add_parser("download", help="copy a datastore path to a local folder"))
    down.add_argument("path", help="datastore path (a folder or a file)")
    down.add_argument("dest", help="local folder to copy into")
    down.add_argument("--overwrite", action="store_true", help="replace existing different files")
    down.add_argument("--no-progress", action="store_true", help="no progress bar")

    lst = with_store(sub.add_parser("list", help="files under a datastore path"))
    lst.add_argument("path", nargs="?", default="", help="datastore path (default: everything)")

    ver = with_store(
        sub.add_parser(
            "verify", help="check files against the manifest (each with its recorded hash)"
        )
    )
    ver.add_argument("path", nargs="?", default="", help="datastore path (default: everything)")

    ls = sub.add_parser("ls", help="the configured datastores")
    ls.add_argument("--format", choices=("text", "json"), default="text")

    add = sub.add_parser("add", help="add a named datastore (a folder or an fsspec URL)")
    add.add_argument("name")
    add.add_argument("url", help="a folder, or file://, memory://, s3://, gs://, az://... URL")
    add.add_argument("--type", dest="type_", help="datastore type (default: from the URL)")
    add.add_argument(
        "--option",
        "-o",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="filesystem option (no credentials: those come from the environment)",
    )
    add.add_argument("--default", action="store_true", help="make it the workspace default")

    rm = sub.add_parser("remove", help="forget a named datastore (its data is left alone)")
    rm.add_argument("name")
    return parser


def _store(opts: argparse.Namespace) -> Any:
    return get_datastore(opts.datastore)


def cmd_upload(opts: argparse.Namespace) -> int:
    from pathlib import Path

    if not Path(opts.src_dir).is_dir():
        raise DatastoreError(f"'{opts.src_dir}' is not a folder; upload takes a folder")
    summary = _store(opts).upload(
        opts.src_dir,
        opts.target,
        overwrite=opts.overwrite,
        show_progress=_progress(opts),
        hash=opts.hash,
    )
    print_json(summary.to_json()) if opts.format == "json" else summary.print()
    return 0


def cmd_download(opts: argparse.Namespace) -> int:
    summary = _store(opts).download(
        opts.path, opts.dest, overwrite=opts.overwrite, show_progress=_progress(opts)
    )
    print_json(summary.to_json()) if opts.format == "json" else summary.print()
    return 0


def _progress(opts: argparse.Namespace) -> bool:
    return not opts.no_progress and opts.format != "json"


def cmd_list(opts: argparse.Namespace) -> int:
    store = _store(opts)
    files = store.list(opts.path)
    if opts.format == "json":
        print_json(files)
        return 0
    # "blake3:0123…" or "sha256:0123…": each entry keeps the algorithm it was written with
    rows = [(f["path"], f["size"], (f["hash"] or "(untracked)")[:23]) for f in files]
    print_table(f"{store.name}:{opts.path or '/'} ({store.url})", ("path", "size", "hash"), rows)
    return 0


def cmd_verify(opts: argparse.Namespace) -> int:
    report = _store(opts).verify(opts.path)
    if opts.format == "json":
        print_json(report.to_json())
    else:
        for name in report.corrupt:
            print(f"CORRUPT   {name}")
        for name in report.missing:
            print(f"MISSING   {name}")
        for name in report.untracked:
            print(f"untracked {name} (not in the manifest; upload it to track it)")
        verdict = "OK" if report.passed else "FAILED"
        print(
            f"{verdict}: {len(report.ok)} ok, {len(report.corrupt)} corrupt, "
            f"{len(report.missing)} missing, {len(report.untracked)} untracked"
        )
    return 0 if report.passed else 1


def cmd_ls(opts: argparse.Namespace) -> int:
    items = list_datastores()
    if opts.format == "json":
        print_json(items)
        return 0
    rows = [
        (i["name"] + (" *" if i["default"] else ""), i["type"], i["url"], i["options"] or "")
        for i in items
    ]
    print_table("datastores (* = default)", ("name", "type", "url", "options"), rows)
    return 0


def cmd_add(opts: argparse.Namespace) -> int:
    options: dict[str, Any] = {}
    for item in opts.option:
        key, sep, value = item.partition("=")
        if not sep or not key:
            raise DatastoreError(f"--option '{item}' is not KEY=VALUE")
        options[key.strip()] = _option_value(value)
    store = register_datastore(opts.name, opts.url, opts.type_, options, opts.default)
    entry = next(i for i in list_datastores() if i["name"] == store.name)
    print(f"added datastore '{opts.name}' ({entry['type']}: {entry['url']})")
    if entry["url"].startswith("memory://"):
        print("note: memory:// data lives only as long as the process that wrote it")
    return 0


def _option_value(text: str) -> Any:
    """``true`` → True, ``3`` → 3, anything else stays a string (as YAML would read it)."""
    import json

    try:
        return json.loads(text)
    except ValueError:
        return text


def cmd_remove(opts: argparse.Namespace) -> int:
    unregister_datastore(opts.name)
    print(f"removed datastore '{opts.name}' (its data was not touched)")
    return 0


ACTIONS = {
    "upload": cmd_upload,
    "download": cmd_download,
    "list": cmd_list,
    "verify": cmd_verify,
    "ls": cmd_ls,
    "add": cmd_add,
    "remove": cmd_remove,
}


def main(args: list[str]) -> int:
    opts = build_parser().parse_args(args)
    try:
        return ACTIONS[opts.action](opts)
    except HarnessError:
        raise
    except Exception as exc:
        # An error in a datastore plugin's own code: one line naming the plugin,
        # its distribution and version (HARNESS_TRACE_PLUGINS=1 shows the traceback).
        failure = _plugin_failure(opts, exc)
        if failure is None:
            raise
        raise failure from None


def _plugin_failure(opts: argparse.Namespace, error: Exception) -> HarnessError | None:
    from harness.contract.manager import get_plugin_manager
    from harness.datastore.settings import configured, infer_type

    if opts.action == "add":
        type_ = opts.type_ or infer_type(opts.url)
    elif opts.action in ("upload", "download", "list", "verify"):
        default, stores = configured()
        type_ = str(stores.get(opts.datastore or default, {}).get("type", ""))
    else:
        return None
    what = f"datastore {opts.action}"
    return get_plugin_manager().failure_of("datastore", type_, error, what)

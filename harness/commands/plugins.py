"""``harness plugins``: which plugins are loaded, what each provides, and a scaffold."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from harness.cli.output import print_json, print_table

EPILOG = """examples:
  harness plugins list
  harness plugins list --format json
  harness plugins list --timings      # what each plugin costs every command (import, hooks)
  harness plugins show sklearn
  harness plugins show console        # a component: the plugin that registers it
  harness plugins new xgboost --kind estimator --dir ~/src
"""


def build_parser() -> argparse.ArgumentParser:
    from harness.scaffold import KINDS

    parser = argparse.ArgumentParser(
        prog="harness plugins",
        description="Installed harness plugins, and a scaffold for writing one.",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    sub = parser.add_subparsers(dest="action", required=True)
    listing = sub.add_parser("list", help="every plugin, its components and distribution")
    listing.add_argument("--format", choices=("table", "json"), default="table")
    listing.add_argument(
        "--timings",
        action="store_true",
        help="add each plugin's import time and time in hooks (ms), slowest first",
    )
    show = sub.add_parser("show", help="one plugin: hooks, components, config groups, distribution")
    show.add_argument("name", help="a plugin's name (its entry-point name), or a component's name")
    show.add_argument("--format", choices=("text", "json"), default="text")
    new = sub.add_parser(
        "new",
        help="write a working plugin package (pyproject, hookimpl, config, README, test)",
        description="Write the package harness-NAME into DIR: `pip install` it and it works; "
        "its test runs the harness contract for its kind.",
    )
    new.add_argument("name", help="the component's name, e.g. xgboost (package harness-xgboost)")
    new.add_argument("--kind", required=True, choices=KINDS)
    new.add_argument("--dir", default=".", type=Path, help="parent folder (default: here)")
    return parser


def main(args: list[str]) -> int:
    # The Python API's functions (harness.sdk.plugins): one code path for both doors.
    from harness.sdk.plugins import list_plugins, new_plugin, show_plugin

    opts = build_parser().parse_args(args)
    if opts.action == "new":
        return _new(new_plugin(opts.name, opts.kind, opts.dir), opts.name, opts.kind)
    if opts.action == "show":
        data = show_plugin(opts.name)
        if opts.format == "json":
            print_json(data)
        else:
            _print_details(data)
        return 0
    items = list_plugins()
    if opts.format == "json":
        print_json(items)
        return 0
    columns = ["plugin", "status", "kinds", "components", "distribution"]
    if opts.timings:
        columns += ["import ms", "hooks ms"]
        items.sort(key=lambda info: -(info["import_ms"] or 0))
    rows = [_row(info, opts.timings) for info in items]
    print_table("harness plugins", tuple(columns), rows)
    return 0


def _row(info: dict[str, Any], timings: bool) -> tuple[Any, ...]:
    if info["status"] == "loaded":
        what = "; ".join(f"{k}: {', '.join(v)}" for k, v in info["components"].items() if v)
    else:  # why it is out of this command (`plugins show NAME` has the whole line)
        what = info["error"] or info["disabled_by"] or ""
        if len(what) > 70:
            what = f"{what[:69]}… (harness plugins show {info['name']})"
    row = (
        info["name"],
        info["status"],
        ", ".join(info["kinds"]) or "-",
        what or "-",
        f"{info['distribution'] or '?'} {info['version'] or ''}".strip(),
    )
    if not timings:
        return row
    imported = "-" if info["import_ms"] is None else f"{info['import_ms']:.1f}"
    return (*row, imported, f"{sum(info['hooks_ms'].values()):.1f}")


def _print_details(data: dict) -> None:
    dist = f"{data['distribution'] or '(not from a distribution)'} {data['version'] or ''}"
    print(f"plugin:        {data['name']}")
    reason = data["error"] or data["disabled_by"]
    print(f"status:        {data['status']}" + (f" ({reason})" if reason else ""))
    print(f"module:        {data['module']}")
    print(f"distribution:  {dist.strip()}")
    print("components:    " + (_join(data["components"]) or "-"))
    print("config groups: " + (_join(data["config_groups"]) or "-"))
    print("search path:   " + (", ".join(data["config_searchpath"]) or "-"))
    print("hooks:         " + (", ".join(data["hooks"]) or "-"))
    if data["import_ms"] is not None:
        print(f"import:        {data['import_ms']:.1f} ms")
    for warning in data["warnings"]:
        print(f"warning:       {warning}")


def _join(mapping: dict[str, list[str]]) -> str:
    return "; ".join(f"{key}: {', '.join(values)}" for key, values in mapping.items())


def _new(written: dict, name: str, kind: str) -> int:
    root, files = written["root"], written["files"]
    print(f"wrote the {kind} plugin '{name}' into {root}:")
    for path in files:
        print(f"  {path.relative_to(root)}")
    print("next:")
    print(f"  python -m pip install -e '{root}[test]'")
    print(f"  harness plugins show {name}")
    print(f"  python -m pytest {root / 'tests'}")
    return 0

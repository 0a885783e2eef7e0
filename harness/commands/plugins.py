"""``harness plugins``: which plugins are loaded and what each provides."""

from __future__ import annotations

import argparse

from harness.output import print_json, print_table


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="harness plugins", description="Installed harness plugins."
    )
    sub = parser.add_subparsers(dest="action", required=True)
    listing = sub.add_parser("list", help="every loaded plugin, its components and distribution")
    listing.add_argument("--format", choices=("table", "json"), default="table")
    return parser


def main(args: list[str]) -> int:
    from harness.plugins import get_plugin_manager

    opts = build_parser().parse_args(args)
    manager = get_plugin_manager()
    infos = sorted(manager.plugins(), key=lambda info: info.name)
    if opts.format == "json":
        print_json([info.to_json() for info in infos])
        return 0
    rows = [
        (
            info.name,
            ", ".join(info.kinds) or "-",
            "; ".join(f"{k}: {', '.join(v)}" for k, v in info.components.items() if v) or "-",
            f"{info.distribution or '?'} {info.version or ''}".strip(),
        )
        for info in infos
    ]
    print_table("harness plugins", ("plugin", "kinds", "components", "distribution"), rows)
    return 0

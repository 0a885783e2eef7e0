"""``harness doctor``: report damaged or stuck workspace records; ``--fix`` repairs them."""

from __future__ import annotations

import argparse

from harness.cli.output import print_json, print_table


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="harness doctor",
        description="Check the workspace: damaged run/sweep/model/service records, runs and "
        "sweeps whose driver died, services whose process died, leftovers of interrupted "
        "deletes, registrations and service starts. --fix moves damaged records to "
        "$HARNESS_HOME/damaged/, rebuilds a damaged registry.json, removes leftovers.",
    )
    parser.add_argument("--fix", action="store_true", help="repair what was found")
    parser.add_argument("--format", choices=("table", "json"), default="table")
    return parser


def main(args: list[str]) -> int:
    # The Python API's check_workspace: one code path for both doors.
    from harness.sdk.doctor import check_workspace

    opts = build_parser().parse_args(args)
    findings = check_workspace(fix=opts.fix)
    if opts.format == "json":
        print_json(findings)
    elif findings:
        print_table(
            "workspace problems",
            ("kind", "path", "problem", "fix" if not opts.fix else "done"),
            [(f["kind"], f["path"], f["problem"], f["fix"]) for f in findings],
        )
    else:
        print("workspace OK: no damaged or stuck records")
    return 1 if any(not f["fixed"] for f in findings) else 0

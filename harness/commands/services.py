"""``harness services``: the web services of the workspace (list, show, logs, stop, delete).

Services are started by ``harness models serve`` (or ``Model.deploy``); the logic
is the Python API's (``harness.sdk.service``), this module prints.
"""

from __future__ import annotations

import argparse
import sys
from typing import Any

from harness.cli.output import print_json, print_table


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="harness services",
        description="Web services of registered models (start one with `harness models serve`).",
    )
    sub = parser.add_subparsers(dest="action", required=True, metavar="ACTION")
    listing = sub.add_parser("list", help="every service with its status, URL and requests")
    listing.add_argument("--format", choices=("table", "json"), default="table")
    show = sub.add_parser("show", help="one service: models, environment, status, requests")
    show.add_argument("name")
    show.add_argument("--format", choices=("table", "json"), default="table")
    logs = sub.add_parser("logs", help="the service's output (uvicorn, init(), print in score.py)")
    logs.add_argument("name")
    logs.add_argument("-f", "--follow", action="store_true", help="keep printing until it stops")
    stop = sub.add_parser("stop", help="stop the service's process (the record stays)")
    stop.add_argument("name")
    delete = sub.add_parser("delete", help="stop the service and remove its record and files")
    delete.add_argument("name")
    delete.add_argument("--yes", "-y", action="store_true", help="do not ask for confirmation")
    return parser


def _models(item: dict[str, Any]) -> str:
    return ", ".join(f"{m['name']}:{m['version']}" for m in item.get("models", []))


def cmd_list(opts: argparse.Namespace) -> int:
    from harness.sdk.service import list_services

    items = list_services()
    if opts.format == "json":
        print_json(items)
        return 0
    rows = [
        (
            item["name"],
            item["status"],
            item.get("url", ""),
            _models(item),
            (item.get("requests") or {}).get("requests", ""),
            (item.get("created") or "")[:19].replace("T", " "),
            item.get("error") or "",
        )
        for item in items
    ]
    print_table(
        "services", ("name", "status", "url", "models", "requests", "created", "error"), rows
    )
    return 0


def print_service(item: dict[str, Any]) -> None:
    print(f"service {item['name']}  status {item['status']}")
    if item.get("error"):
        print(f"error: {item['error']}")
    print(f"scoring URI: {item['scoring_uri']}   (MLflow clients: {item['url']}invocations)")
    print(f"models: {_models(item)}")
    served_by = (
        f"entry script {item['entry_script']}"
        if item.get("entry_script")
        else f"estimator {item.get('estimator')}"
    )
    env = item.get("environment")
    where = f"{env.get('name') or '(inline)'} ({env.get('hash')})" if env else "the harness's own"
    print(f"served by: {served_by}   environment: {where}")
    print(
        f"workers: {item['workers']}  pid: {item.get('pid')}  key required: "
        f"{'yes' if item.get('auth') else 'no'}  body limit: {item['body_limit']} bytes"
    )
    requests = item.get("requests") or {}
    mean = requests.get("mean_ms")
    print(
        f"requests: {requests.get('requests', 0)}  errors: {requests.get('errors', 0)}"
        + (f"  mean: {mean:.2f} ms" if mean is not None else "")
    )
    for recent in (requests.get("recent") or [])[:5]:
        print(f"  {recent['method']} {recent['path']} {recent['status']} {recent['ms']:.2f} ms")
    print(f"folder: {item['folder']}")


def cmd_show(opts: argparse.Namespace) -> int:
    from harness.sdk.service import Webservice

    item = Webservice(opts.name).serialize()
    if opts.format == "json":
        print_json(item)
    else:
        print_service(item)
    return 0


def cmd_logs(opts: argparse.Namespace) -> int:
    from harness.sdk.follow import follow
    from harness.sdk.service import Webservice
    from harness.serve.store import LOG_FILE

    service = Webservice(opts.name)
    if not opts.follow:
        sys.stdout.write(service.get_logs())
        return 0
    log = service.refresh().folder() / LOG_FILE
    follow(log.parent, lambda: not service.refresh().is_live, only=log.name)
    return 0


def cmd_stop(opts: argparse.Namespace) -> int:
    from harness.sdk.service import Webservice

    service = Webservice(opts.name)
    service.stop()
    print(f"service {opts.name}: {service.state}")
    return 0


def cmd_delete(opts: argparse.Namespace) -> int:
    from harness.sdk.service import delete_service
    from harness.serve.store import ServiceStore

    ServiceStore().folder(opts.name)  # a malformed name: one line before the question
    if not opts.yes:
        print(f"delete service {opts.name}? [y/N]", end=" ", flush=True)
        if sys.stdin.readline().strip().lower() not in ("y", "yes"):
            print("nothing deleted", file=sys.stderr)
            return 1
    delete_service(opts.name)
    print(f"deleted service {opts.name}")
    return 0


ACTIONS = {
    "list": cmd_list,
    "show": cmd_show,
    "logs": cmd_logs,
    "stop": cmd_stop,
    "delete": cmd_delete,
}


def main(args: list[str]) -> int:
    opts = build_parser().parse_args(args)
    return ACTIONS[opts.action](opts)

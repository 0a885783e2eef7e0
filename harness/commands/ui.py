"""``harness ui``: the local web dashboard over the workspace (see docs/ui.md)."""

from __future__ import annotations

import argparse

from harness.errors import ConfigError


def build_parser() -> argparse.ArgumentParser:
    from harness.ui.server import DEFAULT_PORT

    parser = argparse.ArgumentParser(
        prog="harness ui",
        description="A web dashboard for runs, sweeps, models, datastores and bench "
        "results in $HARNESS_HOME, live while jobs run.",
    )
    parser.add_argument(
        "--port",
        type=int,
        default=None,
        help=f"port to listen on (default {DEFAULT_PORT}, or the next free one)",
    )
    parser.add_argument(
        "--host",
        default="127.0.0.1",
        help="address to bind (default 127.0.0.1; any other address requires the token)",
    )
    parser.add_argument(
        "--token", help="the access token (default: a new random one, printed in the URL)"
    )
    parser.add_argument("--open", action="store_true", help="open the dashboard in a browser")
    return parser


def main(args: list[str]) -> int:
    from harness.storage.workspace import harness_home
    from harness.ui.server import DEFAULT_PORT, serve

    opts = build_parser().parse_args(args)
    if opts.port is not None and not 0 < opts.port < 65536:
        raise ConfigError(f"--port {opts.port}: give a port between 1 and 65535")
    port = DEFAULT_PORT if opts.port is None else opts.port
    return serve(harness_home(), opts.host, port, opts.port is not None, opts.token, opts.open)

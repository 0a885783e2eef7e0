"""Start the dashboard: pick the port, make the token, print the URL, run uvicorn."""

from __future__ import annotations

import errno
import socket
import sys
from pathlib import Path

from harness.errors import ConfigError
from harness.hosts import is_loopback
from harness.ui.security import Policy, new_token

DEFAULT_PORT = 5000
#: How far past a busy --port to look for a free one.
PORT_TRIES = 50


def _bind(host: str, port: int) -> socket.socket | None:
    """A listening socket on (host, port), or None when the port is taken."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
        sock.listen(128)
    except OSError as exc:
        sock.close()
        if exc.errno in (errno.EADDRINUSE, errno.EACCES):
            return None
        raise ConfigError(f"--host {host}: cannot listen there ({exc.strerror})") from None
    return sock


def listen(host: str, start: int, fixed: bool) -> socket.socket:
    """Listen on ``start``, or the next free port (unless the user fixed the port).

    The socket is bound here and handed to uvicorn, so the URL printed is already
    served and no other process can take the port in between."""
    for port in range(start, start + (1 if fixed else PORT_TRIES)):
        sock = _bind(host, port)
        if sock is not None:
            return sock
    if fixed:
        raise ConfigError(f"port {start} on {host} is in use; pick another --port")
    raise ConfigError(f"no free port in {start}..{start + PORT_TRIES - 1} on {host}; give --port")


def url_host(host: str) -> str:
    if host in ("0.0.0.0", "::"):
        return socket.gethostname()
    return f"[{host}]" if ":" in host else host


def serve(
    home: Path, host: str, port: int, port_fixed: bool, token: str | None, open_browser: bool
) -> int:
    import uvicorn

    from harness.ui.app import create_app

    if token is not None and len(token) < 16:
        raise ConfigError("--token must be at least 16 characters (or leave it out: one is made)")
    sock = listen(host, port, port_fixed)
    port = sock.getsockname()[1]
    policy = Policy(token=token or new_token(), host=host, port=port)
    app = create_app(home, policy)
    base = f"http://{url_host(host)}:{port}/"
    url = f"{base}?token={policy.token}"
    print(f"harness ui: serving {home}", flush=True)
    if is_loopback(host):
        print(f"  read-only view: {base}", flush=True)
        print(f"  with actions (cancel, tag, register): {url}", flush=True)
    else:
        print(f"  {url}   (bound to {host}: every request needs this token)", flush=True)
    print("  Ctrl-C stops it", flush=True)
    if open_browser:
        import webbrowser

        webbrowser.open(url)
    config = uvicorn.Config(
        app,
        host=host,
        port=port,
        log_level="warning",
        access_log=False,
        # Live pages hold event streams open; don't wait for them on Ctrl-C.
        timeout_graceful_shutdown=1,
    )
    uvicorn.Server(config).run(sockets=[sock])
    sys.stdout.flush()
    return 0

"""Is a host this machine only? The dashboard and model services bind to loopback
by default and ask for a token anywhere else; both answer it here."""

from __future__ import annotations

import ipaddress

#: Host header names that mean this machine (a Host check beside the address).
LOOPBACK_NAMES = ("localhost", "127.0.0.1", "::1", "[::1]")


def is_loopback(host: str) -> bool:
    """``localhost`` or a loopback address (``127.0.0.0/8``, ``::1``, bracketed or not)."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False

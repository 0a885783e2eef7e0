"""Who may read and who may act.

- Bound to a loopback address, read-only pages and API need no login, but the
  ``Host`` header must name that loopback address (a DNS-rebinding page cannot
  read the API through a name of its own).
- Bound to any other address, every request needs the token.
- Every state-changing request (POST: cancel, tag, register) needs the token *and*
  a CSRF token in the ``X-CSRF-Token`` header, and a same-origin ``Origin`` when the
  browser sends one. The CSRF token is derived from the token, handed out by
  ``GET /api/session`` only to an authenticated same-origin page; a cross-site page
  can neither read it nor send a custom header without a CORS pre-flight, which
  this server never grants.

The token reaches the browser through the printed URL (``/?token=…``), which sets
an HttpOnly, SameSite=Strict cookie and redirects to the bare URL.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass, field

from starlette.requests import Request

from harness.hosts import LOOPBACK_NAMES, is_loopback

COOKIE = "harness_ui_token"
CSRF_HEADER = "x-csrf-token"


def new_token() -> str:
    return secrets.token_urlsafe(24)


@dataclass
class Policy:
    token: str
    host: str
    port: int
    loopback: bool = field(init=False)

    def __post_init__(self) -> None:
        self.loopback = is_loopback(self.host)

    @property
    def csrf(self) -> str:
        return hmac.new(self.token.encode(), b"harness-ui-csrf", hashlib.sha256).hexdigest()

    def authenticated(self, request: Request) -> bool:
        given = request.cookies.get(COOKIE)
        auth = request.headers.get("authorization", "")
        if auth.lower().startswith("bearer "):
            given = auth[7:].strip()
        return (
            given is not None
            and bool(given)
            and hmac.compare_digest(given.encode(), self.token.encode())
        )

    def host_allowed(self, request: Request) -> bool:
        """On loopback: the Host header must be a loopback name (any port)."""
        if not self.loopback:
            return True
        host = request.headers.get("host", "")
        name = host.rsplit(":", 1)[0] if not host.endswith("]") else host
        return name in LOOPBACK_NAMES or name == self.host

    def may_read(self, request: Request) -> bool:
        return self.loopback or self.authenticated(request)

    def may_act(self, request: Request) -> tuple[bool, str]:
        if not self.authenticated(request):
            return False, "this action needs the token: open the URL `harness ui` printed"
        given = request.headers.get(CSRF_HEADER, "")
        if not hmac.compare_digest(given.encode(), self.csrf.encode()):
            return False, "missing or wrong CSRF token (reload the page)"
        origin = request.headers.get("origin")
        if origin and origin.split("://", 1)[-1] != request.headers.get("host", ""):
            return False, f"cross-origin request from {origin} refused"
        return True, ""

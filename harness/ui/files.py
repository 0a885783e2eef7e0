"""Serving files a job wrote, without letting them act on the dashboard's origin.

A run's files are the job's, i.e. anyone's: an ``outputs/report.html``, an SVG
logged with ``log_image`` or a file without an extension can carry a script. Served
inline on this origin, that script could read the CSRF token from ``/api/session``
and tag, cancel or register. So:

- only raster images and text are served inline (text always as ``text/plain``);
  everything else is an attachment, whatever its type;
- every file answer carries a Content-Security-Policy with ``sandbox`` (an opaque
  origin, no scripts) and ``X-Content-Type-Options: nosniff`` (the app adds it);
- HTML and SVG are shown by the page only inside ``<iframe sandbox>`` (HTML) or
  ``<img>`` (SVG: images never run scripts), from ``?view=sandbox``.

Paths are decoded once by the router, refused if any part is ``..``, normalised
once, and only then checked against the allowed top folder, which is also the root
the resolved path (symlinks followed) must stay in.
"""

from __future__ import annotations

import mimetypes
import posixpath
from pathlib import Path, PurePosixPath

from starlette.responses import FileResponse, Response

from harness.errors import NotFoundError
from harness.ui.ids import BadId, inside

#: Shown inline: the browser renders them as pictures, never as documents.
RASTER = {
    ".png": "image/png",
    ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg",
    ".gif": "image/gif",
    ".webp": "image/webp",
    ".bmp": "image/bmp",
    ".avif": "image/avif",
}
#: Shown inline as plain text (never as HTML, whatever they contain).
TEXT = {
    ".txt", ".log", ".csv", ".tsv", ".json", ".jsonl", ".md", ".py", ".yaml", ".yml",
    ".toml", ".cfg", ".ini", ".out", ".err", ".sh",
}  # fmt: skip
#: Documents that may run scripts: shown only sandboxed (?view=sandbox).
ACTIVE = {".html": "text/html", ".htm": "text/html", ".svg": "image/svg+xml"}
#: The policy of every file answer: an opaque origin without scripts; it may be
#: framed only by the dashboard itself (the HTML preview's sandboxed iframe).
FILE_CSP = (
    "sandbox; default-src 'none'; img-src 'self' data:; style-src 'unsafe-inline'; "
    "frame-ancestors 'self'"
)


def safe_relative(relative: str, allowed: tuple[str, ...]) -> tuple[str, str]:
    """``(top, rest)`` of a path the URL named, or ``BadId``.

    The router has decoded it once (``%2e%2e`` is ``..`` here); a ``..`` part is
    refused outright, the rest normalised once, and the top folder checked on the
    normalised form, so ``outputs/../run.json`` can never pass as ``outputs/…``."""
    if not relative or "\\" in relative or "\x00" in relative or relative.startswith("/"):
        raise BadId(f"not a relative path: {relative!r}")
    if any(part == ".." for part in relative.split("/")):
        raise BadId(f"'..' is not allowed in a file path: {relative!r}")
    normal = posixpath.normpath(relative)
    top, _, rest = normal.partition("/")
    if top not in allowed or not rest:
        raise BadId(f"only files under {', '.join(a + '/' for a in allowed)} can be read")
    return top, rest


def resolve_in(root: Path, relative: str, allowed: tuple[str, ...]) -> Path:
    """The file ``relative`` names under ``root``, inside its allowed top folder."""
    top, rest = safe_relative(relative, allowed)
    return inside(root / top, rest)


def kind_of(path: PurePosixPath | Path) -> str:
    """raster | text | active | other."""
    suffix = path.suffix.lower()
    if suffix in RASTER:
        return "raster"
    if suffix in TEXT:
        return "text"
    if suffix in ACTIVE:
        return "active"
    return "other"


def send_file(path: Path, *, download: bool = False, sandbox_view: bool = False) -> Response:
    """A job's file: inline only when it is safe to be, always under ``FILE_CSP``."""
    if not path.is_file():
        raise NotFoundError(f"no file '{path.name}'")
    kind = kind_of(path)
    headers = {"Content-Security-Policy": FILE_CSP, "Cache-Control": "no-store"}
    if kind == "raster" and not download:
        return FileResponse(
            path, media_type=RASTER[path.suffix.lower()], headers=headers,
            content_disposition_type="inline", filename=path.name,
        )  # fmt: skip
    if kind == "text" and not download:
        return FileResponse(
            path, media_type="text/plain; charset=utf-8", headers=headers,
            content_disposition_type="inline", filename=path.name,
        )  # fmt: skip
    if kind == "active" and sandbox_view and not download:
        return FileResponse(
            path, media_type=ACTIVE[path.suffix.lower()], headers=headers,
            content_disposition_type="inline", filename=path.name,
        )  # fmt: skip
    media = ACTIVE.get(path.suffix.lower()) or mimetypes.guess_type(path.name)[0]
    return FileResponse(
        path,
        media_type=media or "application/octet-stream",
        headers=headers,
        filename=path.name,
        content_disposition_type="attachment",
    )

"""Previews of files (a run's outputs and logs, a datastore's files) as JSON the page
draws itself: CSV/TSV as a table, JSON pretty-printed, text as lines, images by
URL, HTML in a sandboxed frame, anything else as a download. The page never puts a
file's bytes into its own document, so no preview can run a script (docs/ui.md).
"""

from __future__ import annotations

import csv
import io
import json
from pathlib import PurePosixPath
from typing import Any

from harness.ui.files import ACTIVE, RASTER, TEXT

#: Bytes read for a preview; a longer file is shown in part (``truncated``).
HEAD_BYTES = 1_048_576
MAX_ROWS = 1000
MAX_LINES = 5000


def _decode(head: bytes) -> str | None:
    """Text, or None for binary data (a NUL byte, or not UTF-8)."""
    if b"\x00" in head[:8192]:
        return None
    try:
        return head.decode("utf-8")
    except UnicodeDecodeError as exc:
        if exc.start >= len(head) - 4:  # a character cut by the head's end
            return head[: exc.start].decode("utf-8")
        return None


def preview(name: str, head: bytes, size: int, url: str) -> dict[str, Any]:
    """What the page shows for the file ``name`` (``size`` bytes, starting ``head``),
    served at ``url``."""
    suffix = PurePosixPath(name).suffix.lower()
    truncated = size > len(head)
    base = {"name": name, "size": size, "url": url, "download": url + "?download=1"}
    if suffix in RASTER or suffix == ".svg":
        return base | {"kind": "image"}  # <img>: an SVG there runs no script
    if suffix in ACTIVE:
        return base | {"kind": "html", "sandbox_url": url + "?view=sandbox"}
    text = _decode(head)
    if text is None:
        return base | {"kind": "binary"}
    if truncated and "\n" in text:
        text = text[: text.rfind("\n") + 1]  # whole lines only
    if suffix in (".csv", ".tsv"):
        return base | _table(text, "\t" if suffix == ".tsv" else ",", truncated)
    if suffix == ".json" and not truncated:
        try:
            return base | {"kind": "json", "text": json.dumps(json.loads(text), indent=2)}
        except ValueError:
            pass  # shown as the text it is
    if suffix in TEXT or suffix == "" or text.isprintable() or "\n" in text:
        lines = text.splitlines()
        return base | {
            "kind": "text",
            "lines": lines[:MAX_LINES],
            "truncated": truncated or len(lines) > MAX_LINES,
        }
    return base | {"kind": "binary"}


def _table(text: str, delimiter: str, truncated: bool) -> dict[str, Any]:
    rows = list(csv.reader(io.StringIO(text), delimiter=delimiter))
    if not rows:
        return {"kind": "table", "columns": [], "rows": [], "truncated": truncated}
    header, body = rows[0], rows[1:]
    return {
        "kind": "table",
        "columns": header,
        "rows": body[:MAX_ROWS],
        "total_rows": None if truncated else len(body),
        "truncated": truncated or len(body) > MAX_ROWS,
    }

"""No tracked text file keeps a merge's conflict markers (ruff catches them in
Python; the docs, configs and notebooks had nothing that would)."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SKIP = {".git", ".venv", "node_modules", "__pycache__", ".mypy_cache", ".ruff_cache"}
SUFFIXES = {".md", ".py", ".yaml", ".yml", ".toml", ".txt", ".cfg", ".ini", ".json", ".js",
            ".css", ".html", ".ipynb", ".sh", ""}  # fmt: skip
MARKER = re.compile(r"^(<{7} |>{7} |={7}$)", re.MULTILINE)


def _text_files():
    for path in ROOT.rglob("*"):
        if SKIP.intersection(path.relative_to(ROOT).parts) or not path.is_file():
            continue
        if path.suffix in SUFFIXES and path.stat().st_size < 2_000_000:
            yield path


def test_no_conflict_markers_are_left_in_the_tree():
    found = []
    for path in _text_files():
        try:
            text = path.read_text(encoding="utf-8")
        except (UnicodeDecodeError, OSError):
            continue
        for match in MARKER.finditer(text):
            line = text.count("\n", 0, match.start()) + 1
            found.append(f"{path.relative_to(ROOT)}:{line}")
    assert not found, "conflict markers left by a merge: " + ", ".join(found)

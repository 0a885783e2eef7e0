"""Printing for the CLI: JSON for tools, rich tables for people."""

from __future__ import annotations

import json
import sys
from collections.abc import Sequence
from typing import Any


def print_json(obj: Any) -> None:
    json.dump(obj, sys.stdout, indent=2, default=str)
    sys.stdout.write("\n")


def print_table(title: str | None, columns: Sequence[str], rows: Sequence[Sequence[Any]]) -> None:
    from rich.console import Console
    from rich.table import Table

    table = Table(title=title, show_lines=False)
    for index, column in enumerate(columns):
        # Ids and names must stay copyable: only the last column may wrap.
        table.add_column(column, no_wrap=index < len(columns) - 1, overflow="fold")
    for row in rows:
        table.add_row(*("" if cell is None else str(cell) for cell in row))
    # Piped output (no terminal) gets a wide console instead of 80 columns.
    Console(width=None if sys.stdout.isatty() else 200).print(table)


def warn(message: str) -> None:
    print(f"harness: warning: {message}", file=sys.stderr)

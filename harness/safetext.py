"""Text from a run's data made safe to print on a terminal.

Metric names, tags, params, names and error lines are written by jobs, scripts and
plugins; printed raw, an escape sequence among them retitles the terminal, writes
the clipboard (OSC 52) or clears the screen. ``clean`` escapes every control
character the way Python's ``repr`` does (``\\x1b``), so the text stays readable and
one line stays one line. ``EscapingStream`` applies the same rule to everything a
CLI command prints (tabs and newlines kept), so a printer that forgets ``clean``
still cannot reach the terminal raw; a job's own output stream is the one thing
passed through as written (``raw_stream``).

A leaf module: any layer may import it.
"""

from __future__ import annotations

import re
from typing import IO, Any

__all__ = ["EscapingStream", "clean", "raw_stream"]

# C0 controls, DEL, C1 controls (0x9b is a one-byte CSI), and the Unicode format
# characters that reorder or hide text (bidi overrides and isolates, zero-width).
_FORMAT = "\x7f-\x9f\u061c\u200b\u200e\u200f\u2028-\u202e\u2060-\u2069\ufeff"
_ANY_CONTROL = re.compile(f"[\x00-\x1f{_FORMAT}]")
_CONTROL_BUT_LINES = re.compile(f"[\x00-\x08\x0b-\x1f{_FORMAT}]")  # keeps \t and \n


def _escape(match: re.Match[str]) -> str:
    char = match.group()
    code = ord(char)
    if char == "\n":
        return "\\n"
    if char == "\t":
        return "\\t"
    if char == "\r":
        return "\\r"
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def clean(text: object) -> str:
    """``text`` as one printable line: control characters (newlines too) escaped."""
    shown = text if isinstance(text, str) else str(text)
    return _ANY_CONTROL.sub(_escape, shown)


class EscapingStream:
    """A text stream that escapes control characters except ``\\n`` and ``\\t``
    before they reach ``target`` (what ``harness`` installs as ``sys.stdout`` and
    ``sys.stderr``). Everything else (``isatty``, ``fileno``, ``buffer``, ``encoding``)
    is the target's: binary writes to ``.buffer`` (a job's live output) pass as
    written."""

    def __init__(self, target: IO[str]) -> None:
        self.target = target

    def write(self, text: str) -> int:
        self.target.write(_CONTROL_BUT_LINES.sub(_escape, text))
        return len(text)

    def writelines(self, lines: Any) -> None:
        for line in lines:
            self.write(line)

    def flush(self) -> None:
        self.target.flush()

    def isatty(self) -> bool:
        return self.target.isatty()

    def fileno(self) -> int:
        return self.target.fileno()

    def writable(self) -> bool:
        return True

    def __getattr__(self, name: str) -> Any:  # buffer, encoding, errors, ...
        return getattr(self.target, name)


def raw_stream(stream: IO[str]) -> IO[str]:
    """The stream under an ``EscapingStream`` (for a job's own log stream and for
    rich, which writes its own escape codes and gets ``clean``ed cells), else ``stream``."""
    return stream.target if isinstance(stream, EscapingStream) else stream

"""A TensorBoard event file written a batch at a time, with a C CRC-32C.

The ``tensorboard`` package's ``EventFileWriter`` frames every record with a
CRC-32C computed in pure Python (``tensorflow_stub.masked_crc32c``, about 45 µs per
scalar here) and hands each event to a thread of its own through a queue: with
every value a record, that capped the logger at about 19,000 values/s. This file
is the same format (TFRecord framing of TensorBoard's own ``Event`` protos, the
same file name pattern, the ``brain.Event:2`` version record first), written from
the logger's background thread in one ``write`` per batch, with the CRC from
``google-crc32c`` (C; tensorboard's own pure-Python function when it is missing).
TensorBoard's reader checks every CRC, so the tests read the file back with it.
"""

from __future__ import annotations

import functools
import itertools
import os
import socket
import struct
import time
from collections.abc import Iterable
from pathlib import Path
from typing import Any, BinaryIO

_LENGTH = struct.Struct("<Q")
_CRC = struct.Struct("<I")
_file_numbers = itertools.count()


def _crc_function() -> Any:
    try:
        import google_crc32c

        if google_crc32c.implementation == "c":
            return google_crc32c.value
    except ImportError:
        pass
    from tensorboard.compat.tensorflow_stub.pywrap_tensorflow import crc32c

    return crc32c


def _masked(crc: int) -> int:
    """TFRecord's masking of a CRC-32C (as tensorflow's ``masked_crc32c``)."""
    return (((crc >> 15) | (crc << 17)) + 0xA282EAD8) & 0xFFFFFFFF


class EventFile:
    """``events.out.tfevents.<time>.<host>.<pid>.<n>`` in ``logdir``, as TensorBoard
    names its own files (its reader picks files by that prefix)."""

    def __init__(self, logdir: Path) -> None:
        from tensorboard.compat.proto.event_pb2 import Event, SourceMetadata

        logdir.mkdir(parents=True, exist_ok=True)
        name = (
            f"events.out.tfevents.{int(time.time()):010d}.{socket.gethostname()}."
            f"{os.getpid()}.{next(_file_numbers)}"
        )
        self.path = logdir / name
        self._crc = _crc_function()
        self._file: BinaryIO = open(self.path, "wb")  # noqa: SIM115  # closed in close()
        version = Event(
            wall_time=time.time(),
            file_version="brain.Event:2",
            source_metadata=SourceMetadata(writer="harness.plugins.loggers.tensorboard"),
        )
        self.write([version.SerializeToString()])
        self.flush()

    def write(self, records: Iterable[bytes]) -> None:
        """Append serialized ``Event`` protos, framed, in one write: length, its
        masked CRC, the data, its masked CRC (the TFRecord format)."""
        crc, pack_crc, header = self._crc, _CRC.pack, self._header
        parts: list[bytes] = []
        append = parts.append
        for data in records:
            append(header(len(data)))
            append(data)
            append(pack_crc(_masked(crc(data))))
        self._file.write(b"".join(parts))

    @functools.lru_cache(maxsize=1024)  # noqa: B019  # one per file; lengths repeat
    def _header(self, length: int) -> bytes:
        header = _LENGTH.pack(length)
        return header + _CRC.pack(_masked(self._crc(header)))

    def flush(self) -> None:
        self._file.flush()

    def close(self) -> None:
        self._file.close()


def _varint(n: int) -> bytes:
    out = bytearray()
    while n > 0x7F:
        out.append((n & 0x7F) | 0x80)
        n >>= 7
    out.append(n)
    return bytes(out)


_WALL_TIME = struct.Struct("<Bd")  # field 1 (double): tag byte 0x09, then the value
_FLOAT = struct.Struct("<f")
_ZERO = _FLOAT.pack(0.0)


@functools.lru_cache(maxsize=4096)
def _summary_head(name: str) -> bytes:
    """Everything of a scalar ``Event`` after its step but the 4-byte value: field 5
    (summary) → field 1 (one Summary.Value) → field 1 (tag), field 2's tag (float)."""
    tag = name.encode("utf-8")
    value = b"\x0a" + _varint(len(tag)) + tag + b"\x15"
    summary = b"\x0a" + _varint(len(value) + 4) + value
    return b"\x2a" + _varint(len(summary) + 4) + summary


def scalar_record(name: str, value: float, step: int, when: float) -> bytes:
    """The bytes of ``Event(wall_time, step, summary=Summary(value=[Value(tag,
    simple_value)]))``, encoded directly (protobuf's wire format; ``SerializeToString``
    gives the same bytes, which a test checks): about 3 times cheaper per value than
    building the message objects. What protobuf writes differently goes through the
    protos: negative steps, values beyond float32 (±inf there), and the fields proto3
    leaves out when zero (a 0.0 value, an empty name, a zero time)."""
    try:
        packed = _FLOAT.pack(value)
    except OverflowError:
        return _proto_record(name, value, step, when)
    if packed == _ZERO or not name or not when:
        return _proto_record(name, value, step, when)  # proto3 leaves zero fields out
    if 0 < step < 0x80:  # field 2 (step), a varint of one or two bytes, or more
        middle = bytes((0x10, step))
    elif 0x80 <= step < 0x4000:
        middle = bytes((0x10, (step & 0x7F) | 0x80, step >> 7))
    elif step > 0:
        middle = b"\x10" + _varint(step)
    elif step == 0:
        middle = b""
    else:
        return _proto_record(name, value, step, when)
    return _WALL_TIME.pack(0x09, when) + middle + _summary_head(name) + packed


def _proto_record(name: str, value: float, step: int, when: float) -> bytes:
    from tensorboard.compat.proto.event_pb2 import Event
    from tensorboard.compat.proto.summary_pb2 import Summary

    summary = Summary(value=[Summary.Value(tag=name, simple_value=value)])
    return Event(wall_time=when, step=step, summary=summary).SerializeToString()


def scalar_records(events: Iterable[Any]) -> list[bytes]:
    """One serialized ``Event`` per numeric metric event (name, value, step, time);
    rows, tables and strings are not scalars and are left out."""
    out: list[bytes] = []
    append = out.append
    for name, value, step, when in events:
        kind = type(value)
        numeric = (
            kind is float or kind is int or kind is not bool and isinstance(value, (int, float))
        )
        if not numeric:
            continue
        append(scalar_record(name, float(value), int(step), float(when)))
    return out

"""What kind of file a registered model is, and whether loading it can run code.

Pickle (and formats built on it: joblib, ``torch.save``) rebuilds objects by calling
whatever the file names, so loading one from an untrusted source runs its code.
``harness models show`` names those formats; the registry's SHA-256 check before
serving makes sure the file is the one that was registered.
"""

from __future__ import annotations

from pathlib import Path

#: suffix → (format, pickle-based)
SUFFIXES: dict[str, tuple[str, bool]] = {
    ".pkl": ("pickle", True),
    ".pickle": ("pickle", True),
    ".joblib": ("joblib", True),
    ".pt": ("torch.save", True),
    ".pth": ("torch.save", True),
    ".npz": ("numpy npz", False),
    ".npy": ("numpy npy", False),
    ".onnx": ("onnx", False),
    ".safetensors": ("safetensors", False),
    ".h5": ("hdf5", False),
    ".keras": ("keras", False),
    ".json": ("json", False),
}


def describe(path: Path) -> dict[str, object]:
    """``{"file", "format", "pickle"}`` for one file (by suffix, else its first bytes)."""
    found = SUFFIXES.get(path.suffix.lower())
    if found is None:
        try:
            with open(path, "rb") as handle:
                head = handle.read(2)
        except OSError:
            head = b""
        # Pickle protocol 2 and later start with PROTO (0x80) and the protocol number.
        found = (
            ("pickle", True)
            if head[:1] == b"\x80" and head[1:2] in b"\x02\x03\x04\x05"
            else ("unknown", False)
        )
    return {"file": path.name, "format": found[0], "pickle": found[1]}


def describe_files(files_dir: Path, names: list[str]) -> list[dict[str, object]]:
    described = []
    for name in names:
        item = describe(files_dir / name)
        item["file"] = name
        described.append(item)
    return described

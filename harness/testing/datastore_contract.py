"""The datastore contract: a datastore round-trips bytes exactly, keeps what it
has unless asked to overwrite, and refuses paths that would leave its root.

    from harness.testing.datastore_contract import DatastoreContract

    class TestMyStore(DatastoreContract):
        type_name = "mystore"                    # what the plugin registers

        def make_url(self, tmp_path):            # where a fresh, empty store lives
            return f"mystore://bucket-for-tests/{tmp_path.name}"

The checks use the public ``Datastore`` API (upload, list, download, verify), so they
test everything users call on top of the plugin's storage primitives.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any, ClassVar

import pytest

from harness import envvars
from harness.datastore import UnsafePathError
from harness.testing import run_cli

__all__ = ["DatastoreContract"]

#: Relative path → bytes: binary with NULs, an empty file, nesting, a non-ASCII name.
SAMPLE_TREE: dict[str, bytes] = {
    "a.bin": bytes(range(256)) * 64,
    "empty.txt": b"",
    "nested/deeper/b.txt": b"hello\nworld\n",
    "nested/ünï cödé.csv": b"x,y\n1,2\n",
}
TRAVERSALS = (
    "../escape",
    "/absolute/path",
    "a/../../escape",
    "..\\escape",
    ".harness/manifest.json",
)


def write_tree(root: Path, tree: dict[str, bytes]) -> Path:
    for rel, data in tree.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
    return root


def read_tree(root: Path) -> dict[str, bytes]:
    return {
        p.relative_to(root).as_posix(): p.read_bytes()
        for p in sorted(root.rglob("*"))
        if p.is_file()
    }


class DatastoreContract:
    #: The type name the plugin registers with ``harness_register_datastores``.
    type_name: ClassVar[str] = ""
    #: The store's options (``cls(name, url, options)``; ``datastore add --option``
    #: in the CLI test), e.g. an endpoint for a local test server.
    options: ClassVar[dict[str, Any]] = {}
    #: False for stores that live only inside one process (``memory://``): the
    #: CLI round trip (separate processes) is then skipped.
    persistent: ClassVar[bool] = True

    def make_url(self, tmp_path: Path) -> str:
        """The URL of a fresh, empty store for one test (a folder by default)."""
        return (tmp_path / "store").as_uri()

    @pytest.fixture
    def store(self, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Any:
        from harness.contract.manager import get_plugin_manager

        monkeypatch.setenv(envvars.HOME, str(tmp_path / "home"))
        cls = get_plugin_manager().get("datastore", self.type_name)
        return cls("contract", self.make_url(tmp_path), dict(self.options))

    def test_is_registered_by_a_loaded_plugin(self) -> None:
        from harness.contract.manager import get_plugin_manager

        assert self.type_name in get_plugin_manager().names("datastore")

    def test_round_trips_bytes(self, store: Any, tmp_path: Path) -> None:
        src = write_tree(tmp_path / "src", SAMPLE_TREE)
        summary = store.upload(src, "contract/data", show_progress=False)
        assert sorted(summary.transferred) == sorted(f"contract/data/{k}" for k in SAMPLE_TREE)
        listed = {entry["path"]: entry["size"] for entry in store.list("contract/data")}
        assert listed == {f"contract/data/{k}": len(v) for k, v in SAMPLE_TREE.items()}
        store.download("contract/data", tmp_path / "back", show_progress=False)
        assert read_tree(tmp_path / "back") == SAMPLE_TREE
        report = store.verify("contract/data")
        assert not report.corrupt and not report.missing and len(report.ok) == len(SAMPLE_TREE)

    def test_keeps_different_files_unless_overwrite(self, store: Any, tmp_path: Path) -> None:
        src = write_tree(tmp_path / "src", SAMPLE_TREE)
        store.upload(src, "keep", show_progress=False)
        (src / "a.bin").write_bytes(b"changed")
        again = store.upload(src, "keep", show_progress=False)
        assert again.existing_different == ["keep/a.bin"]
        assert sorted(again.identical) == sorted(f"keep/{k}" for k in SAMPLE_TREE if k != "a.bin")
        store.download("keep", tmp_path / "kept", show_progress=False)
        assert (tmp_path / "kept" / "a.bin").read_bytes() == SAMPLE_TREE["a.bin"]
        store.upload(src, "keep", overwrite=True, show_progress=False)
        store.download("keep", tmp_path / "replaced", show_progress=False)
        assert (tmp_path / "replaced" / "a.bin").read_bytes() == b"changed"

    @pytest.mark.parametrize("target", TRAVERSALS)
    def test_refuses_path_traversal(self, store: Any, tmp_path: Path, target: str) -> None:
        src = write_tree(tmp_path / "src", {"f.txt": b"x"})
        before = set(os.listdir(tmp_path))
        with pytest.raises(UnsafePathError):
            store.upload(src, target, show_progress=False)
        assert set(os.listdir(tmp_path)) - before <= {"store", "home"}
        assert not (tmp_path / "escape").exists()

    def test_round_trip_through_the_cli(self, tmp_path: Path) -> None:
        if not self.persistent:
            pytest.skip("this store lives in one process only")
        home = tmp_path / "home"
        # The class's options go along (an S3 store's endpoint: without it the CLI
        # round trip would talk to the real service).
        options = [f"--option={key}={json.dumps(value)}" for key, value in self.options.items()]
        added = run_cli(
            "datastore",
            "add",
            "contract",
            self.make_url(tmp_path),
            "--type",
            self.type_name,
            *options,
            home=home,
        )
        assert added.returncode == 0, added.output
        listed = run_cli("datastore", "ls", "--format", "json", home=home)
        stored = next(d for d in listed.json() if d["name"] == "contract")
        assert stored["options"] == dict(self.options), stored
        src = write_tree(tmp_path / "src", SAMPLE_TREE)
        up = run_cli(
            "datastore",
            "upload",
            str(src),
            "--target",
            "cli",
            "-d",
            "contract",
            "--no-progress",
            home=home,
        )
        assert up.returncode == 0, up.output
        down = run_cli(
            "datastore", "download", "cli", str(tmp_path / "out"), "-d", "contract", home=home
        )
        assert down.returncode == 0, down.output
        assert read_tree(tmp_path / "out") == SAMPLE_TREE
        bad = run_cli(
            "datastore", "upload", str(src), "--target", "../x", "-d", "contract", home=home
        )
        assert bad.returncode == 2 and "Traceback" not in bad.stderr, bad.output

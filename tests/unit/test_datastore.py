"""Datastore pieces: path rules, the manifest hash, the resolver syntax, and the
fsspec plugin on memory:// through the Python API (in one process, as memory://
lives only there)."""

from __future__ import annotations

import uuid

import pytest

from harness import Datastore
from harness.contract.datastore import check_datastore
from harness.datastore import IntegrityError, UnsafePathError, settings
from harness.datastore import manifest as mf
from harness.datastore.paths import normalize_key
from harness.job.datastore_resolver import parse


@pytest.mark.parametrize(
    ("raw", "key"),
    [("datasets//cifar10/./", "datasets/cifar10"), ("./a/b", "a/b"), ("a", "a")],
)
def test_keys_are_normalised(raw, key):
    assert normalize_key(raw) == key


@pytest.mark.parametrize(
    "raw", ["../x", "a/../../x", "a/..", "/abs", "~/x", "C:/x", "a\\..\\b", ".harness/x", ""]
)
def test_unsafe_keys_are_refused(raw):
    with pytest.raises(UnsafePathError):
        normalize_key(raw)


def test_tree_hash_is_independent_of_where_the_tree_sits():
    entry = mf.FileEntry(3, "ab" * 32)
    here = mf.tree_hash({"a/x/f.txt": entry}, "a/x")
    there = mf.tree_hash({"b/y/z/f.txt": entry}, "b/y/z")
    assert here == there
    assert mf.tree_hash({"a/x/f.txt": mf.FileEntry(4, "ab" * 32)}, "a/x") != here


@pytest.mark.parametrize(
    ("spec", "mode", "expected"),
    [
        ("datasets/c", None, (None, "datasets/c", "mount")),
        ("datasets/c", "download", (None, "datasets/c", "download")),
        ("mystore:datasets/c", "mount", ("mystore", "datasets/c", "mount")),
    ],
)
def test_resolver_syntax(spec, mode, expected):
    assert parse(spec, mode) == expected


def test_memory_datastore_through_the_python_api(harness_home, tmp_path):
    pytest.importorskip("fsspec")
    import fsspec

    src = tmp_path / "data"
    (src / "sub").mkdir(parents=True)
    (src / "a.txt").write_bytes(b"alpha")
    (src / "sub" / "b.txt").write_bytes(b"beta")
    bucket = f"memory://t-{uuid.uuid4().hex}/root"
    settings.add("mem", bucket, check=check_datastore)
    store = Datastore.get("mem")
    assert store.type == "fsspec"

    first = store.upload(src, "datasets/x", show_progress=False)
    assert first.transferred == ["datasets/x/a.txt", "datasets/x/sub/b.txt"]
    assert store.upload(src, "datasets/x", show_progress=False).identical == first.transferred
    assert [f["path"] for f in store.list("datasets")] == first.transferred
    assert store.verify("datasets").passed

    cached = store.path("datasets/x", mode="download")  # memory:// cannot be mounted
    assert (cached / "sub" / "b.txt").read_bytes() == b"beta"
    assert store.path("datasets/x") == cached  # mount falls back to the same cache entry

    fs = fsspec.filesystem("memory")
    fs.pipe_file(bucket.removeprefix("memory://") + "/datasets/x/a.txt", b"ALPHA")
    report = store.verify("datasets/x")
    assert report.corrupt == ["datasets/x/a.txt"] and not report.passed
    with pytest.raises(IntegrityError):
        store.download("datasets/x", tmp_path / "out", show_progress=False)
    assert not (tmp_path / "out" / "a.txt").exists()


def test_local_default_datastore_path_modes(harness_home, tmp_path):
    src = tmp_path / "d"
    src.mkdir()
    (src / "f.csv").write_text("a,b\n1,2\n")
    store = Datastore.get()
    assert store.name == "default" and store.type == "local"
    store.upload(src, "tab", show_progress=False)
    assert store.path("tab/f.csv") == harness_home / "datastores" / "default" / "tab" / "f.csv"
    copy = store.path("tab", mode="download")
    assert copy.parent.parent == harness_home / "cache" / "inputs"
    assert (copy / "f.csv").read_text() == "a,b\n1,2\n"


def test_urls_in_records_never_carry_credentials():
    assert settings.public_url("s3://AKIA:hunter2@bucket/p?sig=abc") == "s3://bucket/p"
    assert settings.public_url("file:///data/x") == "file:///data/x"
    assert settings.public_options({"anon": False, "secret": "s"}) == {
        "anon": False,
        "secret": "***",
    }


def test_same_content_under_two_names_shares_the_cache_entry(harness_home, tmp_path):
    src = tmp_path / "d"
    src.mkdir()
    (src / "f.csv").write_text("a,b\n1,2\n")
    store = Datastore.get()
    store.upload(src, "folder", show_progress=False)
    whole = store.path("folder", mode="download")  # <hash>/folder/f.csv
    single = store.path("folder/f.csv", mode="download")  # same tree hash: <hash>/f.csv
    assert whole.parent == single.parent
    assert (whole / "f.csv").read_text() == single.read_text() == "a,b\n1,2\n"
    assert store.path("folder/f.csv", mode="download") == single  # reused

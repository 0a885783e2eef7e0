"""`harness datastore ...` through the real command: upload rules, verify, path
safety, named datastores, and an upload killed mid-way."""

from __future__ import annotations

import hashlib
import json
import os
import signal
import subprocess
import time
from pathlib import Path

import pytest

from harness.testing import harness_executable, run_cli


def make_tree(root: Path, files: dict[str, bytes]) -> Path:
    for rel, data in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
    return root


#: The listing below checks SHA-256 digests: those uploads ask for SHA-256.
SHA256 = ("--hash", "sha256")


def upload(home, src, target, *extra):
    result = run_cli(
        "datastore", "upload", str(src), "--target", target, "--format", "json", *extra, home=home
    )
    assert result.returncode == 0, result.output
    return result.json()


def store_root(home: Path) -> Path:
    return home / "datastores" / "default"


def sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_upload_skips_identical_and_never_clobbers_without_overwrite(home, tmp_path):
    src = make_tree(tmp_path / "data", {"a.csv": b"1,2\n", "sub/b.bin": b"\x00" * 1000})
    first = upload(home, src, "datasets/d", *SHA256)
    assert first["transferred"] == ["datasets/d/a.csv", "datasets/d/sub/b.bin"]
    assert first["bytes"] == 1004
    assert (store_root(home) / "datasets/d/sub/b.bin").read_bytes() == b"\x00" * 1000

    again = upload(home, src, "datasets/d", *SHA256)
    assert again["transferred"] == [] and len(again["identical"]) == 2

    (src / "a.csv").write_bytes(b"changed\n")
    kept = upload(home, src, "datasets/d", *SHA256)
    assert kept["existing_different"] == ["datasets/d/a.csv"]
    assert kept["identical"] == ["datasets/d/sub/b.bin"]
    assert (store_root(home) / "datasets/d/a.csv").read_bytes() == b"1,2\n"

    text = run_cli("datastore", "upload", str(src), "--target", "datasets/d", *SHA256, home=home)
    assert text.returncode == 0
    assert "left untouched; use --overwrite" in text.stdout and "datasets/d/a.csv" in text.stdout

    replaced = upload(home, src, "datasets/d", "--overwrite", *SHA256)
    assert replaced["overwritten"] == ["datasets/d/a.csv"]
    assert (store_root(home) / "datasets/d/a.csv").read_bytes() == b"changed\n"
    listed = run_cli("datastore", "list", "datasets", "--format", "json", home=home).json()
    assert {f["path"]: f["sha256"] for f in listed} == {
        "datasets/d/a.csv": hashlib.sha256(b"changed\n").hexdigest(),
        "datasets/d/sub/b.bin": hashlib.sha256(b"\x00" * 1000).hexdigest(),
    }


def test_verify_catches_a_corrupted_file(home, tmp_path):
    src = make_tree(tmp_path / "data", {"x.txt": b"hello", "y.txt": b"world"})
    upload(home, src, "ds")
    ok = run_cli("datastore", "verify", "ds", home=home)
    assert ok.returncode == 0 and "OK: 2 ok, 0 corrupt" in ok.stdout, ok.output

    target = store_root(home) / "ds" / "y.txt"
    os.chmod(target, 0o644)
    target.write_bytes(b"w0rld")  # same size, different bytes
    bad = run_cli("datastore", "verify", "ds", "--format", "json", home=home)
    assert bad.returncode == 1, bad.output
    report = bad.json()
    assert report["corrupt"] == ["ds/y.txt"] and report["ok"] == ["ds/x.txt"]
    assert report["passed"] is False

    target.unlink()
    gone = run_cli("datastore", "verify", "ds", home=home)
    assert gone.returncode == 1 and "MISSING   ds/y.txt" in gone.stdout


def test_download_copies_and_checks(home, tmp_path):
    src = make_tree(tmp_path / "data", {"a/1.txt": b"one", "a/2.txt": b"two"})
    upload(home, src, "datasets/n")
    dest = tmp_path / "copy"
    result = run_cli("datastore", "download", "datasets/n", str(dest), "--no-progress", home=home)
    assert result.returncode == 0, result.output
    assert (dest / "a/1.txt").read_bytes() == b"one" and (dest / "a/2.txt").read_bytes() == b"two"
    single = run_cli(
        "datastore", "download", "datasets/n/a/2.txt", str(tmp_path / "one"), home=home
    )
    assert single.returncode == 0 and (tmp_path / "one" / "2.txt").read_bytes() == b"two"
    missing = run_cli("datastore", "download", "datasets/nope", str(dest), home=home)
    assert missing.returncode == 2 and "has nothing at 'datasets/nope'" in missing.stderr


@pytest.mark.parametrize(
    ("target", "message"),
    [
        ("../outside", "contains '..'"),
        ("datasets/../../outside", "contains '..'"),
        ("/etc/cron.d", "is absolute"),
        (".harness/manifest.json", "reserved"),
    ],
)
def test_path_traversal_targets_are_refused(home, tmp_path, target, message):
    src = make_tree(tmp_path / "data", {"f.txt": b"x"})
    result = run_cli("datastore", "upload", str(src), "--target", target, home=home)
    assert result.returncode == 2, result.output
    assert message in result.stderr and "Traceback" not in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    assert not (tmp_path / "outside").exists()


def test_symlinks_escaping_the_root_are_refused(home, tmp_path):
    secret = make_tree(tmp_path / "secret", {"id_rsa": b"KEY"})
    src = make_tree(tmp_path / "data", {"ok.txt": b"fine"})
    (src / "leak").symlink_to(secret, target_is_directory=True)
    result = run_cli("datastore", "upload", str(src), "--target", "d", home=home)
    assert result.returncode == 2 and "outside the folder being uploaded" in result.stderr
    assert not (store_root(home) / "d").exists()

    # A link inside the source that stays inside it is fine.
    (src / "leak").unlink()
    (src / "alias.txt").symlink_to(src / "ok.txt")
    upload(home, src, "d")
    assert (store_root(home) / "d" / "alias.txt").read_bytes() == b"fine"

    # A symlink planted inside the datastore cannot carry writes or reads out of it.
    (store_root(home) / "escape").symlink_to(tmp_path / "secret", target_is_directory=True)
    result = run_cli("datastore", "upload", str(src), "--target", "escape/x", home=home)
    assert result.returncode == 2 and "through a symlink" in result.stderr, result.output
    result = run_cli("datastore", "list", "escape", home=home)
    assert result.returncode == 2 and "through a symlink" in result.stderr
    assert sorted(p.name for p in secret.iterdir()) == ["id_rsa"]


def test_named_datastores_and_credentials(home, tmp_path):
    folder = tmp_path / "shared"
    added = run_cli("datastore", "add", "shared", f"file://{folder}", home=home)
    assert added.returncode == 0, added.output
    src = make_tree(tmp_path / "data", {"f.txt": b"x"})
    result = run_cli(
        "datastore", "upload", str(src), "-t", "t", "-d", "shared", "--no-progress", home=home
    )
    assert result.returncode == 0, result.output
    assert (folder / "t" / "f.txt").read_bytes() == b"x"

    stores = run_cli("datastore", "ls", "--format", "json", home=home).json()
    assert {s["name"]: (s["type"], s["default"]) for s in stores} == {
        "default": ("local", True),
        "shared": ("fsspec", False),
    }
    creds = run_cli("datastore", "add", "s3", "s3://AKIA:hunter2@bucket/p", home=home)
    assert creds.returncode == 2 and "holds credentials" in creds.stderr
    assert "hunter2" not in creds.stderr
    secret_opt = run_cli("datastore", "add", "m", "memory://x", "-o", "token=abc", home=home)
    assert secret_opt.returncode == 2 and "look like credentials" in secret_opt.stderr
    assert "hunter2" not in (home / "datastores.json").read_text()
    unknown = run_cli("datastore", "list", "-d", "nope", home=home)
    assert unknown.returncode == 2 and "unknown datastore 'nope'" in unknown.stderr


def test_missing_filesystem_package_names_it(home):
    pytest.importorskip("fsspec")
    try:
        import s3fs  # noqa: F401

        pytest.skip("s3fs is installed here")
    except ImportError:
        pass
    result = run_cli("datastore", "add", "cloud", "s3://bucket/prefix", home=home)
    assert result.returncode == 2
    assert "s3fs" in result.stderr and "Traceback" not in result.stderr


@pytest.mark.slow
def test_killed_upload_leaves_no_partial_file_and_a_rerun_completes_it(home, tmp_path):
    block = os.urandom(8 << 20)
    files = {f"part{i:02d}.bin": bytes([i]) + block[1:] for i in range(24)}
    src = make_tree(tmp_path / "big", files)
    target = store_root(home) / "big"
    env = {**os.environ, "HARNESS_HOME": str(home), "HARNESS_DATASTORE_THREADS": "1"}
    proc = subprocess.Popen(
        [harness_executable(), "datastore", "upload", str(src), "-t", "big", "--no-progress"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:  # kill once the first file is in place
        if target.is_dir() and any(not p.name.startswith(".") for p in target.iterdir()):
            break
        time.sleep(0.002)
    proc.send_signal(signal.SIGKILL)
    assert proc.wait() == -signal.SIGKILL, "the upload ended before it could be killed"

    final = sorted(p for p in target.iterdir() if not p.name.startswith("."))
    assert 0 < len(final) < len(files), "expected a partial upload"
    for path in final:  # whatever carries a final name is complete
        assert sha(path) == sha(src / path.name), f"{path.name} is partial"
    listed = run_cli("datastore", "list", "big", "--format", "json", home=home).json()
    assert {f["path"] for f in listed} == {f"big/{p.name}" for p in final}

    rerun = upload(home, src, "big")
    assert len(rerun["transferred"]) + len(rerun["identical"]) == len(files)
    assert sorted(p.name for p in target.iterdir()) == sorted(files)  # no temp files left
    verified = run_cli("datastore", "verify", "big", "--format", "json", home=home)
    assert verified.returncode == 0, verified.output
    assert len(verified.json()["ok"]) == len(files)


def test_help_lists_the_actions(home):
    result = run_cli("datastore", "--help", home=home)
    assert result.returncode == 0
    for action in ("upload", "download", "list", "verify", "ls", "add"):
        assert action in result.stdout
    assert "${datastore:datasets/cifar10}" in result.stdout
    top = run_cli("--help", home=home)
    assert "datastore" in top.stdout


def test_blake3_by_default_and_sha256_manifests_stay_readable(home, tmp_path):
    from blake3 import blake3

    src = make_tree(tmp_path / "data", {"new.bin": b"n" * 5000})
    first = upload(home, src, "mixed")
    assert first["transferred"] == ["mixed/new.bin"]
    listed = {
        f["path"]: f
        for f in run_cli("datastore", "list", "mixed", "--format", "json", home=home).json()
    }
    assert listed["mixed/new.bin"]["hash"] == "blake3:" + blake3(b"n" * 5000).hexdigest()
    assert listed["mixed/new.bin"]["sha256"] is None

    # A manifest written before BLAKE3 (SHA-256 entries only) next to the new one.
    old = make_tree(tmp_path / "old", {"old.txt": b"old data"})
    upload(home, old, "mixed", *SHA256)
    manifest = store_root(home) / ".harness" / "manifest.json"
    entries = json.loads(manifest.read_text())["files"]
    assert entries["mixed/old.txt"] == {"size": 8, "sha256": sha(old / "old.txt")}
    assert set(entries["mixed/new.bin"]) == {"size", "blake3"}

    # Re-uploading compares each file with its entry's own algorithm.
    again = upload(home, old, "mixed")
    assert again["identical"] == ["mixed/old.txt"] and again["transferred"] == []
    ok = run_cli("datastore", "verify", "mixed", "--format", "json", home=home)
    assert ok.returncode == 0, ok.output
    assert sorted(ok.json()["ok"]) == ["mixed/new.bin", "mixed/old.txt"]
    (store_root(home) / "mixed/new.bin").write_bytes(b"m" * 5000)
    bad = run_cli("datastore", "verify", "mixed", "--format", "json", home=home)
    assert bad.returncode != 0 and bad.json()["corrupt"] == ["mixed/new.bin"]
    down = run_cli("datastore", "download", "mixed/old.txt", str(tmp_path / "got"), home=home)
    assert down.returncode == 0, down.output
    assert (tmp_path / "got" / "old.txt").read_bytes() == b"old data"

    wrong = run_cli("datastore", "upload", str(old), "--target", "x", "--hash", "md5", home=home)
    assert wrong.returncode == 2 and "md5" in wrong.stderr

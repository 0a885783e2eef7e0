"""Invariant 3: what a job reads is what the run says it read."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from harness.testing import run_cli

ROWS = "a,b,label\n" + "".join(f"{i % 7},{(i * 3) % 5},{i % 2}\n" for i in range(60))


def _show(home, run_id):
    result = run_cli("runs", "show", run_id, "--format", "json", home=home)
    assert result.returncode == 0, result.output
    return result.json()


@pytest.mark.parametrize("damage", ["edit", "same-size-edit", "extra-file", "symlink"])
def test_a_changed_input_cache_entry_is_detected_and_replaced(home, tmp_path, damage):
    src = tmp_path / "mycsv"
    src.mkdir()
    (src / "data.csv").write_text(ROWS)
    assert run_cli("datastore", "upload", str(src), "--target", "ds/csv", home=home).returncode == 0
    value = "estimator.data.path=${datastore:ds/csv/data.csv,download}"
    first = run_cli("train", value, home=home, cwd=tmp_path)
    assert first.returncode == 0, first.output
    used = _show(home, first.run_id)["provenance"]["datastores"][0]
    cached = used["local_path"]
    assert os.stat(cached).st_mode & 0o222 == 0  # read-only to jobs
    os.chmod(cached, 0o644)
    if damage == "edit":
        with open(cached, "a") as handle:
            handle.write("9,9,1\n")
    elif damage == "same-size-edit":
        data = bytearray(Path(cached).read_bytes())
        data[-2:-1] = b"1" if data[-2:-1] == b"0" else b"0"
        Path(cached).write_bytes(bytes(data))
    elif damage == "extra-file":
        # a single-file entry: the damage is a replaced file of another type
        os.unlink(cached)
        os.mkdir(cached)
    else:
        os.unlink(cached)
        (tmp_path / "evil.csv").write_text("a,b,label\n1,1,1\n1,1,0\n")
        os.symlink(tmp_path / "evil.csv", cached)
    second = run_cli("train", value, home=home, cwd=tmp_path)
    assert second.returncode == 0, second.output
    again = _show(home, second.run_id)["provenance"]["datastores"][0]
    assert again["cached"] is False, again
    assert "no longer matches" in second.stderr
    assert again["manifest_sha256"] == used["manifest_sha256"]
    assert not os.path.islink(again["local_path"])
    assert Path(again["local_path"]).read_text() == ROWS  # the bytes the manifest describes
    third = run_cli("train", value, home=home, cwd=tmp_path)
    assert _show(home, third.run_id)["provenance"]["datastores"][0]["cached"] is True

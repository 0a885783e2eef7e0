"""Invariant 5: damage stays where it is, is reported naming the file, and can be
cleared; every other record stays usable."""

from __future__ import annotations

import json

import pytest
from faultkit import assert_user_error, make_run

from harness.testing import run_cli

CORRUPTIONS = {
    "truncated": b'{"id": "2026',
    "not-json": b"\x00\xff garbage",
    "wrong-type": b"[1, 2, 3]",
    "empty": b"",
}


@pytest.mark.parametrize("damage", sorted(CORRUPTIONS))
def test_a_damaged_run_record_is_skipped_reported_and_deletable(home, damage):
    good = make_run(home)
    bad = make_run(home)
    (bad / "run.json").write_bytes(CORRUPTIONS[damage])
    listing = run_cli("runs", "list", "--format", "json", home=home)
    assert listing.returncode == 0, listing.output
    assert [r["id"] for r in listing.json()] == [good.name]
    assert str(bad / "run.json") in listing.stderr and "doctor" in listing.stderr
    for args in (
        ["runs", "show", bad.name],
        ["runs", "metrics", bad.name],
        ["runs", "tag", bad.name, "k=v"],
        ["runs", "logs", bad.name],
        ["runs", "compare", good.name, bad.name],
        ["runs", "download", bad.name, "outputs", str(home / "x")],
        ["models", "register", "m", "--run", bad.name, "--path", "outputs"],
    ):
        result = run_cli(*args, home=home)
        assert_user_error(result, str(bad / "run.json"))
    assert run_cli("runs", "show", good.name, home=home).returncode == 0
    deleted = run_cli("runs", "delete", bad.name, "--yes", home=home)
    assert deleted.returncode == 0, deleted.output
    assert not bad.exists() and good.exists()


def test_a_metrics_file_with_bad_bytes_keeps_the_good_lines(home):
    run_dir = make_run(home)
    (run_dir / "metrics" / "rank0-1.jsonl").write_bytes(
        b'{"name": "loss", "value": 0.5, "step": 0, "time": 1.0}\n'
        b'{"name": "lo\xff\xfess", "value": 1, "step": 1, "time": 2.0}\n'
        b"\x80\x81 not json\n"
        b'{"name": "loss", "value": 0.25, "step": 1, "time": 3.0}\n'
    )
    result = run_cli("runs", "metrics", run_dir.name, "loss", "--format", "json", home=home)
    assert result.returncode == 0, result.output
    assert [p["value"] for p in result.json()] == [0.5, 0.25]
    assert run_cli("runs", "show", run_dir.name, home=home).returncode == 0


def _registered(home, versions: int = 2):
    run_dir = make_run(home)
    (run_dir / "outputs" / "model.bin").write_bytes(b"model")
    for name in ("a", "b"):
        for _ in range(versions):
            result = run_cli(
                "models",
                "register",
                name,
                "--run",
                run_dir.name,
                "--path",
                "outputs/model.bin",
                home=home,
            )
            assert result.returncode == 0, result.output
    return run_dir


def test_a_damaged_registry_state_warns_readers_and_stops_writers(home):
    run_dir = _registered(home)
    state = home / "models" / "a" / "registry.json"
    state.write_bytes(b"\xff\xfe")
    listing = run_cli("models", "list", home=home)
    assert listing.returncode == 0 and str(state) in listing.stderr, listing.output
    assert run_cli("models", "show", "b", home=home).returncode == 0
    registered = run_cli(
        "models", "register", "a", "--run", run_dir.name, "--path", "outputs/model.bin", home=home
    )
    assert_user_error(registered, str(state), "doctor")
    assert_user_error(run_cli("models", "alias", "a", "1", "prod", home=home), str(state))
    # harness doctor reports it, --fix rebuilds it, and the registry works again
    report = run_cli("doctor", "--format", "json", home=home)
    assert report.returncode == 1, report.output
    assert [f["path"] for f in report.json()] == [str(state)]
    fixed = run_cli("doctor", "--fix", home=home)
    assert fixed.returncode == 0, fixed.output
    again = run_cli(
        "models",
        "register",
        "a",
        "--run",
        run_dir.name,
        "--path",
        "outputs/model.bin",
        "--format",
        "json",
        home=home,
    )
    assert again.returncode == 0 and again.json()["version"] == 3, again.output
    assert run_cli("doctor", home=home).returncode == 0


def test_doctor_moves_damaged_records_aside_and_clears_leftovers(home):
    good = make_run(home)
    bad = make_run(home)
    (bad / "run.json").write_text("{")
    (bad / "outputs" / "keep.txt").write_text("still here")
    trash = home / "runs" / ".deleted-20260101-000000-abcdef-1234"
    trash.mkdir()
    sweep = home / "sweeps" / "20260101-000000-abcdef"
    sweep.mkdir(parents=True)
    (sweep / "sweep.json").write_text("[]")
    report = run_cli("doctor", "--format", "json", home=home)
    assert report.returncode == 1
    kinds = sorted((f["kind"], f["path"]) for f in report.json())
    assert kinds == sorted([("run", str(bad)), ("leftover", str(trash)), ("sweep", str(sweep))]), (
        report.output
    )
    fixed = run_cli("doctor", "--fix", "--format", "json", home=home)
    assert fixed.returncode == 0, fixed.output
    assert not bad.exists() and not trash.exists() and not sweep.exists() and good.exists()
    moved = list((home / "damaged").glob("*runs-" + bad.name))
    assert len(moved) == 1 and (moved[0] / "outputs" / "keep.txt").read_text() == "still here"
    assert run_cli("doctor", home=home).returncode == 0
    assert run_cli("sweeps", "list", home=home).returncode == 0


# A damaged model version and sweep record: tests/faults/test_faults_damaged_rows.py


def test_a_damaged_datastore_registry_is_one_line(home):
    (home / "datastores.json").write_text("{")
    result = run_cli("datastore", "ls", home=home)
    assert_user_error(result, str(home / "datastores.json"))


#: One wrong-typed or out-of-range field each (the probe's 14 single-field variants).
FIELD_DAMAGE = {
    "created-null": {"created": None},
    "created-garbage": {"created": "yesterday"},
    "created-naive": {"created": "2026-01-01T00:00:00"},
    "started-number": {"started": 5},
    "ended-garbage": {"ended": "soon"},
    "status-number": {"status": 5},
    "status-bogus": {"status": "Bogus"},
    "tags-list": {"tags": ["a"]},
    "tag-value-number": {"tags": {"k": 1}},
    "metrics-string": {"metrics": "0.9"},
    "params-list": {"params": [1]},
    "world-size-text": {"world_size": "2"},
    "pid-negative": {"pid": -4},
    "experiment-null": {"experiment": None},
    "unknown-field": {"format_version": 1, "surprise": 1},
    "newer-format": {"format_version": 99},
}


@pytest.mark.parametrize("damage", sorted(FIELD_DAMAGE))
def test_a_record_with_one_bad_field_is_one_damaged_row_not_a_crash(home, damage):
    good = make_run(home)
    bad = make_run(home)
    record = json.loads((bad / "run.json").read_text())
    record.update(FIELD_DAMAGE[damage])
    (bad / "run.json").write_text(json.dumps(record))
    path = str(bad / "run.json")
    listing = run_cli("runs", "list", "--format", "json", home=home)
    assert listing.returncode == 0, listing.output
    assert [r["id"] for r in listing.json()] == [good.name]
    warned = [ln for ln in listing.stderr.splitlines() if path in ln]
    assert len(warned) == 1 and "Traceback" not in listing.stderr, listing.output
    table = run_cli("runs", "list", home=home)
    assert table.returncode == 0, table.output
    rows = [ln for ln in table.stdout.splitlines() if bad.name in ln]
    assert len(rows) == 1 and "Damaged" in rows[0], table.output
    for args in (["runs", "show", bad.name], ["runs", "metrics", bad.name]):
        assert_user_error(run_cli(*args, home=home), path)
    report = run_cli("doctor", "--format", "json", home=home)
    assert report.returncode == 1, report.output
    assert [f["path"] for f in report.json()] == [str(bad)], report.output
    deleted = run_cli("runs", "delete", bad.name, "--yes", home=home)
    assert deleted.returncode == 0, deleted.output
    assert not bad.exists() and run_cli("doctor", home=home).returncode == 0


def test_a_metrics_line_with_a_string_time_costs_only_that_line(home):
    run_dir = make_run(home)
    (run_dir / "metrics" / "rank0-1.jsonl").write_text(
        '{"name": "loss", "value": 0.5, "step": 0, "time": 1.0}\n'
        '{"name": "loss", "value": 0.4, "step": 1, "time": "late"}\n'
        '{"name": "loss", "value": 0.3, "step": "two", "time": 3.0}\n'
        '{"name": 7, "value": 0.3, "step": 2, "time": 3.0}\n'
        '{"name": "loss", "value": 0.25, "step": 3, "time": 4.0}\n'
    )
    for args in (["runs", "metrics", run_dir.name], ["runs", "show", run_dir.name]):
        result = run_cli(*args, "--format", "json", home=home)
        assert result.returncode == 0, result.output
        assert "metrics/rank0-1.jsonl line 2" in result.stderr, result.output
    history = run_cli("runs", "metrics", run_dir.name, "loss", "--format", "json", home=home)
    assert [p["value"] for p in history.json()] == [0.5, 0.25]


MANIFEST_DAMAGE = {
    "not-json": b"{",
    "files-list": b'{"version": 1, "files": []}',
    "size-text": b'{"version": 1, "files": {"d/a.txt": {"size": "1", "blake3": "%s"}}}',
    "digest-short": b'{"version": 1, "files": {"d/a.txt": {"size": 1, "blake3": "abc"}}}',
    "key-escapes": b'{"version": 1, "files": {"../../x": {"size": 1, "blake3": "%s"}}}',
    "newer-version": b'{"version": 9, "files": {}}',
}


@pytest.mark.parametrize("damage", sorted(MANIFEST_DAMAGE))
def test_a_damaged_manifest_is_one_line_for_every_datastore_command(home, tmp_path, damage):
    src = tmp_path / "src"
    src.mkdir()
    (src / "a.txt").write_text("hello")
    assert run_cli("datastore", "upload", str(src), "--target", "d", home=home).returncode == 0
    manifest = home / "datastores" / "default" / ".harness" / "manifest.json"
    manifest.write_bytes(MANIFEST_DAMAGE[damage].replace(b"%s", b"0" * 64))
    dest = tmp_path / "dest"
    for args in (
        ["datastore", "list", "d"],
        ["datastore", "verify", "d"],
        ["datastore", "download", "d", str(dest)],
        ["datastore", "upload", str(src), "--target", "d"],
    ):
        assert_user_error(run_cli(*args, home=home), "damaged manifest", "doctor")
    assert not dest.exists()
    report = run_cli("doctor", "--format", "json", home=home)
    assert report.returncode == 1 and [f["path"] for f in report.json()] == [str(manifest)]
    assert run_cli("doctor", "--fix", home=home).returncode == 0
    assert run_cli("datastore", "upload", str(src), "--target", "d", home=home).returncode == 0
    verified = run_cli("datastore", "verify", "d", "--format", "json", home=home)
    assert verified.returncode == 0, verified.output
    assert run_cli("doctor", home=home).returncode == 0

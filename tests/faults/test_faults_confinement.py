"""Invariant 1: nothing outside HARNESS_HOME or the destination a user names is read,
written, deleted or signalled — whatever ids, records and links an attacker plants."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
from faultkit import assert_user_error, craft_record, make_run, tree

from harness.testing import run_cli

#: Ids an attacker might type or plant: traversal, absolute paths, globs, dots.
HOSTILE_IDS = [
    "../../outside/victim",
    "/tmp",
    "*/../../../*",
    "**",
    ".",
    "20260101-000000-abcdef/../../outside/victim",
    "",
]


@pytest.fixture
def planted(home: Path, outside: Path) -> Path:
    """A crafted run.json outside the workspace, reachable by `../../outside/victim`."""
    (home / "runs").mkdir(parents=True, exist_ok=True)
    craft_record(outside / "victim", "../../outside/victim")
    return outside


@pytest.mark.parametrize("run_id", HOSTILE_IDS)
@pytest.mark.parametrize(
    "command",
    [
        ["runs", "show"],
        ["runs", "metrics"],
        ["runs", "logs"],
        ["runs", "tag", "{id}", "k=v"],
        ["runs", "delete", "{id}", "--yes"],
        ["runs", "cancel"],
        ["runs", "download", "{id}", "outputs", "{dest}"],
        ["runs", "compare"],
        ["models", "register", "m", "--run", "{id}", "--path", "outputs"],
        ["sweeps", "show"],
    ],
)
def test_hostile_ids_reach_nothing_outside(home, planted, tmp_path, run_id, command):
    # Like a shell: at home's level so "../../outside" would land in the planted folder.
    cwd = home / "runs"
    dest = tmp_path / "dest"
    args = [a.replace("{id}", run_id).replace("{dest}", str(dest)) for a in command]
    if "{id}" not in command:
        args.append(run_id)
    before = tree(planted, home)
    result = run_cli(*args, home=home, cwd=cwd)
    assert result.returncode == 2, result.output
    assert "Traceback" not in result.stderr, result.output
    assert tree(planted, home) == before  # nothing outside (or inside) was touched
    assert not dest.exists()
    assert (planted / "victim" / "precious.txt").read_text() == "keep me"


def test_a_record_that_lies_about_its_id_is_damaged_not_followed(home, outside):
    """runs/<valid id>/run.json saying id '../../outside/victim' must not redirect."""
    run_dir = make_run(home)
    record = json.loads((run_dir / "run.json").read_text())
    record["id"] = "../../../outside/victim"
    (run_dir / "run.json").write_text(json.dumps(record))
    result = run_cli("runs", "tag", run_dir.name, "k=v", home=home)
    assert_user_error(result, str(run_dir / "run.json"))
    deleted = run_cli("runs", "delete", run_dir.name, "--yes", home=home)
    assert deleted.returncode == 0, deleted.output
    assert not run_dir.exists()
    assert (outside / "victim" / "precious.txt").exists()


def test_a_symlinked_run_folder_is_not_followed(home, outside):
    (home / "runs").mkdir(parents=True)
    craft_record(outside / "victim", "20260101-000000-abcdef")
    os.symlink(outside / "victim", home / "runs" / "20260101-000000-abcdef")
    for args in (["runs", "delete", "20260101-000000-abcdef", "--yes"], ["runs", "show", "2026"]):
        result = run_cli(*args, home=home)
        assert result.returncode == 2, result.output
    assert (outside / "victim" / "precious.txt").exists()


def test_download_skips_symlinks_planted_in_an_outputs_folder(home, outside, tmp_path):
    run_dir = make_run(home)
    folder = run_dir / "outputs" / "model"
    folder.mkdir()
    (folder / "weights.bin").write_bytes(b"w" * 100)
    (folder / "nested").mkdir()
    (folder / "nested" / "ok.txt").write_text("fine")
    os.symlink(outside / "secret.txt", folder / "shadow")
    os.symlink(outside / "victim", folder / "nested" / "dirlink")
    os.mkfifo(folder / "pipe")
    dest = tmp_path / "dl"
    dest.mkdir()
    result = run_cli("runs", "download", run_dir.name, "outputs/model", str(dest), home=home)
    assert result.returncode == 0, result.output
    got = dest / "model"
    assert (got / "weights.bin").read_bytes() == b"w" * 100
    assert (got / "nested" / "ok.txt").read_text() == "fine"
    assert not os.path.lexists(got / "shadow")
    assert not os.path.lexists(got / "nested" / "dirlink")
    assert not os.path.lexists(got / "pipe")
    for name in ("model/shadow", "model/nested/dirlink", "model/pipe"):
        assert f"skipped outputs/{name}" in result.stderr, result.output
    assert "top secret" not in "".join(p.read_text() for p in got.rglob("*") if p.is_file())


def test_a_single_symlinked_file_or_a_link_on_the_way_is_refused(home, outside, tmp_path):
    run_dir = make_run(home)
    os.symlink(outside / "secret.txt", run_dir / "outputs" / "shadow")
    os.symlink(outside / "victim", run_dir / "outputs" / "linkdir")
    for path in ("outputs/shadow", "outputs/linkdir/precious.txt", "outputs/linkdir"):
        result = run_cli("runs", "download", run_dir.name, path, str(tmp_path), home=home)
        assert_user_error(result, "symlink")
        registered = run_cli(
            "models", "register", "m", "--run", run_dir.name, "--path", path, home=home
        )
        assert_user_error(registered, "symlink")
    assert not (tmp_path / "shadow").exists() and not (home / "models" / "m" / "1").exists()


def test_models_register_skips_symlinks_inside_a_folder(home, outside, tmp_path):
    run_dir = make_run(home)
    folder = run_dir / "outputs" / "model"
    folder.mkdir()
    (folder / "a.txt").write_text("a")
    (folder / "b.txt").write_text("b")
    os.symlink(outside / "secret.txt", folder / "shadow")
    result = run_cli(
        "models", "register", "m", "--run", run_dir.name, "--path", "outputs/model", home=home
    )
    assert result.returncode == 0, result.output
    assert "skipped model/shadow" in result.stderr
    files = home / "models" / "m" / "1" / "files"
    assert sorted(p.name for p in files.rglob("*")) == ["a.txt", "b.txt"]
    shown = run_cli("models", "show", "m", "--format", "json", home=home).json()
    assert sorted(shown["files"]) == ["a.txt", "b.txt"]
    down = run_cli("models", "download", "m", str(tmp_path / "m"), home=home)
    assert down.returncode == 0 and (tmp_path / "m" / "a.txt").read_text() == "a", down.output


def test_download_never_writes_through_a_link_beside_the_destination(home, outside, tmp_path):
    """The old fixed temp name `.NAME.download` was written through when planted."""
    run_dir = make_run(home)
    (run_dir / "outputs" / "model.bin").write_bytes(b"model")
    dest = tmp_path / "d"
    dest.mkdir()
    victim = outside / "secret.txt"
    for name in (".model.bin.download", ".model.bin.tmp", "model.bin.tmp"):
        os.symlink(victim, dest / name)
    result = run_cli("runs", "download", run_dir.name, "outputs/model.bin", str(dest), home=home)
    assert result.returncode == 0, result.output
    assert (dest / "model.bin").read_bytes() == b"model"
    assert victim.read_text() == "top secret"
    # a link at the final name itself is replaced, never written through
    os.symlink(victim, dest / "again.bin")
    result = run_cli(
        "runs", "download", run_dir.name, "outputs/model.bin", str(dest / "again.bin"), home=home
    )
    assert result.returncode == 0, result.output
    assert not (dest / "again.bin").is_symlink() and victim.read_text() == "top secret"


def test_runs_logs_file_cannot_name_a_path(home, outside):
    run_dir = make_run(home)
    os.symlink(outside / "secret.txt", run_dir / "logs" / "x.txt")
    for name in ("../../../outside/secret.txt", "/etc/hostname", "x.txt"):
        result = run_cli("runs", "logs", run_dir.name, "--file", name, home=home)
        assert result.returncode == 2, result.output
        assert "top secret" not in result.stdout


def test_datastore_download_refuses_a_symlinked_folder_in_the_destination(home, outside, tmp_path):
    src = tmp_path / "src"
    (src / "sub").mkdir(parents=True)
    (src / "sub" / "f.txt").write_text("data")
    assert run_cli("datastore", "upload", str(src), "--target", "ds", home=home).returncode == 0
    dest = tmp_path / "dest"
    dest.mkdir()
    os.symlink(outside / "victim", dest / "sub")
    result = run_cli("datastore", "download", "ds", str(dest), home=home)
    assert_user_error(result, "symlink")
    assert sorted(p.name for p in (outside / "victim").iterdir()) == ["precious.txt"]


@pytest.mark.parametrize(
    "args",
    [
        ["models", "show", "../../outside"],
        ["models", "show", "m@../../x"],
        ["models", "list", "../outside"],
        ["models", "download", "/etc:1", "{tmp}"],
        ["models", "delete", "../x:1", "--yes"],
        ["models", "alias", "../x", "1", "prod"],
        ["models", "alias", "m", "1", "../prod"],
        ["datastore", "add", "../x", "{tmp}"],
        ["datastore", "remove", "../x"],
        ["datastore", "list", "--datastore", "../x"],
    ],
)
def test_names_are_validated_before_any_path_is_built(home, tmp_path, args):
    args = [a.replace("{tmp}", str(tmp_path)) for a in args]
    before = tree(home)
    result = run_cli(*args, home=home)
    assert_user_error(result)
    assert tree(home) == before


def test_cancel_never_signals_a_process_it_cannot_prove_is_the_driver(home):
    """Crafted Running records naming a live process that is not their driver."""
    from harness.run.processes import start_ticks

    victim = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        (home / "runs").mkdir(parents=True)
        # Another start time than the record's: the pid was reused, its driver is gone.
        reused = "20260101-000000-abcdef"
        craft_record(
            home / "runs" / reused,
            reused,
            status="Running",
            started="2099-01-01T00:00:00+00:00",
            pid=victim.pid,
            pid_start=0,
            host=socket.gethostname(),
        )
        result = run_cli("runs", "cancel", reused, "--timeout", "2", home=home)
        assert result.returncode == 0, result.output
        assert f"run {reused}: Failed (its driver was already gone)" in result.stdout
        time.sleep(0.3)
        assert victim.poll() is None  # still alive: never signalled
        # even with the right start time, the marker file proves it is not the driver
        held = "20260101-000000-abcdee"
        craft_record(
            home / "runs" / held,
            held,
            status="Running",
            started="2099-01-01T00:00:00+00:00",
            pid=victim.pid,
            pid_start=start_ticks(victim.pid),
            host=socket.gethostname(),
        )
        result = run_cli("runs", "cancel", held, "--timeout", "2", home=home)
        assert_user_error(result, "not signalling", "marker")
        assert victim.poll() is None
    finally:
        victim.send_signal(signal.SIGKILL)
        victim.wait()

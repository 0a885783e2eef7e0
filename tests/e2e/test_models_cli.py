"""`harness models ...` through the real CLI, and `run.register_model` in a job's process."""

from __future__ import annotations

import hashlib
import os
import subprocess

from harness.contract.context import Run
from harness.contract.jobspec import JobSpec
from harness.run.record import COMPLETED, RUNNING
from harness.run.store import RunStore
from harness.testing import harness_executable, run_cli


def run_with_model(home, content: bytes = b"weights-v1", **params):
    """A completed run (store API) that wrote outputs/model.bin and logged accuracy."""
    store = RunStore(home)
    record = store.create(experiment="reg", estimator="sklearn", compute="local", params=params)
    (record.path / "outputs" / "model.bin").write_bytes(content)
    (record.path / "metrics" / "rank0-1.jsonl").write_text(
        '{"name": "accuracy", "value": 0.93, "step": 0, "time": 1.0}\n'
    )
    store.set_status(record.id, RUNNING)
    store.set_status(record.id, COMPLETED)
    return store.get(record.id)


def test_register_list_show_download_alias_delete(home, tmp_path):
    first = run_with_model(home, b"weights-v1", lr=0.1)
    second = run_with_model(home, b"weights-v2", lr=0.2)
    one = run_cli(
        "models",
        "register",
        "digits",
        "--run",
        first.id,
        "--path",
        "outputs/model.bin",
        "--tag",
        "stage=dev",
        "--description",
        "baseline",
        "--format",
        "json",
        home=home,
    )
    assert one.returncode == 0, one.output
    entry = one.json()
    assert entry["version"] == 1 and entry["run_id"] == first.id
    assert entry["sha256"] == hashlib.sha256(b"weights-v1").hexdigest()
    assert entry["params"] == {"lr": 0.1} and entry["metrics"] == {"accuracy": 0.93}
    assert entry["tags"] == {"stage": "dev"} and entry["description"] == "baseline"
    two = run_cli(
        "models", "register", "digits", "--run", second.id, "--path", "outputs/model.bin", home=home
    )
    assert two.returncode == 0 and "version 2" in two.stdout
    # The registry holds its own copy: the run's file may change or go.
    (second.path / "outputs" / "model.bin").write_bytes(b"changed later")

    listing = run_cli("models", "list", "--format", "json", home=home).json()
    assert [(m["name"], [v["version"] for v in m["versions"]]) for m in listing] == [
        ("digits", [1, 2])
    ]
    latest = run_cli("models", "show", "digits", "--format", "json", home=home).json()
    assert latest["version"] == 2 and latest["run_id"] == second.id

    aliased = run_cli("models", "alias", "digits", "1", "production", home=home)
    assert aliased.returncode == 0, aliased.output
    prod = run_cli("models", "show", "digits@production", "--format", "json", home=home).json()
    assert prod["version"] == 1 and prod["aliases"] == ["production"]

    dest = tmp_path / "prod.bin"
    got = run_cli("models", "download", "digits@production", str(dest), home=home)
    assert got.returncode == 0, got.output
    assert dest.read_bytes() == b"weights-v1"
    into_dir = run_cli("models", "download", "digits:2", str(tmp_path), home=home)
    assert (tmp_path / "model.bin").read_bytes() == b"weights-v2", into_dir.output

    deleted = run_cli("models", "delete", "digits:1", "--yes", home=home)
    assert deleted.returncode == 0, deleted.output
    gone = run_cli("models", "show", "digits:1", home=home)
    assert gone.returncode == 2 and "no version 1" in gone.stderr
    alias_gone = run_cli("models", "show", "digits@production", home=home)
    assert alias_gone.returncode == 2 and "no alias 'production'" in alias_gone.stderr
    # A deleted version's number is never handed out again.
    three = run_cli(
        "models",
        "register",
        "digits",
        "--run",
        first.id,
        "--path",
        "outputs/model.bin",
        "--format",
        "json",
        home=home,
    )
    assert three.json()["version"] == 3


def test_bad_register_input_is_a_clear_error_and_writes_nothing(home, tmp_path):
    record = run_with_model(home)
    outside = tmp_path / "elsewhere.bin"
    outside.write_bytes(b"x")
    cases = [
        (["--run", "nope", "--path", "outputs/model.bin"], "no run 'nope'"),
        (["--run", record.id, "--path", "outputs/missing.bin"], "has no 'outputs/missing.bin'"),
        (["--run", record.id, "--path", "../../../elsewhere.bin"], "outside the folder"),
        (["--run", record.id, "--path", str(outside)], "outside the folder"),
    ]
    for args, needle in cases:
        result = run_cli("models", "register", "m", *args, home=home)
        assert result.returncode == 2, result.output
        assert needle in result.stderr and "Traceback" not in result.stderr
    bad_name = run_cli(
        "models",
        "register",
        "bad/name",
        "--run",
        record.id,
        "--path",
        "outputs/model.bin",
        home=home,
    )
    assert bad_name.returncode == 2 and "model name" in bad_name.stderr
    assert run_cli("models", "list", "--format", "json", home=home).json() == []
    assert run_cli("models", "show", "m", home=home).returncode == 2


def test_concurrent_registrations_never_share_a_version(home):
    record = run_with_model(home)
    env = {**os.environ, "HARNESS_HOME": str(home)}
    procs = [
        subprocess.Popen(
            [
                harness_executable(),
                "models",
                "register",
                "racy",
                "--run",
                record.id,
                "--path",
                "outputs/model.bin",
                "--format",
                "json",
            ],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(6)
    ]
    versions = []
    for proc in procs:
        out, err = proc.communicate(timeout=120)
        assert proc.returncode == 0, err
        versions.append(__import__("json").loads(out)["version"])
    assert sorted(versions) == [1, 2, 3, 4, 5, 6]
    listed = run_cli("models", "list", "racy", "--format", "json", home=home).json()
    assert [v["version"] for v in listed[0]["versions"]] == [1, 2, 3, 4, 5, 6]


def test_run_register_model_from_inside_a_job(home):
    store = RunStore(home)
    record = store.create(experiment="api", estimator="sklearn", compute="local", params={"C": 2})
    store.set_status(record.id, RUNNING)
    run = Run(JobSpec(record.id, str(record.path), "api", "sklearn", "local", params={"C": 2}))
    try:
        run.log("accuracy", 0.97)  # still buffered: register_model flushes first
        (run.outputs_dir / "model.pkl").write_bytes(b"pickled")
        entry = run.register_model("api-model", "outputs/model.pkl")
        again = run.register_model("api-model", "outputs/model.pkl", tags={"k": "v"})
    finally:
        run.close()
    assert (entry.version, again.version) == (1, 2)
    assert entry.metrics == {"accuracy": 0.97} and entry.run_id == record.id
    shown = run_cli("models", "show", "api-model:2", "--format", "json", home=home).json()
    assert shown["tags"] == {"k": "v"} and shown["params"] == {"C": 2}

"""Invariant 5 for sweeps and models: a damaged record is one row marked ``Damaged``
(in the table and in the JSON) and one warning line naming its file, never a crash
and never a row silently missing; asking for it is one line; `harness doctor`
names it and `--fix` moves it aside; a damaged model version can be deleted.
The sweep's own small files (run links, job records, summary.json) carry a format
version and are checked on read like every other record."""

from __future__ import annotations

import json
from pathlib import Path

from faultkit import assert_user_error, make_run

from harness.sweeps.store import SweepStore
from harness.testing import CliResult, run_cli


def warnings(result: CliResult) -> list[str]:
    return [line for line in result.stderr.splitlines() if line.strip()]


def assert_one_warning(result: CliResult, *needles: str) -> None:
    lines = warnings(result)
    assert result.returncode == 0, result.output
    assert "Traceback" not in result.stderr, result.output
    assert len(lines) == 1 and lines[0].startswith("harness: warning: "), result.output
    for needle in needles:
        assert needle in lines[0], result.output


# -- models ---------------------------------------------------------------------------
def _register(home: Path, *names: str) -> Path:
    run_dir = make_run(home)
    (run_dir / "outputs" / "model.bin").write_bytes(b"model")
    for name in names:
        result = run_cli(
            "models", "register", name, "--run", run_dir.name, "--path", "outputs/model.bin",
            home=home,
        )  # fmt: skip
        assert result.returncode == 0, result.output
    return run_dir


def test_a_damaged_model_version_is_one_row_one_line_and_deletable(home, tmp_path):
    _register(home, "a", "a", "a", "b")
    entry = home / "models" / "a" / "2" / "model.json"
    entry.write_text('{"format_version": 1, "name": "a", "version": "two"}')
    listing = run_cli("models", "list", "--format", "json", home=home)
    assert_one_warning(listing, str(entry), "models delete a:2")
    (a, b) = listing.json()
    assert [v["version"] for v in a["versions"]] == [1, 2, 3]
    damaged = a["versions"][1]
    assert damaged["damaged"] is True and damaged["status"] == "Damaged"
    assert damaged["name"] == "a" and str(entry) in damaged["error"]
    assert [v.get("damaged", False) for v in a["versions"] + b["versions"]] == [
        False,
        True,
        False,
        False,
    ]
    for args in (["models", "list"], ["models", "list", "a"]):
        table = run_cli(*args, home=home)
        assert_one_warning(table, str(entry))
        (row,) = [line for line in table.stdout.splitlines() if "Damaged" in line]
        assert "│ a " in row and "│ 2 " in row, table.output
    versions_of_a = run_cli("models", "list", "a", "--format", "json", home=home).json()
    assert [v["version"] for v in versions_of_a[0]["versions"]] == [1, 2, 3]
    # asked for by number or by alias: one line naming the file
    assert_user_error(run_cli("models", "show", "a:2", home=home), str(entry))
    assert_user_error(
        run_cli("models", "download", "a:2", str(tmp_path / "x"), home=home), str(entry)
    )
    assert_user_error(run_cli("models", "alias", "a", "2", "prod", home=home), str(entry))
    assert not (tmp_path / "x").exists()
    shown = run_cli("models", "show", "a", "--format", "json", home=home)  # the latest
    assert shown.returncode == 0 and shown.json()["version"] == 3, shown.output
    assert run_cli("models", "show", "a:1", home=home).returncode == 0
    down = run_cli("models", "download", "b", str(tmp_path / "b.bin"), home=home)
    assert down.returncode == 0 and (tmp_path / "b.bin").read_bytes() == b"model", down.output
    # delete removes it (the prompt names the damage), the rest stays
    kept = run_cli("models", "delete", "a:2", home=home, input="n\n")
    assert kept.returncode == 1 and "damaged" in kept.stdout and entry.exists(), kept.output
    deleted = run_cli("models", "delete", "a:2", "--yes", home=home)
    assert deleted.returncode == 0 and not entry.parent.exists(), deleted.output
    after = run_cli("models", "list", "--format", "json", home=home)
    assert after.returncode == 0 and not warnings(after), after.output
    assert [[v["version"] for v in m["versions"]] for m in after.json()] == [[1, 3], [1]]
    assert run_cli("doctor", home=home).returncode == 0


def test_a_model_whose_only_version_is_damaged_is_still_listed(home):
    _register(home, "a", "b")
    entry = home / "models" / "b" / "1" / "model.json"
    entry.write_bytes(b"\xff\xfe not json")
    listing = run_cli("models", "list", "--format", "json", home=home)
    assert_one_warning(listing, str(entry))
    assert [(m["name"], [v.get("status") for v in m["versions"]]) for m in listing.json()] == [
        ("a", [None]),
        ("b", ["Damaged"]),
    ]
    one = run_cli("models", "list", "b", "--format", "json", home=home)
    assert one.returncode == 0 and one.json()[0]["versions"][0]["damaged"] is True, one.output
    assert_user_error(run_cli("models", "show", "b", home=home), str(entry))
    report = run_cli("doctor", "--format", "json", home=home)
    assert [(f["kind"], f["path"]) for f in report.json()] == [("model-version", str(entry.parent))]
    assert run_cli("doctor", "--fix", home=home).returncode == 0
    after = run_cli("models", "list", "--format", "json", home=home)
    assert [m["name"] for m in after.json()] == ["a"] and not warnings(after), after.output


def test_the_python_api_lists_damaged_models_and_sweeps_as_the_cli_does(home, capsys):
    import harness
    from harness.sdk.model import Model
    from harness.sdk.workspace import Workspace

    _register(home, "a", "a", "b")
    entry = home / "models" / "a" / "2" / "model.json"
    entry.write_text("[]")
    (home / "models" / "b" / "1" / "model.json").write_text("{")
    sweep = home / "sweeps" / "20260101-000000-abcdef"
    sweep.mkdir(parents=True)
    (sweep / "sweep.json").write_text('{"format_version": 1, "id": 5}')
    # handles exist for readable records only: each damaged one is a warning line
    ws = Workspace(home=home)
    assert [(m.name, m.version) for m in Model.list(ws)] == [("a", 1)]
    assert list(ws.models) == ["a"] and ws.sweeps == {}
    err = capsys.readouterr().err
    assert str(entry) in err and str(sweep / "sweep.json") in err
    # the listings of items: the CLI's JSON, damaged items included
    cli_models = run_cli("models", "list", "--format", "json", home=home).json()
    cli_sweeps = run_cli("sweeps", "list", "--format", "json", home=home).json()
    assert harness.list_models(workspace=home) == cli_models
    assert harness.list_sweeps(home) == cli_sweeps
    assert cli_sweeps[0]["id"] == sweep.name and cli_sweeps[0]["damaged"] is True
    assert [v.get("damaged", False) for v in cli_models[0]["versions"]] == [False, True]


# -- sweeps ---------------------------------------------------------------------------
def test_a_damaged_sweep_record_is_one_row_and_one_line(home):
    sweep = home / "sweeps" / "20260101-000000-abcdef"
    sweep.mkdir(parents=True)
    (sweep / "sweep.json").write_text("{")
    listing = run_cli("sweeps", "list", "--format", "json", home=home)
    assert_one_warning(listing, str(sweep / "sweep.json"), "doctor")
    (item,) = listing.json()
    assert item["id"] == sweep.name and item["status"] == "Damaged" and item["damaged"] is True
    assert str(sweep / "sweep.json") in item["error"]
    table = run_cli("sweeps", "list", home=home)
    assert_one_warning(table, str(sweep / "sweep.json"))
    assert sweep.name in table.stdout and "Damaged" in table.stdout, table.output
    assert_user_error(run_cli("sweeps", "show", sweep.name, home=home), str(sweep / "sweep.json"))
    assert_user_error(run_cli("sweeps", "best", sweep.name, home=home), str(sweep / "sweep.json"))


def _sweep_with_runs(home: Path) -> tuple[str, list[str]]:
    """A finished sweep of three runs and one job that never ran, made through the
    stores the way `harness train -m` leaves it (summary.json included)."""
    from harness.sweeps import summary

    store = SweepStore(home)
    sweep = store.create(metric="accuracy", goal="maximize", experiment="faults")
    runs = []
    for c, accuracy in (("0.1", 0.8), ("1", 0.95), ("10", 0.9)):
        run_dir = make_run(home, metrics={"accuracy": accuracy})
        store.link_run(
            sweep.id, run_dir.name, metric="accuracy", goal="maximize",
            overrides=[f"estimator.C={c}", "seed=1"], job=len(runs),
        )  # fmt: skip
        runs.append(run_dir.name)
    store.record_unstarted(
        sweep.id, 3, overrides=["estimator.C=100", "seed=1"], status="Canceled", error="not started"
    )
    summary.close_sweep(sweep, 0)
    return sweep.id, runs


def test_a_sweeps_files_carry_a_format_version(home):
    sweep_id, runs = _sweep_with_runs(home)
    folder = home / "sweeps" / sweep_id
    for path in (
        folder / "summary.json",
        folder / "runs" / f"{runs[0]}.json",
        folder / "unstarted" / "3.json",
    ):
        assert json.loads(path.read_text())["format_version"] == 1, path
    shown = run_cli("sweeps", "show", sweep_id, "--format", "json", home=home)
    assert shown.returncode == 0 and not warnings(shown), shown.output
    assert "format_version" not in shown.json()
    assert shown.json()["counts"]["damaged"] == 0


def test_files_written_before_format_versions_still_read(home):
    """Version 0: no format_version, and the summary had no count of damaged rows."""
    sweep_id, runs = _sweep_with_runs(home)
    folder = home / "sweeps" / sweep_id
    summary = json.loads((folder / "summary.json").read_text())
    before = run_cli("sweeps", "show", sweep_id, "--format", "json", home=home).json()
    del summary["format_version"], summary["counts"]["damaged"]
    summary["old_key"] = "dropped"  # version 0 kept unknown keys silently
    (folder / "summary.json").write_text(json.dumps(summary))
    for path in [*(folder / "runs").iterdir(), *(folder / "unstarted").iterdir()]:
        data = json.loads(path.read_text())
        del data["format_version"]
        path.write_text(json.dumps(data))
    shown = run_cli("sweeps", "show", sweep_id, "--format", "json", home=home)
    assert shown.returncode == 0 and not warnings(shown), shown.output
    assert shown.json() == before
    assert run_cli("doctor", home=home).returncode == 0


def test_damaged_sweep_files_are_rows_named_by_doctor(home):
    sweep_id, runs = _sweep_with_runs(home)
    folder = home / "sweeps" / sweep_id
    link = folder / "runs" / f"{runs[0]}.json"
    link.write_text(json.dumps({"format_version": 1, "run_id": runs[0], "overrides": "C=1"}))
    job = folder / "unstarted" / "3.json"
    job.write_text('{"format_version": 1, "job": "three"}')
    (home / "runs" / runs[2] / "run.json").write_text('{"id": 1}')  # a linked run's record
    summary = folder / "summary.json"
    summary.write_text(summary.read_text().replace('"total"', '"totl"'))
    shown = run_cli("sweeps", "show", sweep_id, "--format", "json", home=home)
    assert shown.returncode == 0, shown.output
    lines = warnings(shown)
    for path in (link, job, summary, home / "runs" / runs[2] / "run.json"):
        assert sum(str(path) in line for line in lines) == 1, shown.output
    assert len(lines) == 4, shown.output
    result = shown.json()
    rows = {(r["run_id"], r["status"]) for r in result["runs"]}
    assert rows == {
        (runs[1], "Completed"),
        (runs[0], "Damaged"),
        (None, "Damaged"),
        (runs[2], "Damaged"),
    }
    for row in result["runs"]:
        assert row.get("damaged", False) == (row["status"] == "Damaged")
    assert result["counts"]["damaged"] == 3 and result["counts"]["total"] == 4
    assert result["best"]["run_id"] == runs[1]
    assert result["fixed_overrides"] == []  # a damaged row's overrides are unknown: not compared
    table = run_cli("sweeps", "show", sweep_id, home=home)
    assert table.returncode == 0 and table.stdout.count("Damaged") == 3, table.output
    assert "3 damaged" in table.stdout
    listed = run_cli("sweeps", "list", "--format", "json", home=home)
    assert listed.json()[0]["counts"]["damaged"] == 3 and len(warnings(listed)) == 4
    best = run_cli("sweeps", "best", sweep_id, "--format", "json", home=home)
    assert best.returncode == 0 and best.json()["run_id"] == runs[1], best.output
    report = run_cli("doctor", "--format", "json", home=home)
    found = {(f["kind"], f["path"]) for f in report.json()}
    assert {
        ("sweep-link", str(link)),
        ("sweep-job", str(job)),
        ("sweep-summary", str(summary)),
        ("run", str(home / "runs" / runs[2])),
    } == found, report.output
    fixed = run_cli("doctor", "--fix", home=home)
    assert fixed.returncode == 0, fixed.output
    assert not link.exists() and not job.exists() and not summary.exists()
    moved = sorted(p.name for p in (home / "damaged").iterdir())
    assert any(name.endswith(f"runs-{runs[0]}.json") for name in moved), moved
    clean = run_cli("sweeps", "show", sweep_id, "--format", "json", home=home)
    assert clean.returncode == 0 and not warnings(clean), clean.output
    assert [r["run_id"] for r in clean.json()["runs"]] == [runs[1]]
    assert run_cli("doctor", home=home).returncode == 0

"""Every CLI capability is reachable from Python through the same function the
command calls: runs compare/plot, plugins list/show/new, bench list/run/compare,
datastore add/remove/ls. Each is checked against the installed command's JSON."""

from __future__ import annotations

import json

import pytest

import harness
from harness.datastore.settings import DEFAULT_NAME
from harness.errors import ConfigError, HarnessError, NotFoundError
from harness.testing import run_cli


def cli_json(home, *args: str):
    result = run_cli(*args, "--format", "json", home=home)
    assert result.returncode == 0, result.output
    return result.json()


@pytest.fixture
def two_runs(home):
    ids = []
    for c in ("0.5", "2.0"):
        result = run_cli("train", f"estimator.C={c}", "experiment=cmp", home=home)
        assert result.returncode == 0, result.output
        ids.append(result.run_id)
    return ids


def test_compare_and_plot_runs_from_python(home, two_runs, tmp_path):
    ws = harness.Workspace(home)
    data = harness.compare_runs(two_runs, workspace=ws)
    assert data == cli_json(home, "runs", "compare", *two_runs)
    assert set(data["params"]) == {"estimator.C"}
    assert data["params"]["estimator.C"] == {two_runs[0]: 0.5, two_runs[1]: 2.0}
    every = harness.compare_runs(two_runs, all_params=True, workspace=ws)
    assert every == cli_json(home, "runs", "compare", "--all", *two_runs)
    assert len(every["params"]) > len(data["params"])

    png = tmp_path / "curves.png"
    result = harness.plot_runs(two_runs, png, metrics=["accuracy"], size=(400, 300))
    assert result == {"path": png, "metrics": ["accuracy"]}
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    cli = run_cli(
        "runs", "plot", *two_runs, "--metric", "accuracy", "-o", str(tmp_path / "c.png"), home=home
    )
    assert cli.returncode == 0 and cli.stdout.strip() == f"wrote {tmp_path / 'c.png'} (accuracy)"

    # Refusals are the CLI's one-line errors.
    with pytest.raises(ConfigError, match="WIDTHxHEIGHT"):
        harness.plot_runs(two_runs, png, size="10x10")
    with pytest.raises(ConfigError, match="no values of metric 'nope'"):
        harness.plot_runs(two_runs, png, metrics=["nope"])
    with pytest.raises(NotFoundError):
        harness.compare_runs(["no-such-run", two_runs[0]])


def test_plugins_from_python(home, tmp_path):
    plugins = harness.list_plugins()
    listed = cli_json(home, "plugins", "list")
    # The same objects, but for the times each process measured for itself.
    measured = ("import_ms", "hooks_ms")
    for item in [*plugins, *listed]:
        assert item["import_ms"] is None or isinstance(item["import_ms"], float), item
        assert isinstance(item["hooks_ms"], dict), item

    def unmeasured(items):
        return [{k: v for k, v in item.items() if k not in measured} for item in items]

    assert unmeasured(plugins) == unmeasured(listed)
    assert {"sklearn", "script"} <= {p["name"] for p in plugins}
    assert unmeasured([harness.show_plugin("sklearn")]) == unmeasured(
        [cli_json(home, "plugins", "show", "sklearn")]
    )
    # a component's name shows the plugin that registers it, as on the command line
    assert unmeasured([harness.show_plugin("console")]) == unmeasured(
        [cli_json(home, "plugins", "show", "console")]
    )
    with pytest.raises(NotFoundError, match="no plugin or component named 'nope'") as err:
        harness.show_plugin("nope")
    shown = run_cli("plugins", "show", "nope", home=home)
    assert shown.returncode == err.value.exit_code == 2
    assert shown.stderr.strip() == f"harness: error: {err.value}"

    written = harness.new_plugin("tinyest", "estimator", tmp_path / "a")
    assert written["root"] == tmp_path / "a" / "harness-tinyest"
    cli = run_cli("plugins", "new", "tinyest", "--kind", "estimator", "--dir", str(tmp_path / "b"))
    assert cli.returncode == 0, cli.output
    listed = {line.strip() for line in cli.stdout.splitlines() if line.startswith("  ")}
    names = {str(p.relative_to(written["root"])) for p in written["files"]}
    assert names <= listed and names


def test_datastores_from_python(home, tmp_path):
    folder = tmp_path / "shared"
    folder.mkdir()
    store = harness.register_datastore("shared", str(folder), options={"depth": 2})
    assert store.name == "shared"
    listed = harness.list_datastores()
    assert listed == cli_json(home, "datastore", "ls")
    entry = next(i for i in listed if i["name"] == "shared")
    assert entry == {
        "name": "shared",
        "type": "local",
        "url": str(folder.resolve()),
        "options": {"depth": 2},
        "default": False,
    }
    assert set(harness.Workspace(home).datastores) == {i["name"] for i in listed}
    harness.register_datastore("mem", "memory://t15-api", default=True)
    assert harness.Workspace(home).get_default_datastore().name == "mem"
    with pytest.raises(HarnessError, match="look like credentials"):
        harness.register_datastore("bad", str(folder), options={"password": "x"})
    harness.unregister_datastore("shared")
    harness.unregister_datastore("mem")
    assert {i["name"] for i in cli_json(home, "datastore", "ls")} == {DEFAULT_NAME}
    with pytest.raises(HarnessError, match="no datastore named 'shared' to remove"):
        harness.unregister_datastore("shared")
    assert folder.is_dir()  # its data is left alone


def test_bench_from_python(home, tmp_path):
    suites = harness.list_bench_suites()
    assert {"default", "ci"} <= {s["name"] for s in suites}
    listing = run_cli("bench", "list", home=home)
    assert all(s["name"] in listing.stdout for s in suites)

    suite = tmp_path / "one.yaml"
    suite.write_text(
        "target_accuracy: 0.5\n"
        "datasets: {digits: {format: digits}}\n"
        "estimators:\n"
        "  sklearn: {overrides: [+estimator=sklearn]}\n"
    )
    lines: list[str] = []
    doc = harness.run_bench(str(suite), out=tmp_path / "out", echo=lines.append)
    assert [c["status"] for c in doc["cells"]] == ["Completed"]
    assert lines[0].startswith("suite one: 1 cells")
    saved = json.loads((tmp_path / "out" / "results.json").read_text())
    assert saved["cells"] == doc["cells"] and saved["sweep_id"] == doc["sweep_id"]
    assert doc["files"] == {
        "json": tmp_path / "out" / "results.json",
        "markdown": tmp_path / "out" / "results.md",
        "plot": tmp_path / "out" / "accuracy_vs_time.png",
    }
    assert all(path.is_file() for path in doc["files"].values())
    assert doc["sweep_id"] in harness.Workspace(home).sweeps  # a harness sweep, as from the CLI

    worse = json.loads(json.dumps(saved))
    worse["cells"][0]["final_accuracy"] *= 0.5
    after = tmp_path / "after.json"
    after.write_text(json.dumps(worse))
    before = tmp_path / "out" / "results.json"
    data = harness.compare_bench(before, after)
    flagged = run_cli("bench", "compare", str(before), str(after), "--format", "json")
    assert flagged.returncode == 1 and flagged.json() == data
    assert data["regressions"] == 1
    assert harness.compare_bench(before, before)["regressions"] == 0
    with pytest.raises(ConfigError, match="--threshold must be >= 0"):
        harness.compare_bench(before, after, threshold=-1)
    with pytest.raises(ConfigError, match="already holds a results.json"):
        harness.run_bench(str(suite), out=tmp_path / "out", echo=None)


def test_list_runs_rerun_and_doctor_from_python(home, two_runs):
    from harness.sdk import Run

    listed = harness.list_runs(experiment="cmp", workspace=home)
    assert [r.id for r in listed] == [r["id"] for r in cli_json(home, "runs", "list")]
    by_accuracy = harness.list_runs(sort="accuracy", ascending=True)
    cli = cli_json(home, "runs", "list", "--sort", "accuracy", "--asc")
    assert [r.id for r in by_accuracy] == [r["id"] for r in cli]
    assert harness.list_runs(status="failed") == []
    assert len(harness.list_runs(limit=1)) == 1
    with pytest.raises(ConfigError, match="status 'nope': use one of"):
        harness.list_runs(status="nope")

    again = Run.get(two_runs[0]).rerun()
    assert again.id not in two_runs
    details = again.wait_for_completion()
    assert details["tags"]["rerun_of"] == two_runs[0]
    assert details["params"]["estimator"]["C"] == 0.5
    assert [r.id for r in harness.list_runs(tags={"rerun_of": two_runs[0]})] == [again.id]

    assert harness.check_workspace() == [] == cli_json(home, "doctor")
    record = home / "runs" / two_runs[1] / "run.json"
    record.write_text("{not json")
    found = harness.check_workspace()
    doctor = run_cli("doctor", "--format", "json", home=home)
    assert doctor.returncode == 1 and doctor.json() == found
    assert [f["kind"] for f in found] == ["run"] and not found[0]["fixed"]

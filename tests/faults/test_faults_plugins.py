"""One broken plugin never breaks the harness (issue 26).

The plugins are real, pip-installed distributions (tests/faults/plugin_packages),
each entry point failing at one point where the harness touches plugin code:
import, version requirement, typed options, every hook, every kind of bad
registration, a component's own code. They are installed into a throw-away
``--target`` folder on PYTHONPATH, never into this environment. For each:

(a) ``harness train`` with the built-ins still completes,
(b) the warning names the plugin, its distribution and version, and the hook,
(c) choosing the broken component fails with exit 2 (or 1, for a run that had
    started) and one line saying the same, with no traceback.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from harness.testing import run_cli, script_job
from harness.testing.plugin_site import pip_install_target

PACKAGES = Path(__file__).resolve().parent / "plugin_packages"
FAULTY = "(harness-faulty-plugins 0.1.0)"
TOO_NEW = "(harness-faulty-too-new 0.3.0)"

#: (entry point, its distribution, how it failed, what `harness train` chooses, exit
#: code of that run, the reason the line gives)
FAULTS = [
    ("import-error", FAULTY, "failed to load", ["+estimator=f-import"], 2,
     "RuntimeError: broken at import"),
    ("too-new", TOO_NEW, "is not compatible with this harness", ["+estimator=f-new"], 2,
     "it requires harness-ml>=99, but this is harness-ml "),
    ("wrong-default", FAULTY, "failed in harness_config_schemas", ["+estimator=f-schema"], 2,
     "the config of estimator=f-schema is invalid: Value 'ten' of type 'str' could not be "
     "converted to Integer (field n_rounds of Options)"),
    ("not-dataclass", FAULTY, "failed in harness_config_schemas", ["compute=f-nodc"], 2,
     "registered {'name': 'f-nodc'} as the config of compute=f-nodc, which is not a dataclass"),
    ("schemas-raises", FAULTY, "failed in harness_config_schemas", ["+estimator=f-cfg"], 2,
     "RuntimeError: schemas exploded"),
    ("searchpath-raises", FAULTY, "failed in harness_config_searchpath", ["+estimator=f-path"], 2,
     "RuntimeError: searchpath exploded"),
    ("register-raises", FAULTY, "failed in harness_register_estimators", ["+estimator=f-reg"], 2,
     "RuntimeError: register exploded"),
    ("reg-int", FAULTY, "failed in harness_register_estimators", ["+estimator=f-int"], 2,
     "registered 42 as estimator 'f-int', which is not a class; register a subclass of "
     "harness.contract.Estimator"),
    ("reg-class", FAULTY, "failed in harness_register_estimators", ["+estimator=f-class"], 2,
     "registered harness_faulty.reg_class.NotAnEstimator as estimator 'f-class', which is not "
     "an Estimator"),
    ("reg-name", FAULTY, "failed in harness_register_estimators", ["+estimator=f-name"], 2,
     "registered the estimator name 'Bad Name!'"),
    ("reg-kind", FAULTY, "failed in harness_register_computes", ["compute=f-kind"], 2,
     "registered harness_faulty.common.WorkingEstimator as compute 'f-kind', which is not a "
     "Compute; it is an estimator: register it in harness_register_estimators"),
    ("reg-twice", FAULTY, "failed in harness_register_estimators", ["+estimator=f-twice"], 2,
     "registered estimator 'f-twice' twice"),
    ("before-run", FAULTY, "failed in harness_before_run", ["+estimator=f-before"], 1,
     "RuntimeError: before-run exploded"),
    ("worker-start", FAULTY, "failed in harness_worker_start", ["+estimator=f-worker"], 1,
     "RuntimeError: worker-start exploded"),
]  # fmt: skip

#: Failures at no point a built-in run reaches: named when it is reached.
RUNTIME_ONLY = ("on-run-error", "validate-raises", "datastore-raises")


@pytest.fixture(scope="module")
def plugins_env(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    work = tmp_path_factory.mktemp("faulty-plugins")
    return pip_install_target(
        work / "site",
        PACKAGES / "harness-faulty-plugins",
        PACKAGES / "harness-faulty-too-new",
        build=work / "build",
    )


@pytest.fixture(scope="module")
def builtin_run(plugins_env, tmp_path_factory) -> tuple:
    """(a): one `harness train` of the built-in sklearn estimator with every faulty
    plugin installed."""
    home = tmp_path_factory.mktemp("home")
    result = run_cli("train", "estimator.data.format=iris", home=home, env=plugins_env)
    return result, home


def warnings_of(text: str) -> list[str]:
    return [line for line in text.splitlines() if line.startswith("harness: warning: ")]


def test_a_builtin_run_completes_beside_every_broken_plugin(builtin_run):
    result, home = builtin_run
    assert result.returncode == 0, result.output
    assert "Traceback" not in result.stderr, result.stderr
    run = run_cli("runs", "show", result.run_id, "--format", "json", home=home).json()
    assert run["status"] == "Completed" and run["metrics"]["accuracy"] > 0.8
    # One line per broken plugin, each said once.
    lines = warnings_of(result.stderr)
    assert len(lines) == len(set(lines)), result.stderr
    broken = {name for name, *_ in FAULTS} | {"after-run"}
    named = {line.split("plugin '", 1)[1].split("'", 1)[0] for line in lines}
    assert named == broken, result.stderr


@pytest.mark.parametrize(
    ("plugin", "dist", "how", "reason"),
    [(p, d, h, r) for p, d, h, _, _, r in FAULTS]
    + [("after-run", FAULTY, "failed in harness_after_run", "RuntimeError: after-run exploded")],
    ids=lambda value: value if isinstance(value, str) and " " not in value else "",
)
def test_the_warning_names_plugin_distribution_version_and_hook(
    builtin_run, plugin, dist, how, reason
):
    result, _ = builtin_run
    lines = [ln for ln in warnings_of(result.stderr) if ln.startswith(
        f"harness: warning: plugin '{plugin}' {dist} {how}: "
    )]  # fmt: skip
    assert len(lines) == 1, result.stderr
    assert reason in lines[0], lines[0]


@pytest.mark.parametrize(
    ("plugin", "dist", "how", "choose", "code", "reason"),
    FAULTS,
    ids=[fault[0] for fault in FAULTS],
)
def test_choosing_the_broken_component_fails_with_one_line(
    plugins_env, tmp_path, plugin, dist, how, choose, code, reason
):
    result = run_cli("train", *choose, home=tmp_path, env=plugins_env)
    assert result.returncode == code, result.output
    assert "Traceback" not in result.stderr, result.stderr
    component = choose[0].lstrip("+").replace("=", " '") + "'"  # estimator 'f-x'
    line = f"{component} is not available: plugin '{plugin}' {dist} {how}: "
    if code == 2:  # refused before any run exists
        errors = [ln for ln in result.stderr.splitlines() if ln.startswith("harness: error: ")]
        assert len(errors) == 1 and errors[0].startswith(f"harness: error: {line}"), result.output
        assert reason in errors[0], errors[0]
        runs = tmp_path / "runs"
        assert not runs.exists() or not [p for p in runs.iterdir() if not p.name.startswith(".")]
        return
    # The run had started: it is Failed with that line, and the summary says it.
    listed = run_cli("runs", "list", "--format", "json", home=tmp_path, env=plugins_env).json()
    assert [r["id"] for r in listed] == [result.run_id], listed
    run = run_cli("runs", "show", result.run_id, "--format", "json", home=tmp_path).json()
    assert run["status"] == "Failed"
    assert run["error"].startswith(line) and reason in run["error"], run["error"]
    assert f"status: Failed ({run['error']})" in result.stdout, result.output


def test_a_hook_after_the_final_status_cannot_change_it(plugins_env, tmp_path):
    """harness_after_run and harness_on_run_error run once the status is written: their
    failure is a warning, and the run keeps its status (Completed here; the plugin's
    estimator was chosen)."""
    result = run_cli("train", "+estimator=f-after", home=tmp_path, env=plugins_env)
    assert result.returncode == 0, result.output
    assert "status: Completed" in result.stdout
    assert (
        f"harness: warning: plugin 'after-run' {FAULTY} failed in harness_after_run: "
        "RuntimeError: after-run exploded; it is disabled for this command"
    ) in result.stderr


def test_a_failing_on_run_error_hook_is_named_and_the_run_stays_failed(plugins_env, tmp_path):
    job = script_job(tmp_path, "import sys\nsys.exit(3)\n")
    result = run_cli("train", *job, home=tmp_path / "home", env=plugins_env)
    assert result.returncode == 1, result.output
    assert (
        f"harness: warning: plugin 'on-run-error' {FAULTY} failed in harness_on_run_error: "
        "RuntimeError: on-run-error exploded; it is disabled for this command"
    ) in result.stderr
    assert "status: Failed" in result.stdout


def test_a_bug_in_a_components_own_code_is_one_line_naming_its_plugin(plugins_env, tmp_path):
    result = run_cli("train", "+estimator=f-validate", home=tmp_path, env=plugins_env)
    assert result.returncode == 2, result.output
    errors = [ln for ln in result.stderr.splitlines() if ln.startswith("harness: error: ")]
    assert len(errors) == 1 and "Traceback" not in result.stderr, result.output
    assert errors[0].startswith(
        f"harness: error: estimator 'f-validate' of plugin 'validate-raises' {FAULTY} failed in "
        "Estimator.validate: ConfigAttributeError: Key 'settings' is not in struct"
    ), errors[0]
    # HARNESS_TRACE_PLUGINS=1 shows the traceback the line leaves out.
    traced = run_cli(
        "train", "+estimator=f-validate", home=tmp_path,
        env={**plugins_env, "HARNESS_TRACE_PLUGINS": "1"},
    )  # fmt: skip
    assert "harness: trace: Traceback (most recent call last):" in traced.stderr
    assert "validate_raises/__init__.py" in traced.stderr


#: A bug in a component's own code once its run exists (in the driver, or in the
#: job before training): (what train chooses, component, plugin, method, reason, where
#: the traceback passes).
RUN_BUGS = [
    (["+estimator=f-prepare"], "estimator 'f-prepare'", "prepare-raises", "Estimator.prepare",
     "AttributeError: 'JobSpec' object has no attribute 'snapshot_dir'", "prepare_raises"),
    (["estimator.data.format=iris", "compute=f-launch"], "compute 'f-launch'", "launch-raises",
     "Compute.launch", "KeyError: 'cores'", "launch_raises"),
    (["estimator.data.format=iris", "compute=f-wstart"], "compute 'f-wstart'",
     "worker-start-method", "Compute.worker_start", "KeyError: 'communicator'",
     "worker_start_method"),
    (["+estimator=f-injob"], "estimator 'f-injob'", "validate-in-job-raises",
     "Estimator.validate_in_job", "ValueError: invalid literal for int() with base 10: 'f-injob'",
     "validate_in_job_raises"),
]  # fmt: skip


@pytest.mark.parametrize(
    ("choose", "component", "plugin", "method", "reason", "module"),
    RUN_BUGS,
    ids=[bug[3] for bug in RUN_BUGS],
)
def test_a_bug_in_a_components_code_after_the_run_exists_fails_the_run_with_one_line(
    plugins_env, tmp_path, choose, component, plugin, method, reason, module
):
    """Estimator.prepare, Compute.launch (driver) and Compute.worker_start,
    Estimator.validate_in_job (job): the run ends Failed with one line naming the
    component, plugin, distribution, version and method, exit 1; the traceback is in
    the run's logs/, not in the terminal."""
    result = run_cli("train", *choose, home=tmp_path, env=plugins_env)
    assert result.returncode == 1, result.output
    assert "Traceback" not in result.output, result.output
    line = f"{component} of plugin '{plugin}' {FAULTY} failed in {method}: {reason}"
    errors = [ln for ln in result.stderr.splitlines() if ln.startswith("harness: error: ")]
    assert errors == [f"harness: error: {line}"], result.output
    run = run_cli("runs", "show", result.run_id, "--format", "json", home=tmp_path).json()
    assert run["status"] == "Failed" and run["error"] == line, run
    assert f"status: Failed ({line})" in result.stdout
    kept = (Path(run["path"]) / "logs" / "plugin_error.txt").read_text()
    assert kept.startswith(f"harness: error: {line}\nTraceback (most recent call last):\n")
    assert f"harness_faulty/{module}/__init__.py" in kept, kept
    assert kept.rstrip().endswith(reason), kept


def test_a_bug_in_estimator_primary_is_one_line_before_any_run(plugins_env, tmp_path):
    """Estimator.primary is asked before the record exists: exit 2, one line, no run;
    in a sweep, the job is refused with that line, and with Optuna (the sweep asks
    before it starts) the sweep is refused."""
    line = (
        f"estimator 'f-primary' of plugin 'primary-raises' {FAULTY} failed in "
        "Estimator.primary: KeyError: 'primary'"
    )
    single = run_cli("train", "+estimator=f-primary", home=tmp_path, env=plugins_env)
    assert single.returncode == 2, single.output
    assert "Traceback" not in single.output, single.output
    errors = [ln for ln in single.stderr.splitlines() if ln.startswith("harness: error: ")]
    assert errors == [f"harness: error: {line}"], single.output
    runs = tmp_path / "runs"
    assert not runs.exists() or not [p for p in runs.iterdir() if not p.name.startswith(".")]
    sweep = run_cli("train", "-m", "+estimator=f-primary", home=tmp_path, env=plugins_env)
    assert "Traceback" not in sweep.output, sweep.output
    assert f"harness: error: job #0 (estimator=f-primary): {line}" in sweep.stderr
    optuna = run_cli("train", "-m", "+estimator=f-primary", "hydra/sweeper=optuna",
                     home=tmp_path, env=plugins_env)  # fmt: skip
    assert optuna.returncode == 2, optuna.output
    assert "Traceback" not in optuna.output and "UserWarning" not in optuna.output
    errors = [ln for ln in optuna.stderr.splitlines() if ln.startswith("harness: error: ")]
    assert errors == [f"harness: error: {line}"], optuna.output


def test_a_datastore_plugins_bug_is_one_line_in_datastore_commands(plugins_env, tmp_path):
    store = tmp_path / "store"
    added = run_cli("datastore", "add", "bad", f"f-ds://{store}", "--type", "f-ds",
                    home=tmp_path, env=plugins_env)  # fmt: skip
    assert added.returncode == 0, added.output
    listed = run_cli("datastore", "list", "-d", "bad", home=tmp_path, env=plugins_env)
    assert listed.returncode == 2, listed.output
    assert "Traceback" not in listed.stderr
    assert (
        f"harness: error: datastore 'f-ds' of plugin 'datastore-raises' {FAULTY} failed in "
        "datastore list: KeyError: 'bucket-index'"
    ) in listed.stderr


def test_plugins_list_shows_each_broken_plugin_as_failed_with_its_reason(plugins_env, tmp_path):
    result = run_cli("plugins", "list", "--format", "json", home=tmp_path, env=plugins_env)
    assert result.returncode == 0, result.output
    plugins = {p["name"]: p for p in result.json()}
    for name, *_, code, reason in FAULTS:
        if code == 1:  # fails in a run's hook, which listing does not call
            assert plugins[name]["status"] == "loaded", plugins[name]
            continue
        assert plugins[name]["status"] == "failed", plugins[name]
        assert reason in plugins[name]["error"], (name, plugins[name]["error"])
    for name in ("sklearn", "local", "loggers", "wrapper", "slow-import", *RUNTIME_ONLY):
        assert plugins[name]["status"] == "loaded", plugins[name]
    table = run_cli("plugins", "list", home=tmp_path, env=plugins_env)
    row = next(ln for ln in table.stdout.splitlines() if "│ reg-int " in ln)
    assert "failed" in row and "registered 42 as estimator 'f-int'" in row, table.stdout


def test_help_and_listing_work_beside_every_broken_plugin(plugins_env, tmp_path):
    for args in (["--help"], ["train", "--help"], ["plugins", "show", "wrapper"]):
        result = run_cli(*args, home=tmp_path, env=plugins_env)
        assert result.returncode == 0, (args, result.output)
        assert "Traceback" not in result.stderr, result.stderr


def test_a_wrapper_hook_runs_around_the_others_through_the_driver(builtin_run):
    """pluggy's wrapper=True, called by the driver through pm.hook: the `wrapper`
    plugin's code runs before and after every other harness_before_run, including the
    one that raised (disabled, while the wrapper and the run went on)."""
    result, home = builtin_run
    run = run_cli("runs", "show", result.run_id, "--format", "json", home=home).json()
    wrapped = (Path(run["path"]) / "wrapped.txt").read_text()
    assert wrapped == "wrapper before\nwrapper after\n"


def test_the_slow_plugin_is_named_by_its_import_time(plugins_env, tmp_path):
    slow = {**plugins_env, "HARNESS_FAULTY_IMPORT_S": "0.6"}
    result = run_cli("plugins", "list", "--timings", "--format", "json", home=tmp_path, env=slow)
    plugins = {p["name"]: p for p in result.json()}
    assert plugins["slow-import"]["import_ms"] >= 600
    table = run_cli("plugins", "list", "--timings", home=tmp_path, env=slow)
    rows = [ln for ln in table.stdout.splitlines() if ln.startswith("│ ")]
    assert rows[0].startswith("│ slow-import "), table.stdout  # slowest first
    traced = run_cli("plugins", "list", home=tmp_path, env={**slow, "HARNESS_TRACE_PLUGINS": "1"})
    assert any(
        ln.startswith(f"harness: trace: import of plugin 'slow-import' {FAULTY} took ")
        for ln in traced.stderr.splitlines()
    ), traced.stderr


def test_disabling_per_command_and_allowing_per_environment(plugins_env, tmp_path):
    names = [name for name, *_ in FAULTS if name != "too-new"]
    options = [arg for name in names for arg in ("-p", f"no:{name}")]
    quiet = run_cli(*options, "-p", "no:after-run", "train", "estimator.data.format=iris",
                    home=tmp_path, env=plugins_env)  # fmt: skip
    assert quiet.returncode == 0, quiet.output
    assert [ln for ln in warnings_of(quiet.stderr) if "'too-new'" not in ln] == [], quiet.stderr
    allowed = run_cli("plugins", "list", "--format", "json", home=tmp_path,
                      env={**plugins_env, "HARNESS_PLUGINS_ALLOW": "wrapper"})  # fmt: skip
    assert warnings_of(allowed.stderr) == [], allowed.stderr
    status = {p["name"]: p["status"] for p in allowed.json()}
    assert status["wrapper"] == status["sklearn"] == "loaded"
    assert {status[name] for name, *_ in FAULTS} == {"disabled"}
    chosen = run_cli("train", "+estimator=f-before", home=tmp_path,
                     env={**plugins_env, "HARNESS_PLUGINS_ALLOW": "wrapper"})  # fmt: skip
    assert chosen.returncode == 2
    assert (
        "estimator 'f-before' is not available: plugin 'before-run' provides estimator "
        "'f-before' but is not in HARNESS_PLUGINS_ALLOW; add 'before-run' to that list"
    ) in chosen.stderr, chosen.stderr


def test_the_python_api_names_the_broken_plugin_too(plugins_env, tmp_path):
    """The notebook door: Experiment.submit gets the CLI's line, not Hydra's
    `full_key: n_rounds object_type=Opts`; a run a broken plugin failed says why."""
    import os
    import subprocess
    import sys

    code = (
        "from harness import Experiment, EstimatorConfig, SubmitError, Workspace\n"
        f"ws = Workspace(home={str(tmp_path / 'home')!r})\n"
        "try:\n"
        "    Experiment('x', ws).submit(EstimatorConfig(estimator='f-schema'))\n"
        "except SubmitError as exc:\n"
        "    print('REFUSED', exc)\n"
        "run = Experiment('x', ws).submit(EstimatorConfig(estimator='f-before'))\n"
        "details = run.wait_for_completion(raise_on_error=False)\n"
        "print('RUN', details['status'], details['error'])\n"
    )
    proc = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, cwd=tmp_path,
        env={**os.environ, **plugins_env}, timeout=300,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stdout + proc.stderr
    line, ran = proc.stdout.strip().splitlines()
    assert line.startswith("REFUSED "), proc.stdout + proc.stderr
    assert (
        f"estimator 'f-schema' is not available: plugin 'wrong-default' {FAULTY} failed in "
        "harness_config_schemas: the config of estimator=f-schema is invalid"
    ) in line
    assert "full_key" not in line and "object_type" not in line
    # A plugin failing in a run that had started: the handle's run is Failed with its line.
    assert ran.startswith(
        f"RUN Failed estimator 'f-before' is not available: plugin 'before-run' {FAULTY} "
        "failed in harness_before_run: RuntimeError: before-run exploded"
    ), ran

"""Contract tests, one class per component kind, for plugin authors and built-ins alike.

Subclass one in your own test module (the ``Test`` prefix makes pytest collect it)
and say which component to check::

    from harness.testing.contracts import EstimatorContract

    class TestXGBoost(EstimatorContract):
        name = "xgboost"
        plugin = "xgboost"                              # your entry-point name
        overrides = ("estimator.n_estimators=5",)       # keep the test run small
        invalid_overrides = ("estimator.max_depth=-1",)  # validate() must reject it

Every check goes through the real ``harness`` command with a temporary workspace,
so it tests what users get: the entry point, the config group, the component.
Computes and loggers are exercised with the framework-free ``probe`` estimator
(``harness.testing.probe``), which these classes load through ``HARNESS_PLUGINS``.
"""

from __future__ import annotations

import math
import os
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar

import pytest

from harness import envvars
from harness.testing import CliResult, run_cli

__all__ = ["ComputeContract", "EstimatorContract", "Logged", "LoggerContract", "PROBE_PLUGIN"]

#: The module that registers the ``probe`` estimator.
PROBE_PLUGIN = "harness.testing.probe"


def _with_probe(env: dict[str, str]) -> dict[str, str]:
    extra = [m for m in env.get(envvars.PLUGINS, "").split(",") if m]
    return {**env, envvars.PLUGINS: ",".join([*extra, PROBE_PLUGIN])}


def show_run(run_id: str, home: Path, env: dict[str, str] | None = None) -> dict[str, Any]:
    """``harness runs show RUN_ID --format json`` as a dict."""
    result = run_cli("runs", "show", run_id, "--format", "json", home=home, env=env)
    assert result.returncode == 0, result.output
    return result.json()


def assert_no_warnings(result: CliResult, about: Iterable[str] | None = None) -> None:
    """No ``harness: warning`` on stderr: a duplicate name, a clashing config file,
    a misspelled hook or a failing hook of the plugin under test is a failure.

    ``about``: only warnings that contain one of these strings count (the contracts
    pass ``plugin 'NAME'`` and ``KIND 'NAME'``), so another installed plugin's
    warning does not fail a healthy plugin's tests."""
    warnings = [ln for ln in result.stderr.splitlines() if ln.startswith("harness: warning")]
    if about is not None:
        needles = list(about)
        warnings = [ln for ln in warnings if any(needle in ln for needle in needles)]
    assert not warnings, "the harness warned:\n" + "\n".join(warnings)


def assert_clean_error(result: CliResult) -> None:
    """Exit 2 with a one-line ``harness: error`` and no traceback."""
    assert result.returncode == 2, result.output
    assert "Traceback" not in result.stderr, result.output
    assert "error" in result.stderr.lower(), result.output


@contextmanager
def _environ(env: dict[str, str]) -> Iterator[None]:
    saved = {key: os.environ.get(key) for key in env}
    os.environ.update(env)
    try:
        yield
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


class _Contract:
    #: The component's registered name (what ``KIND=NAME`` selects).
    name: ClassVar[str] = ""
    #: The plugin under test (its entry-point name). When set, the component must
    #: come from this plugin, not from another one that registers the same name.
    plugin: ClassVar[str | None] = None
    #: Extra overrides for every run: keep runs small, set required options.
    overrides: ClassVar[tuple[str, ...]] = ()
    #: Overrides that ``validate()`` must reject with exit code 2 (one test each).
    invalid_overrides: ClassVar[tuple[str, ...]] = ()
    #: Extra environment for every ``harness`` call (e.g. HARNESS_PLUGINS=your.module).
    env: ClassVar[dict[str, str]] = {}
    kind: ClassVar[str] = ""

    def cli_env(self) -> dict[str, str]:
        return dict(self.env)

    def select(self) -> list[str]:
        """The overrides that pick this component."""
        raise NotImplementedError

    def train(self, home: Path, *extra: str) -> CliResult:
        """``harness train`` with this component selected (``select()``), the class's
        ``overrides`` and ``extra``, in the workspace ``home``, with ``cli_env()``.
        Fails on a warning about this component or its plugin."""
        result = run_cli(
            "train", *self.select(), *self.overrides, *extra, home=home, env=self.cli_env()
        )
        assert_no_warnings(result, self.warning_subjects())
        return result

    def warning_subjects(self) -> list[str]:
        """What a warning about the plugin under test names: the component, and its
        plugin (``plugin``, else every plugin that registers the component)."""
        plugins = [self.plugin] if self.plugin else self._owners
        return [f"{self.kind} '{self.name}'", *(f"plugin '{p}'" for p in plugins)]

    #: Plugins that register the component, as the first ``plugins list`` saw them.
    _owners: ClassVar[list[str]] = []

    def assert_registered(self, home: Path) -> None:
        """Exactly one loaded plugin registers the component, and it is the plugin
        under test (``plugin``) when that is set; no warnings about it while loading."""
        assert self.name, f"{type(self).__name__}.name is not set"
        result = run_cli("plugins", "list", "--format", "json", home=home, env=self.cli_env())
        assert result.returncode == 0, result.output
        owners = [
            p["name"] for p in result.json() if self.name in p["components"].get(self.kind, [])
        ]
        type(self)._owners = owners
        assert_no_warnings(result, self.warning_subjects())
        assert len(owners) == 1, (
            f"{self.kind} '{self.name}' is registered by {owners or 'no plugin'}"
        )
        if self.plugin is not None:
            assert owners == [self.plugin], (
                f"{self.kind} '{self.name}' comes from plugin '{owners[0]}', "
                f"not from the plugin under test '{self.plugin}'"
            )

    def test_is_registered_by_a_loaded_plugin(self, tmp_path: Path) -> None:
        self.assert_registered(tmp_path)

    def test_config_group_composes(self, tmp_path: Path) -> None:
        result = run_cli(
            "train", *self.select(), *self.overrides, "--cfg", "job",
            home=tmp_path, env=self.cli_env(),
        )  # fmt: skip
        assert result.returncode == 0, result.output
        assert self.composed_marker() in result.stdout, result.output

    def composed_marker(self) -> str:
        """Text that ``--cfg job`` shows once this component's config is composed."""
        return f"name: {self.name}\n"

    def test_invalid_config_is_a_clear_error(self, tmp_path: Path) -> None:
        if not self.invalid_overrides:
            pytest.skip(f"{type(self).__name__}.invalid_overrides is empty")
        # An unknown component exits 2 too: prove it is there before blaming validate().
        self.assert_registered(tmp_path)
        for override in self.invalid_overrides:
            result = self.train(tmp_path, override)
            assert_clean_error(result)
            runs = tmp_path / "runs"
            assert not runs.exists() or not any(runs.iterdir()), f"{override} wrote a run"


class EstimatorContract(_Contract):
    """An estimator trains through the CLI, logs its primary metric, writes outputs."""

    kind = "estimator"
    #: The metric that must be logged; default: the registered class's ``primary_metric``.
    primary_metric: ClassVar[str | None] = None

    def select(self) -> list[str]:
        return [f"+estimator={self.name}"]

    @pytest.fixture(scope="class")
    @classmethod
    def trained(cls, tmp_path_factory: pytest.TempPathFactory) -> tuple[CliResult, dict[str, Any]]:
        """One training run per contract class, shared by its checks."""
        home = tmp_path_factory.mktemp("harness-home")
        contract = cls()
        result = contract.train(home)
        assert result.returncode == 0, result.output
        return result, show_run(result.run_id, home, contract.cli_env())

    def expected_metric(self) -> str:
        if self.primary_metric:
            return self.primary_metric
        from harness.contract.manager import HarnessPlugins

        with _environ(self.cli_env()):
            manager = HarnessPlugins()
            manager.load_entry_points()
            estimator: Any = manager.get("estimator", self.name)
            return str(estimator.primary_metric)

    def test_trains_and_completes(self, trained: tuple[CliResult, dict[str, Any]]) -> None:
        result, run = trained
        assert run["status"] == "Completed", result.output
        assert run["estimator"] == self.name

    def test_logs_its_primary_metric(self, trained: tuple[CliResult, dict[str, Any]]) -> None:
        result, run = trained
        metric = self.expected_metric()
        value = run["metrics"].get(metric)
        assert isinstance(value, (int, float)), f"no numeric '{metric}' logged\n{result.output}"
        assert math.isfinite(value), f"{metric}={value}"

    def test_writes_outputs(self, trained: tuple[CliResult, dict[str, Any]]) -> None:
        _, run = trained
        outputs = [f for f in run["files"] if f.startswith("outputs/")]
        assert outputs, f"nothing written into outputs/; files: {run['files']}"


class ComputeContract(_Contract):
    """A compute runs a job to the end and hands back its exit status."""

    kind = "compute"

    def cli_env(self) -> dict[str, str]:
        return _with_probe(dict(self.env))

    def select(self) -> list[str]:
        return ["+estimator=probe", f"compute={self.name}"]

    def test_runs_a_job_and_captures_its_output(self, tmp_path: Path) -> None:
        result = self.train(tmp_path, "estimator.score=0.25")
        assert result.returncode == 0, result.output
        run = show_run(result.run_id, tmp_path, self.cli_env())
        assert run["status"] == "Completed" and run["compute"] == self.name
        assert run["metrics"]["probe_score"] == 0.25
        assert "outputs/probe.txt" in run["files"]
        logs = Path(run["path"]) / "logs"
        captured = "".join(p.read_text() for p in logs.rglob("*.txt"))
        assert "probe: trained" in captured, f"the job's stdout is not in logs/: {run['files']}"

    def test_a_failing_job_fails_the_run(self, tmp_path: Path) -> None:
        result = self.train(tmp_path, "estimator.exit_code=3")
        assert result.returncode == 1, result.output
        run = show_run(result.run_id, tmp_path, self.cli_env())
        assert run["status"] == "Failed"
        assert run["metrics"]["probe_score"] == 0.5, "metrics before the failure were lost"

    def test_launch_returns_the_exit_status(
        self, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        """``Compute.launch`` itself, in-process: the job's exit code comes back."""
        from harness.contract.jobspec import JobSpec
        from harness.contract.manager import HarnessPlugins
        from harness.run.store import RunStore

        done = self.train(tmp_path)
        assert done.returncode == 0, done.output
        params = show_run(done.run_id, tmp_path, self.cli_env())["params"]
        params["estimator"]["exit_code"] = 3
        for key, value in {**self.cli_env(), envvars.HOME: str(tmp_path)}.items():
            monkeypatch.setenv(key, value)
        manager = HarnessPlugins()
        manager.load_entry_points()
        record = RunStore(tmp_path).create(
            experiment="contract", estimator="probe", compute=self.name, params=params
        )
        spec = JobSpec(
            record.id, str(record.path), "contract", "probe", self.name,
            params=params, workdir=str(record.path),
        )  # fmt: skip
        spec.save()
        outcome = manager.get("compute", self.name)().launch(spec)
        assert outcome.exit_code == 3, outcome
        assert not outcome.canceled


@dataclass
class Logged:
    """What a logger was given during one run, for ``LoggerContract.check_logged``."""

    #: The resolved config the job ran with (``log_params``).
    params: dict[str, Any]
    #: Metric name → values logged, in order (``log_metrics``).
    metrics: dict[str, list[Any]] = field(default_factory=dict)
    #: The status passed to ``finish``: ``Completed`` or ``Failed``.
    status: str = "Completed"


class LoggerContract(_Contract):
    """A logger receives the run's params, its metrics and the final status.

    Implement ``check_logged(run_dir, logged)``: assert that what your logger
    recorded (a file, a server, the job's stdout in ``logs/``) matches ``logged``.
    """

    kind = "logger"

    def cli_env(self) -> dict[str, str]:
        return _with_probe(dict(self.env))

    def select(self) -> list[str]:
        return ["+estimator=probe", f"+logger={self.name}"]

    def composed_marker(self) -> str:
        return f"\n  {self.name}:"

    def check_logged(self, run_dir: Path, logged: Logged) -> None:
        raise NotImplementedError(f"{type(self).__name__} must implement check_logged")

    def _run_and_check(self, home: Path, exit_code: int, status: str) -> None:
        result = self.train(home, "estimator.score=0.25", f"estimator.exit_code={exit_code}")
        assert result.returncode == (0 if exit_code == 0 else 1), result.output
        run = show_run(result.run_id, home, self.cli_env())
        assert run["status"] == status
        logged = Logged(
            params=run["params"],
            metrics={name: [p["value"] for p in points] for name, points in run["history"].items()},
            status=status,
        )
        assert logged.metrics["probe_score"] == [0.25]
        self.check_logged(Path(run["path"]), logged)

    def test_receives_params_metrics_and_finish(self, tmp_path: Path) -> None:
        self._run_and_check(tmp_path, 0, "Completed")

    def test_finish_reports_a_failed_run(self, tmp_path: Path) -> None:
        self._run_and_check(tmp_path, 3, "Failed")

"""The plugin manager: registration, attribution, duplicates and broken plugins."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from harness import Estimator, hookimpl
from harness.contract.manager import HarnessPlugins, get_plugin_manager
from harness.errors import UnknownComponentError
from harness.testing.plugin_site import discovered


class _TinyEstimator(Estimator):
    def train(self, run):
        run.log("accuracy", 1.0)


class _EstimatorPlugin:
    @hookimpl
    def harness_register_estimators(self, register):
        register("tiny", _TinyEstimator)


def test_builtins_load_through_entry_points(plugin_manager):
    infos = {info.name: info for info in plugin_manager.plugins()}
    assert {"sklearn", "local", "loggers"} <= set(infos)
    assert infos["sklearn"].components["estimator"] == ["sklearn"]
    assert infos["sklearn"].distribution == "harness-ml"
    assert infos["local"].kinds == ["compute"]


def test_registered_plugin_fixture_adds_and_removes(plugin_manager, registered_plugin):
    registered_plugin(_EstimatorPlugin(), "tiny-plugin")
    assert plugin_manager.get("estimator", "tiny") is _TinyEstimator
    assert plugin_manager.plugin_of("estimator", "tiny") == "tiny-plugin"


def test_fixture_cleanup_leaves_no_trace(plugin_manager):
    # Runs after the test above: the fixture must have unregistered the plugin.
    assert "tiny" not in plugin_manager.names("estimator")


def test_unknown_component_lists_available(plugin_manager):
    with pytest.raises(UnknownComponentError) as info:
        plugin_manager.get("estimator", "nope")
    assert "unknown estimator 'nope'" in str(info.value)
    assert "sklearn" in str(info.value)


def test_duplicate_name_names_both_plugins_and_keeps_the_rest(capsys):
    manager = HarnessPlugins()
    manager.register_plugin(_EstimatorPlugin(), "first")
    manager.register_plugin(_EstimatorPlugin(), "second")
    assert manager.get("estimator", "tiny") is _TinyEstimator
    problems = " ".join(manager.problems)
    assert "'first'" in problems and "'second'" in problems
    assert "harness: warning" in capsys.readouterr().err


def test_wrong_hook_argument_name_is_rejected_with_plugin_name():
    class Broken:
        @hookimpl
        def harness_register_estimators(self, registr):  # typo: pluggy validates names
            pass

    manager = HarnessPlugins()
    assert (
        manager.register_plugin(Broken(), "broken", distribution="broken-dist", version="1")
        is False
    )
    assert "broken" in manager.problems[0] and "broken-dist" in manager.problems[0]
    manager.register_plugin(_EstimatorPlugin(), "good")
    assert manager.names("estimator") == ["tiny"]


def test_plugin_raising_in_register_is_reported_and_others_work():
    class Raises:
        @hookimpl
        def harness_register_estimators(self, register):
            raise RuntimeError("boom")

    manager = HarnessPlugins()
    manager.register_plugin(Raises(), "raises")
    manager.register_plugin(_EstimatorPlugin(), "good")
    assert manager.names("estimator") == ["tiny"]
    assert any("raises" in p and "boom" in p for p in manager.problems)


def test_entry_point_import_failure_is_a_warning(monkeypatch, tmp_path):
    (tmp_path / "ghost_plugin.py").write_text("import ghost_lib_that_is_not_installed\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    ghost = SimpleNamespace(
        name="ghost",
        value="ghost_plugin",
        dist=SimpleNamespace(name="ghost-dist", version="0.1", requires=None),
    )
    discovered(monkeypatch, [ghost])
    manager = HarnessPlugins()
    manager.load_entry_points()
    assert manager.problems == [
        "plugin 'ghost' (ghost-dist 0.1) failed to load: it needs the module "
        "'ghost_lib_that_is_not_installed', which is not installed. Install the plugin's "
        "optional dependencies (see its README), or disable it with HARNESS_DISABLE_PLUGINS=ghost"
    ]


def test_disable_env_skips_entry_points(monkeypatch):
    monkeypatch.setenv("HARNESS_DISABLE_PLUGINS", "loggers, local")
    manager = HarnessPlugins()
    manager.load_entry_points()
    assert manager.infos["loggers"].status == manager.infos["local"].status == "disabled"
    assert manager.get_plugin("loggers") is None and manager.get_plugin("local") is None
    assert "HARNESS_DISABLE_PLUGINS" in manager.infos["local"].disabled_by
    assert manager.infos["sklearn"].status == "loaded"
    assert "console" not in manager.names("logger")


def test_get_plugin_manager_is_built_once():
    assert get_plugin_manager() is get_plugin_manager()


def test_loading_every_built_in_plugin_imports_no_framework_or_heavy_library():
    """Every command loads all plugins: a plugin that imports numpy, a framework or a
    service client at load time makes every `harness ...` call pay for it (chainer's
    estimator module once cost 75 ms of numpy this way)."""
    import subprocess
    import sys

    code = (
        "import sys\n"
        "from harness.contract.manager import get_plugin_manager\n"
        "m = get_plugin_manager()\n"
        "assert {'sklearn', 'pytorch', 'chainer', 'script', 'mpi', 'datastores'} <= set(m.infos)\n"
        "for name in ('sklearn', 'pytorch', 'chainer', 'script'):\n"
        "    m.get('estimator', name)\n"
        "m.get('compute', 'mpi')\n"
        "heavy = {'numpy', 'torch', 'chainer', 'sklearn', 'mlflow', 'tensorboard', 'optuna',\n"
        "         'mpi4py', 'fsspec', 'scipy', 'hydra'}\n"
        "print(sorted(heavy & {name.split('.')[0] for name in sys.modules}))\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "[]"

"""A plugin platform third parties cannot break (issue 14, section 4): what a
third-party author gets wrong is named, with the plugin, its distribution and the
fix; built-ins cannot be shadowed; a run records which plugins supplied it.

The plugins are real entry points (a package plus a ``*.dist-info`` on PYTHONPATH)."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap

import pytest

from harness.testing import run_cli
from harness.testing.plugin_site import write_plugin_site

ESTIMATOR = """
from harness import Estimator, hookimpl

class {cls}(Estimator):
    def train(self, run):
        run.log("accuracy", 0.5)
"""


def plain_estimator_plugin(cls: str, name: str, searchpath: str = "", extra: str = "") -> str:
    """An estimator plugin that registers ``name``; its config search path is its
    package's conf/ unless ``searchpath`` (a Python expression) says otherwise."""
    searchpath = searchpath or f'["pkg://harness_{name}.conf"]'
    hooks = f"""
from pathlib import Path

@hookimpl
def harness_register_estimators(register):
    register("{name}", {cls})

@hookimpl
def harness_config_searchpath():
    return {searchpath}
"""
    return ESTIMATOR.format(cls=cls) + hooks + extra


TYPO = plain_estimator_plugin(
    "Typo",
    "typo",
    extra="""
@hookimpl
def harness_register_estimator(register):   # misspelled: never called
    register("typo2", Typo)

def harness_before_run(record):             # no @hookimpl: never called
    raise RuntimeError("must not run")
""",
)
NOYAML = plain_estimator_plugin("NoYaml", "noyaml")
NOHEAD = plain_estimator_plugin("NoHead", "nohead")

FAILING = """
from harness import Logger, hookimpl

class BadLogger(Logger):
    def log_metrics(self, events):
        raise RuntimeError("the server is gone")

@hookimpl
def harness_register_loggers(register):
    register("badlog", BadLogger)

@hookimpl
def harness_config_searchpath():
    return ["pkg://harness_failing.conf"]

@hookimpl
def harness_after_run(record, status):
    raise RuntimeError("after-run exploded")
"""

FILECONF = plain_estimator_plugin(
    "FileConf", "filecfg", searchpath='[(Path(__file__).parent / "myconf").as_uri()]'
)


GLOBAL_YAML = "# @package _global_\nestimator:\n  name: {name}\n"

#: A datastore that refuses to work without its `endpoint` option (as an S3 store
#: pointed at a local test server must never fall back to the real service).
OPTSTORE = """
from harness.contract import DatastoreError, hookimpl
from harness.plugins.datastores.local import LocalDatastore

class OptStore(LocalDatastore):
    def __init__(self, name, url, options=None):
        if (options or {}).get("endpoint") != "http://127.0.0.1:9":
            raise DatastoreError(f"datastore '{name}': no endpoint option, refusing the real one")
        super().__init__(name, url.split("://", 1)[-1], options)

@hookimpl
def harness_register_datastores(register):
    register("optstore", OptStore)
"""


@pytest.fixture(scope="module")
def env(tmp_path_factory):
    site = tmp_path_factory.mktemp("site")
    write_plugin_site(
        site,
        "harness_typo",
        TYPO,
        {"estimator/typo.yaml": GLOBAL_YAML.format(name="typo")},
        name="typo",
    )
    write_plugin_site(site, "harness_noyaml", NOYAML, {}, name="noyaml")
    write_plugin_site(
        site,
        "harness_nohead",
        NOHEAD,
        {"estimator/nohead.yaml": "estimator:\n  name: nohead\n"},
        name="nohead",
    )
    write_plugin_site(
        site, "harness_failing", FAILING, {"logger/badlog.yaml": "badlog: {}\n"}, name="failing"
    )
    write_plugin_site(site, "harness_fileconf", FILECONF, {}, name="fileconf")
    write_plugin_site(site, "harness_optstore", OPTSTORE, {}, name="optstore")
    conf = site / "harness_fileconf" / "myconf" / "estimator"
    conf.mkdir(parents=True)
    (conf / "filecfg.yaml").write_text(GLOBAL_YAML.format(name="filecfg"))
    path = os.pathsep.join(filter(None, [str(site), os.environ.get("PYTHONPATH")]))
    return {"PYTHONPATH": path}


def warnings_of(result) -> list[str]:
    return [ln for ln in result.stderr.splitlines() if ln.startswith("harness: warning:")]


# -- built-ins cannot be shadowed; the scaffold refuses taken names -------------


def test_builtins_live_inside_the_harness_package():
    import harness.plugins.sklearn as builtin

    assert builtin.__name__ == "harness.plugins.sklearn"
    from importlib import metadata

    eps = {ep.name: ep.value for ep in metadata.entry_points(group="harness")}
    assert eps["sklearn"] == "harness.plugins.sklearn" and eps["mpi"] == "harness.plugins.mpi"


@pytest.mark.parametrize(
    ("name", "kind", "taken"),
    [
        (
            "sklearn",
            "estimator",
            "the plugin name 'sklearn' is taken by an installed plugin (harness-ml",
        ),
        (
            "console",
            "logger",
            "logger 'console' is already registered by plugin 'loggers' (harness-ml",
        ),
        ("typo", "compute", "the import name 'harness_typo' is an installed module"),
    ],
)
def test_scaffold_refuses_a_taken_name(tmp_path, env, name, kind, taken):
    result = run_cli(
        "plugins", "new", name, "--kind", kind, "--dir", str(tmp_path), home=tmp_path, env=env
    )
    assert result.returncode == 2, result.output
    assert f"harness: error: cannot scaffold '{name}': {taken}" in result.stderr, result.stderr
    assert not any(tmp_path.glob("harness-*")), "nothing may be written"


# -- hooks the harness would never call ---------------------------------------


def test_misspelled_hook_and_missing_hookimpl_warn_with_the_fix(tmp_path, env):
    result = run_cli("plugins", "show", "typo", "--format", "json", home=tmp_path, env=env)
    assert result.returncode == 0, result.output
    where = "plugin 'typo' (harness-typo 0.1)"
    lines = warnings_of(result)
    assert (
        f"harness: warning: {where}: harness_register_estimator is not a harness hook; "
        "did you mean harness_register_estimators?"
    ) in lines, result.stderr
    assert any(
        ln.startswith(f"harness: warning: {where}: harness_before_run is not marked @hookimpl")
        for ln in lines
    ), result.stderr
    shown = result.json()
    assert "harness_register_estimator" not in shown["hooks"]
    assert "harness_register_estimators" in shown["hooks"]
    assert len(shown["warnings"]) == 2


# -- config files that are missing or lack their header ------------------------


def test_missing_yaml_says_which_file_was_expected_where(tmp_path, env):
    result = run_cli("train", "+estimator=noyaml", "--cfg", "job", home=tmp_path, env=env)
    assert result.returncode == 2, result.output
    assert (
        "harness: error: estimator 'noyaml' is not available: estimator 'noyaml' is registered "
        "by plugin 'noyaml' (harness-noyaml 0.1), but no config file estimator/noyaml.yaml was "
        "found on its config search path (pkg://harness_noyaml.conf)"
    ) in result.stderr, result.stderr


def test_missing_package_header_is_explained(tmp_path, env):
    result = run_cli("train", "+estimator=nohead", home=tmp_path, env=env)
    assert result.returncode == 2, result.output
    assert (
        "the config file estimator/nohead.yaml put its keys under estimator.estimator: "
        "give it the first line '# @package _global_'"
    ) in result.stderr, result.stderr
    assert not (tmp_path / "runs").exists() or not any((tmp_path / "runs").iterdir())


# -- disabled plugins, components by name, file:// search paths ----------------


def test_a_disabled_plugin_is_named_as_disabled(tmp_path, env):
    disabled = {**env, "HARNESS_DISABLE_PLUGINS": "typo"}
    result = run_cli("train", "+estimator=typo", "--cfg", "job", home=tmp_path, env=disabled)
    assert result.returncode == 2, result.output
    assert (
        "harness: error: estimator 'typo' is not available: plugin 'typo' provides estimator "
        "'typo' but is disabled by HARNESS_DISABLE_PLUGINS; remove 'typo' from that list"
    ) in result.stderr, result.stderr


def test_plugins_installed_or_removed_between_commands_are_seen(tmp_path):
    """The plugin index remembers the entry points between commands; a plugin
    installed after one command is in the next, and one removed is gone."""
    site = tmp_path / "site"
    site.mkdir()
    path = os.pathsep.join(filter(None, [str(site), os.environ.get("PYTHONPATH")]))
    cache = tmp_path / "cache"
    env = {"PYTHONPATH": path, "HARNESS_CACHE_DIR": str(cache)}

    def listed() -> set[str]:
        result = run_cli("plugins", "list", "--format", "json", home=tmp_path, env=env)
        assert result.returncode == 0, result.output
        return {plugin["name"] for plugin in result.json()}

    assert "late" not in listed()
    assert len(list(cache.glob("plugins-*.json"))) == 1  # the index was written
    write_plugin_site(site, "harness_late", plain_estimator_plugin("Late", "late"), {}, name="late")
    assert "late" in listed()
    assert "late" in listed()  # and again, from the index
    (site / "harness_late-0.1.dist-info" / "entry_points.txt").unlink()
    (site / "harness_late-0.1.dist-info" / "METADATA").unlink()
    (site / "harness_late-0.1.dist-info").rmdir()
    assert "late" not in listed()


def test_plugins_show_accepts_a_component_name(tmp_path, env):
    result = run_cli("plugins", "show", "badlog", "--format", "json", home=tmp_path, env=env)
    assert result.returncode == 0, result.output
    assert result.json()["name"] == "failing"
    assert result.json()["components"] == {"logger": ["badlog"]}


def test_a_file_uri_search_path_works_for_train(tmp_path, env):
    result = run_cli("train", "+estimator=filecfg", "--cfg", "job", home=tmp_path, env=env)
    assert result.returncode == 0, result.output
    assert "name: filecfg" in result.stdout


# -- failures name the plugin and its distribution; provenance names them all --


def test_failing_hook_and_logger_name_plugin_and_distribution(tmp_path, env):
    result = run_cli("train", "+estimator=typo", "+logger=badlog", home=tmp_path, env=env)
    assert result.returncode == 0, result.output
    lines = warnings_of(result)
    where = "plugin 'failing' (harness-failing 0.1)"
    assert (
        f"harness: warning: {where} failed in harness_after_run: RuntimeError: after-run exploded"
        "; it is disabled for this command"
    ) in lines, result.stderr
    assert any(
        ln.startswith(
            f"harness: warning: logger 'badlog' failed in log_metrics and is switched off ({where})"
        )
        and "RuntimeError: the server is gone" in ln
        for ln in lines
    ), result.stderr
    run = run_cli("runs", "show", result.run_id, "--format", "json", home=tmp_path, env=env).json()
    plugins = run["provenance"]["plugins"]
    assert plugins["estimator"] == {
        "plugin": "typo",
        "distribution": "harness-typo",
        "version": "0.1",
    }
    assert (
        plugins["compute"]["plugin"] == "local"
        and plugins["compute"]["distribution"] == "harness-ml"
    )
    assert plugins["loggers"]["badlog"]["distribution"] == "harness-failing"
    assert plugins["loggers"]["console"]["plugin"] == "loggers"


# -- the contract kit checks what it claims ------------------------------------

CONTRACT_TESTS = """
from harness.testing.contracts import EstimatorContract

QUIET = {"HARNESS_DISABLE_PLUGINS": "typo"}   # its warnings are for TestWarns

class TestSomeoneElsesSklearn(EstimatorContract):
    name = "sklearn"
    plugin = "mine"          # the plugin under test does not own 'sklearn'
    env = QUIET

class TestNotRegistered(EstimatorContract):
    name = "nosuch"
    invalid_overrides = ("estimator.C=-1",)   # exits 2 only because nosuch is unknown
    env = QUIET

class TestWarns(EstimatorContract):
    name = "typo"            # its plugin has a misspelled hook: the harness warns
"""


def test_contract_kit_checks_origin_presence_and_warnings(tmp_path, env):
    (tmp_path / "test_kit.py").write_text(textwrap.dedent(CONTRACT_TESTS))
    proc = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-rf", str(tmp_path / "test_kit.py"),
         "-k", "is_registered or invalid_config"],
        capture_output=True, text=True, env={**os.environ, **env}, cwd=tmp_path, timeout=600,
    )  # fmt: skip
    out = proc.stdout
    assert "FAILED" in out and proc.returncode == 1, out
    assert "comes from plugin 'sklearn', not from the plugin under test 'mine'" in out, out
    assert "TestNotRegistered::test_invalid_config_is_a_clear_error" in out, out
    assert "estimator 'nosuch' is registered by no plugin" in out, out
    assert "TestWarns::test_is_registered_by_a_loaded_plugin" in out, out
    assert (
        "the harness warned" in out and "harness_register_estimator is not a harness hook" in out
    ), out
    assert "4 failed" in out, out


NEIGHBOUR_TESTS = """
from harness.testing.contracts import EstimatorContract
from harness.testing.datastore_contract import DatastoreContract

class TestHealthyNextToANoisyNeighbour(EstimatorContract):
    name = "sklearn"
    plugin = "sklearn"   # the typo plugin warns at every command: not sklearn's fault

class TestOptionsReachTheCli(DatastoreContract):
    type_name = "optstore"
    options = {"endpoint": "http://127.0.0.1:9"}

    def make_url(self, tmp_path):
        return f"optstore://{tmp_path / 'store'}"
"""


def test_contract_kit_ignores_other_plugins_warnings_and_keeps_datastore_options(tmp_path, env):
    (tmp_path / "test_kit.py").write_text(textwrap.dedent(NEIGHBOUR_TESTS))
    noisy = run_cli("plugins", "list", home=tmp_path, env=env)
    assert "plugin 'typo' (harness-typo 0.1): harness_register_estimator" in noisy.stderr
    proc = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-rA", str(tmp_path / "test_kit.py"),
         "-k", "is_registered or round_trip_through_the_cli"],
        capture_output=True, text=True, env={**os.environ, **env}, cwd=tmp_path, timeout=600,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stdout[-4000:]
    assert "PASSED test_kit.py::TestHealthyNextToANoisyNeighbour::test_is_registered" in proc.stdout
    assert "PASSED test_kit.py::TestOptionsReachTheCli::test_round_trip_through_the_cli" in (
        proc.stdout
    )


# -- typed config options (harness_config_schemas) -------------------------------


def test_a_typed_option_rejects_a_wrong_type_while_composing(tmp_path):
    result = run_cli("train", "compute.timeout=abc", home=tmp_path)
    assert result.returncode == 2, result.output
    assert "compute.timeout" in result.stderr and "could not be converted to Float" in result.stderr
    assert not (tmp_path / "runs").exists() or not any((tmp_path / "runs").iterdir())
    shown = run_cli("train", "compute=local", "--cfg", "job", home=tmp_path)
    assert shown.returncode == 0 and "compute:\n  name: local\n  timeout: null\n" in shown.stdout


def test_train_help_lists_each_components_options_with_types_and_defaults(tmp_path):
    result = run_cli("train", "--help", home=tmp_path)
    assert result.returncode == 0, result.output
    options = result.stdout.split("== Options of each component ==", 1)[1]
    assert "compute=local  (typed, plugin 'local')\n  compute.name: str = local\n" in options
    # Each option's description, from its dataclass field's `#:` comment.
    assert (
        "  compute.timeout: float or null = None\n"
        "      Seconds before the job is stopped and marked Failed; None: no limit.\n"
    ) in options
    assert "estimator=sklearn  (typed, plugin 'sklearn')" in options
    assert "  estimator.C: float = 1.0\n" in options
    assert "estimator=pytorch  (typed, plugin 'pytorch')" in options
    assert "  estimator.optimizer: sgd|adam|adamw = " in options  # an Enum: its choices
    assert "  lr: float = " in options

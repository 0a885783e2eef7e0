"""Pieces of the plugin-author support: extra plugins by env, failures, clashes, scaffold."""

from __future__ import annotations

import pytest

from harness import hookimpl
from harness.contract.manager import HarnessPlugins, describe_failure, searchpath_options
from harness.errors import ConfigError
from harness.scaffold import names_for, write_plugin


def test_harness_plugins_env_loads_modules_by_name(monkeypatch):
    monkeypatch.setenv("HARNESS_PLUGINS", "harness.testing.probe, no_such_plugin_module")
    monkeypatch.setenv("HARNESS_QUIET_PLUGINS", "1")
    manager = HarnessPlugins()
    manager.load_entry_points()
    assert manager.plugin_of("estimator", "probe") == "harness.testing.probe"
    assert manager.failed["no_such_plugin_module"].error.startswith("ModuleNotFoundError")
    assert manager.infos["harness.testing.probe"].distribution is None


def test_missing_dependency_is_told_apart_from_a_broken_module():
    missing = ModuleNotFoundError("No module named 'xgboost'", name="xgboost")
    assert "needs the module 'xgboost'" in describe_failure(missing, "xgb", "harness_xgb")
    assert "HARNESS_DISABLE_PLUGINS=xgb" in describe_failure(missing, "xgb", "harness_xgb")
    own = ModuleNotFoundError("No module named 'harness_xgb.est'", name="harness_xgb.est")
    assert describe_failure(own, "xgb", "harness_xgb").startswith("ModuleNotFoundError")
    assert describe_failure(RuntimeError("boom"), "x", "m") == "RuntimeError: boom"


def _conf_plugin(root):
    class Plugin:
        @hookimpl
        def harness_config_searchpath(self):
            return [f"file://{root}"]

    return Plugin()


def test_config_option_clash_is_reported_once_with_both_names(tmp_path):
    for name in ("a", "b"):
        (tmp_path / name / "estimator").mkdir(parents=True)
        (tmp_path / name / "estimator" / "same.yaml").write_text("x: 1\n")
        (tmp_path / name / "estimator" / f"only_{name}.yaml").write_text("x: 1\n")
    manager = HarnessPlugins()
    manager.register_plugin(_conf_plugin(tmp_path / "a"), "first")
    manager.register_plugin(_conf_plugin(tmp_path / "b"), "second")
    entries = manager.config_searchpath()
    manager.config_searchpath()  # called again (Hydra's search-path plugin): no repeat
    clashes = [p for p in manager.problems if "clashes" in p]
    assert len(clashes) == 1
    # Hydra composes the file of the entry that comes first on the search path.
    used = "first" if entries[0].endswith("/a") else "second"
    other = "second" if used == "first" else "first"
    assert (
        f"'estimator/same' of plugin '{other}' clashes with the one of plugin '{used}'; "
        f"`estimator=same` composes plugin '{used}'s file" in clashes[0]
    )
    assert manager.infos[other].warnings == clashes
    assert manager.infos["first"].config_groups == {"estimator": ["only_a", "same"]}
    assert manager.infos["second"].config_groups == {"estimator": ["only_b", "same"]}


def test_searchpath_options_reads_pkg_and_file_entries(tmp_path):
    # (the built-ins ship typed options, not YAML: the testing package's probe is a pkg:// entry)
    assert searchpath_options("pkg://harness.testing.conf") == {"estimator": ["probe"]}
    assert searchpath_options("pkg://no_such_package.conf") == {}
    assert searchpath_options(f"file://{tmp_path}/missing") == {}


def test_plugin_info_json_has_the_documented_keys(plugin_manager):
    info = next(i for i in plugin_manager.plugins() if i.name == "sklearn").to_json()
    assert set(info) == {
        "name", "module", "distribution", "version", "kinds", "components",
        "config_searchpath", "config_groups", "hooks", "status", "error", "warnings",
        "disabled_by", "import_ms", "hooks_ms",
    }  # fmt: skip
    assert info["status"] == "loaded" and info["import_ms"] >= 0
    assert info["config_groups"] == {"estimator": ["sklearn"]}


def test_scaffold_names():
    names = names_for("s3-store", "logger")
    assert (names["dist"], names["package"], names["cls"]) == (
        "harness-s3-store", "harness_s3_store", "S3StoreLogger",
    )  # fmt: skip
    with pytest.raises(ConfigError, match="lowercase"):
        names_for("S3", "logger")
    with pytest.raises(ConfigError, match="unknown plugin kind"):
        names_for("ok", "trainer")
    assert names_for("lake", "datastore")["cls"] == "LakeDatastore"


def test_scaffold_files_are_valid_python_and_yaml(tmp_path):
    import ast

    from omegaconf import OmegaConf

    for kind in ("estimator", "compute", "logger", "datastore"):
        root, files = write_plugin(f"my-{kind}", kind, tmp_path)
        for path in files:
            if path.suffix == ".py":
                ast.parse(path.read_text(), str(path))
            elif path.suffix == ".yaml":
                OmegaConf.load(path)
        assert "$" not in (root / "pyproject.toml").read_text()


def test_option_descriptions_come_from_the_dataclass_and_the_yaml_comments():
    import dataclasses

    from harness.cli.config_help import field_docs, yaml_comments

    @dataclasses.dataclass
    class Options:
        #: Rounds of boosting;
        #: more is slower.
        n_rounds: int = 10
        depth: int = 3
        """Tree depth."""
        seed: int = dataclasses.field(default=0, metadata={"doc": "Random seed."})
        plain: int = 1

    assert field_docs(Options) == {
        "n_rounds": "Rounds of boosting; more is slower.",
        "depth": "Tree depth.",
        "seed": "Random seed.",
    }
    text = "# @package _global_\nestimator:\n  name: x\n  # Regularisation\n  # strength.\n  alpha: 1.0\n  beta: 2\n"
    assert yaml_comments(text) == {"estimator.alpha": "Regularisation strength."}


PUBLIC = ("harness.contract", "harness.testing")


def _harness_imports(path):
    import ast

    found = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.ImportFrom) and node.module:
            found.add(node.module)
        elif isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
    return {name for name in found if name == "harness" or name.startswith("harness.")}


def test_the_scaffold_and_the_example_plugin_import_only_the_public_surface(tmp_path):
    from pathlib import Path

    files = []
    for kind in ("estimator", "compute", "logger", "datastore"):
        files += [f for f in write_plugin(f"my-{kind}", kind, tmp_path)[1] if f.suffix == ".py"]
    example = Path(__file__).resolve().parents[2] / "examples" / "harness-example-plugin"
    files += sorted(example.rglob("*.py"))
    outside = {
        str(path): sorted(name for name in _harness_imports(path) if not name.startswith(PUBLIC))
        for path in files
    }
    assert {path: names for path, names in outside.items() if names} == {}
    # and what they import from harness.contract is there
    import harness.contract

    for path in files:
        import ast

        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom) and node.module == "harness.contract":
                for alias in node.names:
                    assert hasattr(harness.contract, alias.name), (path, alias.name)

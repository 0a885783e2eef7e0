"""The plugin manager as pluggy's PluginManager: hooks through ``pm.hook``, one
guard per implementation, checked registrations, a defined load order."""

from __future__ import annotations

import dataclasses
from types import SimpleNamespace

import pluggy
import pytest

from harness.contract import Compute, Datastore, Estimator, hookimpl
from harness.contract.loading import Candidate, incompatibility, skip_reason
from harness.contract.manager import HarnessPluginManager
from harness.errors import PluginError, UnknownComponentError
from harness.testing.plugin_site import discovered


class _Tiny(Estimator):
    def train(self, run):
        run.log("accuracy", 1.0)


class _Nice(Compute):
    pass


def _record(estimator: str = "sklearn", compute: str = "local") -> SimpleNamespace:
    return SimpleNamespace(id="r1", estimator=estimator, compute=compute, params={})


class _Calls:
    """Plugins that note their calls in a shared list."""

    def __init__(self, seen: list[str], label: str, fail: bool = False) -> None:
        self.seen, self.label, self.fail = seen, label, fail

    @hookimpl
    def harness_after_run(self, record, status):
        self.seen.append(self.label)
        if self.fail:
            raise RuntimeError(f"{self.label} exploded")


def _manager(*plugins: tuple[object, str]) -> HarnessPluginManager:
    manager = HarnessPluginManager()
    for plugin, name in plugins:
        assert manager.register_plugin(plugin, name, distribution=f"dist-{name}", version="1.2")
    return manager


def test_the_manager_is_a_pluggy_plugin_manager():
    assert issubclass(HarnessPluginManager, pluggy.PluginManager)


def test_a_failing_hook_disables_its_plugin_and_the_others_still_run(capsys):
    seen: list[str] = []
    manager = _manager((_Calls(seen, "good"), "good"), (_Calls(seen, "bad", fail=True), "bad"))
    manager.after_run(_record(), "Completed")
    assert sorted(seen) == ["bad", "good"]
    err = capsys.readouterr().err
    assert (
        "harness: warning: plugin 'bad' (dist-bad 1.2) failed in harness_after_run: "
        "RuntimeError: bad exploded; it is disabled for this command"
    ) in err
    # pluggy's own mechanism: the plugin is unregistered and its name blocked.
    assert manager.is_blocked("bad") and manager.get_plugin("bad") is None
    assert manager.infos["bad"].status == "failed"
    seen.clear()
    manager.after_run(_record(), "Completed")
    assert seen == ["good"]


class _Wrapper:
    def __init__(self, seen: list[str], fail: str = "") -> None:
        self.seen, self.fail = seen, fail

    @hookimpl(wrapper=True)
    def harness_config_searchpath(self):
        self.seen.append("before")
        if self.fail == "before":
            raise RuntimeError("before")
        entries = yield
        self.seen.append(f"after {entries}")
        if self.fail == "after":
            raise RuntimeError("after")
        return [*entries, ["file:///added/by/wrapper"]]


class _Entries:
    @hookimpl
    def harness_config_searchpath(self):
        return ["file:///from/plain"]


def test_a_wrapper_implementation_runs_around_the_others():
    seen: list[str] = []
    manager = _manager((_Entries(), "plain"), (_Wrapper(seen), "wrapper"))
    entries = manager.config_searchpath()
    assert seen == ["before", "after [['file:///from/plain']]"]
    assert entries == ["file:///from/plain", "file:///added/by/wrapper"]


@pytest.mark.parametrize("where", ["before", "after"])
def test_a_failing_wrapper_is_disabled_and_the_call_keeps_its_answer(where, capsys):
    manager = _manager((_Entries(), "plain"), (_Wrapper([], fail=where), "wrapper"))
    assert manager.config_searchpath() == ["file:///from/plain"]
    assert "plugin 'wrapper' (dist-wrapper 1.2) failed in harness_config_searchpath: " in (
        capsys.readouterr().err
    )
    assert manager.is_blocked("wrapper")


class _OldStyle:
    def __init__(self, seen: list[str]) -> None:
        self.seen = seen

    @hookimpl(hookwrapper=True)
    def harness_after_run(self, record, status):
        self.seen.append("old before")
        outcome = yield
        self.seen.append(f"old after {outcome.get_result()}")
        raise RuntimeError("teardown broke")


def test_an_old_style_hookwrapper_is_guarded_too(capsys):
    seen: list[str] = []
    manager = _manager((_Calls(seen, "inner"), "inner"), (_OldStyle(seen), "old"))
    manager.after_run(_record(), "Completed")
    assert seen == ["old before", "inner", "old after []"]
    assert "plugin 'old' (dist-old 1.2) failed in harness_after_run: RuntimeError: teardown" in (
        capsys.readouterr().err
    )


def test_set_blocked_and_call_monitoring_work_because_hooks_go_through_pluggy():
    seen: list[str] = []
    manager = _manager((_Calls(seen, "a"), "a"), (_Calls(seen, "b"), "b"))
    monitored: list[tuple[str, list[str]]] = []
    manager.add_hookcall_monitoring(
        lambda hook, impls, kwargs: monitored.append((hook, [i.plugin_name for i in impls])),
        lambda outcome, hook, impls, kwargs: None,
    )
    manager.set_blocked("b")
    manager.after_run(_record(), "Completed")
    assert seen == ["a"]
    assert monitored == [("harness_after_run", ["a"])]


def test_tracing_prints_each_call_its_plugins_arguments_and_durations(monkeypatch, capsys):
    monkeypatch.setenv("HARNESS_TRACE_PLUGINS", "1")
    manager = _manager((_Calls([], "a"), "a"))
    manager.after_run(_record(), "Completed")
    lines = [ln for ln in capsys.readouterr().err.splitlines() if "trace" in ln]
    assert lines[0] == (
        "harness: trace: harness_after_run(record=<SimpleNamespace r1>, status='Completed') → a"
    )
    assert lines[1].startswith("harness: trace:   harness_after_run: plugin 'a' (dist-a 1.2) took ")
    assert lines[1].endswith(" ms") and lines[2].startswith(
        "harness: trace: harness_after_run done"
    )


# -- registrations are checked where they happen -------------------------------------


class _Registers:
    def __init__(self, *pairs: tuple[object, object], kind: str = "estimators") -> None:
        self.pairs, self.kind = pairs, kind

    @hookimpl
    def harness_register_estimators(self, register):
        if self.kind == "estimators":
            for name, obj in self.pairs:
                register(name, obj)

    @hookimpl
    def harness_register_computes(self, register):
        if self.kind == "computes":
            for name, obj in self.pairs:
                register(name, obj)


@pytest.mark.parametrize(
    ("pairs", "kind", "reason"),
    [
        ((("bad", 42),), "estimators", "registered 42 as estimator 'bad', which is not a class"),
        ((("bad", dict),), "estimators", "registered builtins.dict as estimator 'bad', which is "),
        (
            (("Bad Name!", _Tiny),),
            "estimators",
            "registered the estimator name 'Bad Name!': a name",
        ),
        (
            (("bad", _Tiny),),
            "computes",
            "registered test_plugin_manager._Tiny as compute 'bad', which is not a Compute; it is an "
            "estimator: register it in harness_register_estimators",
        ),
        ((("bad", _Tiny), ("bad", _Tiny)), "estimators", "registered estimator 'bad' twice"),
    ],
)
def test_a_bad_registration_disables_the_plugin_and_choosing_it_says_why(
    pairs, kind, reason, capsys
):
    manager = _manager((_Registers(*pairs, kind=kind), "bad"), (_Registers(("tiny", _Tiny)), "ok"))
    assert manager.get("estimator", "tiny") is _Tiny  # the other plugin is untouched
    _ = manager.components  # every kind (a run's start, `plugins list`)
    err = capsys.readouterr().err
    assert f"plugin 'bad' (dist-bad 1.2) failed in harness_register_{kind}: {reason}" in err
    assert manager.infos["bad"].status == "failed"
    if "Bad Name" in reason:
        return
    with pytest.raises(UnknownComponentError) as refused:
        manager.get(kind.removesuffix("s"), "bad")
    assert str(refused.value).startswith(
        f"{kind.removesuffix('s')} 'bad' is not available: plugin 'bad' (dist-bad 1.2) failed in "
    )


class _EveryKind:
    """Registers one component of each kind and notes which registration hooks ran."""

    def __init__(self) -> None:
        self.asked: list[str] = []

    @hookimpl
    def harness_register_estimators(self, register):
        self.asked.append("estimators")
        register("tiny", _Tiny)

    @hookimpl
    def harness_register_computes(self, register):
        self.asked.append("computes")
        raise RuntimeError("the compute module failed to import")

    @hookimpl
    def harness_register_datastores(self, register):
        self.asked.append("datastores")
        register("mem", _Store)

    @hookimpl
    def harness_register_loggers(self, register):
        self.asked.append("loggers")


class _Store(Datastore):
    pass


def test_a_command_collects_only_the_kinds_it_uses(capsys):
    """A datastore command asks the datastore registrations only: the other kinds'
    component modules are never imported (start-up), and a failure there is not
    this command's."""
    plugin = _EveryKind()
    manager = _manager((plugin, "every"))
    assert manager.get("datastore", "mem") is _Store
    assert manager.get("datastore", "mem") is _Store
    assert plugin.asked == ["datastores"]  # once, and no other kind
    assert capsys.readouterr().err == ""
    # Every kind (a run's start, `plugins list`): the compute failure disables the
    # whole plugin, the datastore it registered earlier included.
    assert set(manager.components) == {"estimator", "compute", "datastore", "logger"}
    assert sorted(plugin.asked) == ["computes", "datastores", "estimators"]
    assert "plugin 'every' (dist-every 1.2) failed in harness_register_computes" in (
        capsys.readouterr().err
    )
    with pytest.raises(UnknownComponentError, match="failed in harness_register_computes"):
        manager.get("datastore", "mem")


@dataclasses.dataclass
class _WrongDefault:
    name: str = "lgb"
    n_rounds: int = "ten"  # type: ignore[assignment]


class _Schemas:
    def __init__(self, *items: tuple[str, str, object]) -> None:
        self.items = items

    @hookimpl
    def harness_config_schemas(self, register):
        for item in self.items:
            register(*item)


@dataclasses.dataclass
class _Good:
    name: str = "nice"
    level: int = 3


@pytest.mark.parametrize(
    ("item", "reason"),
    [
        (("compute", "lgb", _WrongDefault), "the config of compute=lgb is invalid: Value 'ten'"),
        (("compute", "lgb", {"n": 1}), "registered {'n': 1} as the config of compute=lgb, which"),
        (("trainer", "lgb", _Good), "registered a config schema for the group 'trainer'"),
    ],
)
def test_a_bad_config_schema_disables_only_its_plugin(item, reason, capsys):
    manager = _manager((_Schemas(item), "bad"), (_Schemas(("compute", "nice", _Good)), "good"))
    schemas = manager.config_schemas()
    assert [(group, name, plugin) for group, name, _, plugin in schemas] == [
        ("compute", "nice", "good")
    ]
    assert f"plugin 'bad' (dist-bad 1.2) failed in harness_config_schemas: {reason}" in (
        capsys.readouterr().err
    )


def test_the_first_loaded_plugin_wins_a_name_whatever_the_call_order():
    class Other(_Tiny):
        pass

    manager = _manager((_Registers(("tiny", _Tiny)), "first"), (_Registers(("tiny", Other)), "2nd"))
    # pluggy calls the most recently registered plugin first; the load order decides.
    assert manager.get("estimator", "tiny") is _Tiny
    assert manager.plugin_of("estimator", "tiny") == "first"
    assert any("the first is used" in p and "'2nd'" in p for p in manager.problems)


def test_a_run_whose_component_comes_from_a_plugin_failing_before_it_is_refused():
    class Broken(_Registers):
        @hookimpl
        def harness_before_run(self, record):
            raise RuntimeError("no licence")

    manager = _manager((Broken(("tiny", _Tiny)), "lic"))
    manager.before_run(_record(estimator="sklearn"))  # not this run's component: a warning
    manager = _manager((Broken(("tiny", _Tiny)), "lic"))
    with pytest.raises(PluginError) as refused:
        manager.before_run(_record(estimator="tiny"))
    assert str(refused.value) == (
        "estimator 'tiny' is not available: plugin 'lic' (dist-lic 1.2) failed in "
        "harness_before_run: RuntimeError: no licence"
    )


# -- which plugins load -------------------------------------------------------------


def _candidate(requires: list[str] | None, dist: str = "harness-x") -> Candidate:
    return Candidate("x", "harness_x", lambda: None, dist, "1.0", requires)


def test_a_plugin_requiring_another_harness_version_is_refused(monkeypatch):
    monkeypatch.setattr("harness.contract.loading.harness_version", lambda: "0.1.0")
    assert incompatibility(_candidate(["harness-ml>=0.1"])) is None
    assert incompatibility(_candidate(["harness-ml; extra == 'test'", "numpy"])) is None
    assert incompatibility(_candidate(["harness_ml[ui]>=9; extra == 'x'"])) is None
    assert incompatibility(_candidate(None)) is None
    line = incompatibility(_candidate(["harness-ml<0.1,>=0.0.1"]))
    assert line is not None and line.startswith(
        "it requires harness-ml<0.1,>=0.0.1, but this is harness-ml 0.1.0: install a version of "
        "harness-x made for harness-ml 0.1.0"
    )


def test_the_allow_list_keeps_out_third_party_plugins_only(monkeypatch):
    monkeypatch.setenv("HARNESS_PLUGINS_ALLOW", "wanted")
    assert skip_reason(_candidate(None)) == (
        "is not in HARNESS_PLUGINS_ALLOW; add 'x' to that list"
    )
    assert skip_reason(_candidate(None, dist="harness-ml")) is None
    assert skip_reason(Candidate("wanted", "w", lambda: None, "harness-w", "1", None)) is None
    monkeypatch.setenv("HARNESS_PLUGINS_ALLOW", "")
    assert skip_reason(Candidate("wanted", "w", lambda: None, "harness-w", "1", None))


def test_dash_p_options_set_the_environment_the_command_and_its_jobs_read(monkeypatch):
    from harness.cli import plugin_options

    monkeypatch.setenv("HARNESS_DISABLE_PLUGINS", "a")
    monkeypatch.setenv("HARNESS_PLUGINS", "")  # (recorded, so the test leaves none behind)
    rest = plugin_options(["-p", "no:b", "-pmy.mod", "train", "-p", "x"])
    assert rest == ["train", "-p", "x"]  # after the command, -p is the command's own
    import os

    assert os.environ["HARNESS_DISABLE_PLUGINS"] == "a,b"
    assert os.environ["HARNESS_PLUGINS"] == "my.mod"


def test_plugins_load_in_a_defined_order_whatever_the_discovery_order(monkeypatch):
    """The harness's own first, then other distributions by name, then entry-point
    name, then HARNESS_PLUGINS modules as given: discovery order is the file system's."""
    from harness.contract import loading

    def ep(name: str, dist: str) -> SimpleNamespace:
        return SimpleNamespace(
            name=name, value=f"mod_{name}", load=lambda: None,
            dist=SimpleNamespace(name=dist, version="1", requires=None),
        )  # fmt: skip

    found = [ep("zeta", "harness-aaa"), ep("beta", "harness-zzz"), ep("local", "harness-ml"),
             ep("alpha", "harness-zzz"), ep("sklearn", "harness-ml")]  # fmt: skip
    discovered(monkeypatch, found)
    monkeypatch.setenv("HARNESS_PLUGINS", "my.second,my.first")
    order = [c.name for c in loading.candidates()]
    assert order == ["local", "sklearn", "zeta", "alpha", "beta", "my.second", "my.first"]
    discovered(monkeypatch, list(reversed(found)))
    assert [c.name for c in loading.candidates()] == order


def test_two_distributions_with_one_plugin_name_are_said(monkeypatch, capsys, tmp_path):
    (tmp_path / "mod_same.py").write_text("")
    monkeypatch.syspath_prepend(str(tmp_path))

    def ep(dist: str) -> SimpleNamespace:
        return SimpleNamespace(
            name="same", value="mod_same", load=lambda: SimpleNamespace(__name__="mod_same"),
            dist=SimpleNamespace(name=dist, version="1", requires=None),
        )  # fmt: skip

    copy = ep("harness-a")  # one distribution found twice on sys.path: silent
    discovered(monkeypatch, [ep("harness-a"), copy, ep("harness-b")])
    monkeypatch.delenv("HARNESS_PLUGINS", raising=False)
    manager = HarnessPluginManager()
    manager.load_entry_points()
    assert manager.problems == [
        "plugin 'same' (harness-a 1) and harness-b 1 declare the same plugin name 'same'; "
        "only the first is loaded (the first on sys.path). Uninstall one"
    ]

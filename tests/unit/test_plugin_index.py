"""The plugin index (harness.contract.plugin_index): a command reads the entry
points it remembered, and any install, uninstall or edit makes it search again.
Real ``importlib.metadata`` over a folder of distributions on ``sys.path``."""

from __future__ import annotations

import json
import os
import shutil
import sys
from importlib import metadata

import pytest

from harness import envvars
from harness.contract import loading, plugin_index
from harness.testing.plugin_site import write_plugin_site

PLUGIN = "from harness.contract import hookimpl\n"


@pytest.fixture
def site(tmp_path, monkeypatch):
    folder = tmp_path / "site"
    folder.mkdir()
    monkeypatch.syspath_prepend(str(folder))
    monkeypatch.setenv(envvars.CACHE_DIR, str(tmp_path / "cache"))
    return folder


@pytest.fixture
def searches(monkeypatch):
    """How many times importlib.metadata was asked for the entry points."""
    count = [0]
    real = metadata.entry_points

    def counted(**kwargs):
        count[0] += 1
        return real(**kwargs)

    monkeypatch.setattr(metadata, "entry_points", counted)
    return count


def names() -> list[str]:
    return [point["name"] for point in plugin_index.entry_points()]


def test_a_second_command_reads_the_index_instead_of_searching(site, searches):
    write_plugin_site(site, "harness_idx_a", PLUGIN, {}, name="idx_a")
    first = plugin_index.entry_points()
    assert searches[0] == 1
    assert plugin_index.entry_points() == first
    assert searches[0] == 1  # answered from the index
    mine = [p for p in first if p["name"] == "idx_a"]
    assert mine == [
        {
            "name": "idx_a",
            "value": "harness_idx_a",
            "distribution": "harness-idx-a",
            "version": "0.1",
            "requires": [],
        }
    ]
    assert {"sklearn", "local", "datastores"} <= set(names())  # the built-ins too


def test_installing_another_plugin_is_seen_by_the_next_command(site, searches):
    write_plugin_site(site, "harness_idx_a", PLUGIN, {}, name="idx_a")
    assert "idx_b" not in names()
    write_plugin_site(site, "harness_idx_b", PLUGIN, {}, name="idx_b")
    assert {"idx_a", "idx_b"} <= set(names())
    assert searches[0] == 2


def test_uninstalling_a_plugin_is_seen_by_the_next_command(site):
    write_plugin_site(site, "harness_idx_a", PLUGIN, {}, name="idx_a")
    assert "idx_a" in names()
    shutil.rmtree(site / "harness_idx_a-0.1.dist-info")
    assert "idx_a" not in names()


def test_an_edited_entry_point_file_is_seen_by_the_next_command(site):
    write_plugin_site(site, "harness_idx_a", PLUGIN, {}, name="idx_a")
    assert "idx_a" in names()
    points = site / "harness_idx_a-0.1.dist-info" / "entry_points.txt"
    points.write_text("[harness]\nidx_renamed = harness_idx_a\n")
    assert "idx_renamed" in names() and "idx_a" not in names()


def test_another_sys_path_is_searched_anew(site, tmp_path, monkeypatch, searches):
    names()
    other = tmp_path / "other"
    write_plugin_site(other, "harness_idx_c", PLUGIN, {}, name="idx_c")
    monkeypatch.syspath_prepend(str(other))
    assert "idx_c" in names()
    assert searches[0] == 2


def test_two_sys_paths_in_turn_each_keep_their_own_index(site, tmp_path, monkeypatch, searches):
    """A PYTHONPATH used by every other command must not overwrite the index of
    the one between: each is searched once, then read."""
    other = tmp_path / "other"
    write_plugin_site(other, "harness_idx_c", PLUGIN, {}, name="idx_c")
    plain = list(sys.path)
    with_other = [str(other), *plain]
    for path in (plain, with_other, plain, with_other, plain):
        monkeypatch.setattr("sys.path", list(path))
        assert ("idx_c" in names()) == (path is with_other)
    assert searches[0] == 2
    assert len(list((tmp_path / "cache").glob("plugins-*.json"))) == 2


def test_only_the_newest_index_files_are_kept(site, tmp_path):
    cache = tmp_path / "cache"
    cache.mkdir()
    older = [f"plugins-old{i:02d}.json" for i in range(plugin_index.KEPT + 3)]
    for i, name in enumerate(older):  # other sys.paths' index files, oldest first
        (cache / name).write_text("{}")
        os.utime(cache / name, ns=(10**18 + i, 10**18 + i))
    names()
    left = {p.name for p in cache.glob("plugins-*.json")}
    (written,) = left - set(older)
    assert json.loads((cache / written).read_text())["entry_points"]  # this sys.path's
    assert left == {written, *older[4:]}  # the four oldest removed, KEPT in all


@pytest.mark.parametrize("damage", ["{not json", '{"format": 1, "fingerprint": 3}', "[]"])
def test_a_damaged_index_is_searched_past_and_rewritten(site, damage, searches):
    write_plugin_site(site, "harness_idx_a", PLUGIN, {}, name="idx_a")
    names()
    (index,) = (site.parent / "cache").iterdir()
    index.write_text(damage)
    assert "idx_a" in names()
    assert json.loads(index.read_text())["entry_points"]  # written again, whole
    assert searches[0] == 2


def test_an_index_entry_of_the_wrong_shape_is_not_trusted(site, searches):
    write_plugin_site(site, "harness_idx_a", PLUGIN, {}, name="idx_a")
    names()
    (index,) = (site.parent / "cache").iterdir()
    data = json.loads(index.read_text())
    data["entry_points"][0]["value"] = 42
    index.write_text(json.dumps(data))
    assert "idx_a" in names()
    assert searches[0] == 2


def test_an_unwritable_cache_folder_only_costs_the_search(site, tmp_path, monkeypatch, searches):
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    monkeypatch.setenv(envvars.CACHE_DIR, str(blocker / "cache"))  # cannot be a folder
    write_plugin_site(site, "harness_idx_a", PLUGIN, {}, name="idx_a")
    assert "idx_a" in names() and "idx_a" in names()
    assert searches[0] == 2


def test_an_empty_cache_dir_setting_caches_nothing(site, monkeypatch, searches):
    monkeypatch.setenv(envvars.CACHE_DIR, "")
    names()
    names()
    assert searches[0] == 2
    assert not (site.parent / "cache").exists()


def test_the_default_cache_folder_follows_xdg(monkeypatch, tmp_path):
    monkeypatch.delenv(envvars.CACHE_DIR)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert plugin_index.cache_folder() == tmp_path / "xdg" / "harness"
    monkeypatch.delenv("XDG_CACHE_HOME")
    expected = os.path.join(os.path.expanduser("~"), ".cache", "harness")
    assert str(plugin_index.cache_folder()) == expected


def test_candidates_from_the_index_load_the_entry_points_objects(site):
    write_plugin_site(site, "harness_idx_a", PLUGIN + "VALUE = 7\n", {}, name="idx_a")
    points = site / "harness_idx_a-0.1.dist-info" / "entry_points.txt"
    points.write_text("[harness]\nidx_a = harness_idx_a\nidx_attr = harness_idx_a:VALUE [extra]\n")
    loading.candidates()  # writes the index
    found = {c.name: c for c in loading.candidates()}  # from it
    assert found["idx_a"].load().__name__ == "harness_idx_a"
    assert found["idx_attr"].load() == 7
    assert found["idx_attr"].module == "harness_idx_a:VALUE [extra]"


def test_the_running_harness_version_comes_from_the_index(site, searches):
    from importlib.metadata import version

    assert loading.harness_version() == version("harness-ml")
    assert loading.harness_version() == version("harness-ml")
    assert searches[0] == 1  # the second answer came from the index

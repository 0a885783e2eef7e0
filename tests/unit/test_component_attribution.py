"""Whose failure is it? The component guard names a plugin only when the plugin's
own code raised (``component_table._raised_in``): the innermost frame that is the
plugin's or the harness's decides, and other libraries' frames are passed over."""

from __future__ import annotations

import sys
import types

import numpy
import pytest

import harness.contract.supervise as core_module
from harness.contract.component_table import _raised_in


def _function(name: str, source: str, filename: str):
    """A function whose frames say they are in ``filename`` (as if defined there)."""
    namespace: dict = {}
    exec(compile(source, filename, "exec"), namespace)
    return namespace[name]


@pytest.fixture
def plugin(tmp_path, monkeypatch):
    path = tmp_path / "fake_plugin.py"
    path.write_text("# the plugin's file\n")
    module = types.ModuleType("fake_plugin")
    module.__file__ = str(path)
    monkeypatch.setitem(sys.modules, "fake_plugin", module)
    return str(path)


def _raised(call):
    try:
        call()
    except Exception as exc:
        return exc
    raise AssertionError("nothing raised")


def test_the_innermost_of_plugin_and_harness_frames_decides(plugin):
    launch = _function("launch", "def launch(f):\n    return f()\n", plugin)
    own = _function("own", "def own():\n    raise RuntimeError('the plugin broke')\n", plugin)
    core_bug = _function(
        "core", "def core():\n    raise ProcessLookupError(3, 'gone')\n", core_module.__file__
    )
    core_calls = _function(
        "core_calls", "def core_calls(f):\n    return f()\n", core_module.__file__
    )
    library = _function(
        "library", "def library():\n    raise ValueError('bad input')\n", numpy.__file__
    )

    # the plugin's own raise, directly or called back from a harness helper
    assert _raised_in(_raised(lambda: launch(own)), {"fake_plugin"})
    assert _raised_in(_raised(lambda: launch(lambda: core_calls(own))), {"fake_plugin"})
    # a library the plugin called: still the plugin's
    assert _raised_in(_raised(lambda: launch(library)), {"fake_plugin"})
    # the harness's own helper raised under the plugin's call: a harness bug
    assert not _raised_in(_raised(lambda: launch(core_bug)), {"fake_plugin"})
    # never through the plugin at all
    assert not _raised_in(_raised(core_bug), {"fake_plugin"})

"""docs/plugins.md's quick start, run as written: every shell line of its
"Start in one minute" block (scaffold → install → show → train → the contract
tests), in a temporary folder instead of ~/src, with a throw-away venv over this
environment as the `python` and `harness` on PATH (its `pip install` lands there)."""

from __future__ import annotations

import os
import re
import subprocess
from importlib import metadata
from pathlib import Path

import pytest

from harness.testing.plugin_site import overlay_venv

GUIDE = Path(__file__).resolve().parents[2] / "docs" / "plugins.md"


def quickstart_lines() -> list[str]:
    text = GUIDE.read_text()
    section = text.split("## Start in one minute", 1)[1]
    block = re.search(r"```bash\n(.*?)```", section, re.S)
    assert block, "docs/plugins.md has no bash block in its quick start"
    lines = [line.split("#", 1)[0].strip() for line in block.group(1).splitlines()]
    return [line for line in lines if line]


@pytest.mark.slow
def test_plugin_quickstart_runs_as_documented(tmp_path):
    lines = quickstart_lines()
    assert lines[0].startswith("harness plugins new ") and "python -m pytest" in lines[-1]
    name = lines[0].split()[3]
    script = "set -ex\n" + "\n".join(line.replace("~/src", str(tmp_path / "src")) for line in lines)
    # Its `pip install` goes into a throw-away venv over this one, never into this one.
    env = {**os.environ, **overlay_venv(tmp_path / "venv"), "HARNESS_HOME": str(tmp_path / "home")}
    (tmp_path / "src").mkdir()
    proc = subprocess.run(
        ["bash", "-c", script], capture_output=True, text=True, env=env, timeout=1500
    )
    output = proc.stdout + proc.stderr
    assert proc.returncode == 0, output
    assert f"plugin:        {name}" in proc.stdout, output
    assert "status: Completed" in proc.stdout, output
    assert re.search(r"\d+ passed", proc.stdout) and " failed" not in proc.stdout, output
    assert list((tmp_path / "venv").glob(f"lib/python*/site-packages/*harness_{name}*"))
    with pytest.raises(metadata.PackageNotFoundError):  # this environment is untouched
        metadata.distribution(f"harness-{name}")

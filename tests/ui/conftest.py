"""Fixtures for the dashboard tests: the real `harness ui` server in a subprocess,
and a page of headless Debian Chromium (Playwright pointed at /usr/bin/chromium)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from ui_helpers import CHROMIUM, CHROMIUM_ARGS, LIVE_SCRIPT, UiServer

from harness.testing.requirements import unavailable


@pytest.fixture
def script_dir(tmp_path: Path) -> Path:
    folder = tmp_path / "src"
    folder.mkdir()
    (folder / "train.py").write_text(LIVE_SCRIPT)
    return folder


@pytest.fixture
def ui_server(home: Path):
    server = UiServer(home)
    yield server
    server.stop()


@pytest.fixture
def browser_page(tmp_path: Path, ui_server: UiServer):
    """A Chromium page already holding the token cookie (it opened the printed URL)."""
    try:
        from playwright import sync_api
    except ImportError as exc:
        unavailable("browser", f"playwright is not installed ({exc})")
    if not Path(CHROMIUM).exists() or shutil.which(CHROMIUM) is None:
        unavailable("browser", f"{CHROMIUM} is missing (apt-get install chromium; .ci/run does)")
    with sync_api.sync_playwright() as pw:
        context = pw.chromium.launch_persistent_context(
            str(tmp_path / "chromium-profile"),
            executable_path=CHROMIUM,
            args=CHROMIUM_ARGS,
            headless=True,
            viewport={"width": 1280, "height": 900},
            accept_downloads=True,
        )
        page = context.new_page()
        page.set_default_timeout(60_000)  # a loaded 2-core CI machine is slow to draw
        sync_api.expect.set_options(timeout=30_000)
        errors: list[str] = []
        page.on("pageerror", lambda exc: errors.append(str(exc)))
        page.goto(f"{ui_server.base}/?token={ui_server.token}")
        page.errors = errors  # type: ignore[attr-defined]
        yield page
        context.close()
    assert not errors, f"JavaScript errors on the page: {errors}"

"""Helpers for the web-service tests: a trained, registered digits model, plain HTTP,
and the cleanup that proves no service process outlived its test."""

from __future__ import annotations

import json
import os
import shutil
import signal
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

from harness.testing import run_cli, workspace_processes


def train_and_register(home: Path, *overrides: str, name: str = "digits") -> str:
    """``harness train`` (the default sklearn model on digits unless overridden), then
    ``harness models register``; returns the run id."""
    trained = run_cli("train", *overrides, home=home)
    assert trained.returncode == 0, trained.output
    path = {"pytorch": "outputs/model.pt", "chainer": "outputs"}.get(
        next((o.split("=")[1] for o in overrides if o.startswith("+estimator=")), "sklearn"),
        "outputs/model.joblib",
    )
    registered = run_cli(
        "models", "register", name, "--run", trained.run_id, "--path", path, home=home
    )
    assert registered.returncode == 0, registered.output
    return trained.run_id


def copy_home(template: Path, home: Path) -> None:
    """A test's own workspace with the template's runs and models (no retraining)."""
    for part in ("runs", "models"):
        if (template / part).exists():
            shutil.copytree(template / part, home / part, symlinks=True)


def post(url: str, body: bytes | str, headers: dict[str, str] | None = None) -> tuple[int, Any]:
    """(status, decoded JSON answer) of a plain HTTP POST."""
    data = body.encode() if isinstance(body, str) else body
    request = urllib.request.Request(
        url, data, {"Content-Type": "application/json", **(headers or {})}, method="POST"
    )
    try:
        with urllib.request.urlopen(request, timeout=60) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read())


def get(url: str, headers: dict[str, str] | None = None) -> tuple[int, str]:
    request = urllib.request.Request(url, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read().decode()


def service(home: Path, name: str) -> dict[str, Any]:
    shown = run_cli("services", "show", name, "--format", "json", home=home)
    assert shown.returncode == 0, shown.output
    return shown.json()


def serve(home: Path, *args: str, cwd: Path | None = None) -> dict[str, Any]:
    """``harness models serve ARGS --format json``, which must succeed."""
    result = run_cli("models", "serve", *args, "--format", "json", home=home, cwd=cwd)
    assert result.returncode == 0, result.output
    return result.json()


def digits_rows(count: int = 5, scale: float = 1.0) -> tuple[list[list[float]], list[int]]:
    from sklearn.datasets import load_digits

    features, labels = load_digits(return_X_y=True)
    return (features[:count] / scale).tolist(), labels[:count].tolist()


def stop_all(home: Path) -> None:
    """Stop every service of ``home`` (the CLI's own stop), then make sure no process
    started for the workspace is left; kill and fail if one is."""
    listed = run_cli("services", "list", "--format", "json", home=home)
    for item in listed.json() if listed.returncode == 0 else []:
        if item.get("status") in ("Starting", "Healthy", "Unhealthy"):
            run_cli("services", "stop", item["name"], home=home)
    deadline = time.monotonic() + 10
    while workspace_processes(home) and time.monotonic() < deadline:
        time.sleep(0.1)
    left = workspace_processes(home)
    for pid in left:
        os.kill(pid, signal.SIGKILL)
    assert left == [], f"processes of the workspace outlived the test: {left}"

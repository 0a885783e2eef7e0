"""``harness doctor`` and service records (issue 24): damaged records, services whose
process died while the record says it is live, and what interrupted starts, updates
and deletes leave behind; ``--fix`` repairs them as it does runs. Real service
processes; an interruption is a real SIGKILL of the process doing the work."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from serving import copy_home, digits_rows, post, service, stop_all, train_and_register

from harness.run import processes
from harness.testing import run_cli

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    home = tmp_path_factory.mktemp("doctor-template")
    train_and_register(home)
    return home


@pytest.fixture
def workspace(home: Path, template: Path):
    copy_home(template, home)
    yield home
    stop_all(home)


def doctor(home: Path, *args: str) -> tuple[int, list[dict]]:
    result = run_cli("doctor", "--format", "json", *args, home=home)
    assert "Traceback" not in result.stderr, result.output
    return result.returncode, result.json()


def killed_in(home: Path, code: str, where: str) -> None:
    """Run ``code`` in a Python process that SIGKILLs itself when it reaches
    ``where`` (a function of harness.serve.launch): an interruption at that point."""
    script = (
        "import os, signal\n"
        "from harness.serve import launch\n"
        f"setattr(launch, {where!r}, lambda *a, **k: os.kill(os.getpid(), signal.SIGKILL))\n" + code
    )
    proc = subprocess.run(
        [sys.executable, "-c", script],
        env={**os.environ, "HARNESS_HOME": str(home)},
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == -signal.SIGKILL, proc.stdout + proc.stderr


def test_a_damaged_service_record_is_reported_and_moved_aside(workspace: Path):
    home = workspace
    run_cli("models", "serve", "digits:1", "--name", "good", home=home)
    bad = home / "services" / "bad"
    (bad / "logs").mkdir(parents=True)
    (bad / "service.json").write_text('{"format": 1, "name": "bad", "status": 5')
    stray = home / "services" / "notes.txt"
    stray.write_text("not a service")
    code, found = doctor(home)
    assert code == 1
    assert [(f["kind"], f["path"], f["fix"], f["fixed"]) for f in found] == [
        ("service", str(bad), "move to damaged/", False),
        ("service", str(stray), "move to damaged/", False),
    ], found
    assert f"damaged service record {bad / 'service.json'}" in found[0]["problem"]
    code, fixed = doctor(home, "--fix")
    assert code == 0 and all(f["fixed"] for f in fixed), fixed
    assert not bad.exists() and not stray.exists()
    moved = sorted(p.name for p in (home / "damaged").iterdir())
    assert [m.split("-", 2)[2] for m in moved] == ["services-bad", "services-notes.txt"]
    assert (home / "damaged" / moved[0] / "service.json").is_file()
    listed = run_cli("services", "list", "--format", "json", home=home).json()
    assert [(s["name"], s["status"]) for s in listed] == [("good", "Healthy")]
    assert doctor(home) == (0, [])


@pytest.mark.parametrize("said", ["Starting", "Healthy", "Unhealthy"])
def test_a_service_whose_process_died_is_marked_failed(workspace: Path, said: str):
    """The process is SIGKILLed; the record says ``said``. doctor records Failed with
    the reason (fixed while examining, as for runs) and names it once."""
    home = workspace
    item = json.loads(
        run_cli("models", "serve", "digits:1", "--name", "s", "--format", "json", home=home).stdout
    )
    os.kill(item["pid"], signal.SIGKILL)
    deadline = time.monotonic() + 10
    while processes.alive(item["pid"]) and time.monotonic() < deadline:
        time.sleep(0.05)  # (a zombie counts as dead: nobody here reaps it)
    path = home / "services" / "s" / "service.json"
    record = json.loads(path.read_text())
    record["status"] = said
    path.write_text(json.dumps(record))
    code, found = doctor(home)
    assert code == 0, found  # fixed while examining, as a dead run's driver is
    assert len(found) == 1 and found[0]["kind"] == "service" and found[0]["fixed"], found
    assert found[0]["problem"] == (
        f"was {said}: the service process (pid {item['pid']}) died; its output is in "
        f"{home / 'services' / 's' / 'logs' / 'service.txt'}"
    )
    assert found[0]["fix"] == "marked Failed"
    assert service(home, "s")["status"] == "Failed"
    assert doctor(home) == (0, [])


def test_an_interrupted_start_is_failed_for_readers_and_removed_by_fix(workspace: Path):
    """The command starting a service is killed after staging the model, before the
    service process exists: readers show Failed with why (not Starting forever), and
    doctor --fix removes the folder (nothing half-started is left)."""
    home = workspace
    killed_in(
        home,
        f"from harness.sdk.service import deploy\ndeploy('half', ['digits:1'], workspace={str(home)!r})\n",
        "_spawn",
    )
    folder = home / "services" / "half"
    assert (folder / "models" / "digits" / "1" / "model.joblib").is_file()  # staged
    shown = service(home, "half")
    assert shown["status"] == "Failed", shown
    assert shown["error"].startswith("its start was interrupted: the process that started it")
    code, found = doctor(home)
    assert code == 1
    assert [(f["kind"], f["path"], f["fix"]) for f in found] == [
        ("leftover", str(folder), "remove")
    ], found
    assert "whose start was interrupted" in found[0]["problem"]
    code, fixed = doctor(home, "--fix")
    assert code == 0 and not folder.exists()
    assert run_cli("services", "list", "--format", "json", home=home).json() == []


def test_an_interrupted_update_leaves_the_service_serving_and_its_staging_is_removed(
    workspace: Path,
):
    """``update`` is killed after it staged the new files, before it stopped the
    service: the service still serves; its staging folder is a leftover doctor --fix
    removes (and only that); a trash folder of an interrupted delete is removed too."""
    home = workspace
    run_cli("models", "serve", "digits:1", "--name", "live", home=home)
    killed_in(
        home,
        "from harness.sdk.service import Webservice\n"
        f"Webservice('live', workspace={str(home)!r}).update(['digits:1'])\n",
        "stop",
    )
    folder = home / "services" / "live"
    staged = [p for p in folder.iterdir() if p.name.startswith(".staging-")]
    assert len(staged) == 1 and (staged[0] / "models" / "digits" / "1").is_dir()
    trash = home / "services" / ".deleted-old-0123abcd"
    (trash / "logs").mkdir(parents=True)
    code, found = doctor(home)
    assert code == 1
    assert sorted((f["kind"], f["path"], f["fix"]) for f in found) == [
        ("leftover", str(trash), "remove"),
        ("leftover", str(staged[0]), "remove"),
    ], found
    assert doctor(home, "--fix")[0] == 0
    assert not staged[0].exists() and not trash.exists()
    shown = service(home, "live")
    assert shown["status"] == "Healthy"
    rows, labels = digits_rows(3)
    assert post(shown["scoring_uri"], json.dumps({"data": rows})) == (200, labels)
    assert doctor(home) == (0, [])

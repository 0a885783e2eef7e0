"""Run environments (issue 16) through the real `harness` command.

Builds really run uv against PyPI, with small pure-Python packages (tabulate,
packaging, six); uv's cache is shared by the whole session (``uv_cache``, conftest.py) so each
wheel is downloaded once, and lives in the test session's temporary folder.
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from harness.testing import harness_executable, run_cli

REPO = Path(__file__).resolve().parents[2]

# Every build uses the session's uv cache; `src` holds probe.py (conftest.py).
pytestmark = pytest.mark.usefixtures("shared_uv_cache")


def train(home: Path, src: Path, *overrides: str, modules: tuple[str, ...] = ("tabulate",)):
    args = ",".join(modules)
    return run_cli(
        "train", "+estimator=script", f"estimator.source_directory={src}",
        "estimator.entry_script=probe.py", f"estimator.arguments=[{args}]", *overrides,
        home=home,
    )  # fmt: skip


def probe(home: Path, run_id: str, rank: int = 0) -> dict:
    run = home / "runs" / run_id  # outputs/ is rank 0's; the other ranks' are kept apart
    outputs = run / "outputs" if rank == 0 else run / "ranks" / str(rank) / "outputs"
    return json.loads((outputs / f"probe-{rank}.json").read_text())


def record(home: Path, run_id: str) -> dict:
    return json.loads((home / "runs" / run_id / "run.json").read_text())


def built_envs(home: Path) -> list[str]:
    root = home / "envs"
    return (
        sorted(p.name for p in root.iterdir() if not p.name.startswith("."))
        if root.exists()
        else []
    )


def leftovers(home: Path) -> list[str]:
    root = home / "envs"
    return sorted(p.name for p in root.glob(".building-*")) if root.exists() else []


def test_a_package_missing_from_the_harness_is_importable_in_the_job(home, src):
    assert importlib.util.find_spec("tabulate") is None, "premise: the harness's env lacks it"
    result = train(home, src, "+estimator.environment.pip_packages=[tabulate==0.9.0]")
    assert result.returncode == 0, result.output
    assert "building environment" in result.stdout
    env_hash = built_envs(home)
    assert len(env_hash) == 1
    seen = probe(home, result.run_id)
    assert seen["found"]["tabulate"] == "0.9.0"
    assert seen["executable"].startswith(str(home / "envs" / env_hash[0]))

    environment = record(home, result.run_id)["provenance"]["environment"]
    assert environment["hash"] == env_hash[0]
    assert environment["name"] is None and environment["python"] == sys.version.split()[0]
    assert "tabulate==0.9.0" in environment["packages"]  # uv pip freeze, at build time

    shown = run_cli("runs", "show", result.run_id, home=home)
    assert shown.returncode == 0, shown.output
    assert f"environment: (inline)  hash {env_hash[0]}" in shown.stdout
    assert "  tabulate==0.9.0" in shown.stdout

    # The same spec again: reused, not rebuilt; a run without one uses the harness's own.
    again = train(home, src, "+estimator.environment.pip_packages=[tabulate==0.9.0]")
    assert again.returncode == 0, again.output
    assert "building environment" not in again.stdout + again.stderr
    assert probe(home, again.run_id)["executable"] == seen["executable"]
    plain = train(home, src)
    assert plain.returncode == 0, plain.output
    assert probe(home, plain.run_id)["found"]["tabulate"] is None
    assert "environment" not in record(home, plain.run_id)["provenance"]
    assert built_envs(home) == env_hash


def test_the_environment_pins_win_over_the_harness_own_packages(home, src):
    import packaging

    assert packaging.__version__ != "23.2"  # the harness's own packaging is another version
    result = train(
        home, src, "+estimator.environment.pip_packages=[packaging==23.2]", modules=("packaging",)
    )
    assert result.returncode == 0, result.output
    assert probe(home, result.run_id)["found"]["packaging"] == "23.2"


def test_two_concurrent_runs_build_the_environment_once(home, src):
    spec = "+estimator.environment.pip_packages=[tabulate==0.8.10]"
    command = [
        harness_executable(), "train", "+estimator=script", f"estimator.source_directory={src}",
        "estimator.entry_script=probe.py", "estimator.arguments=[tabulate]", spec,
    ]  # fmt: skip
    env = {**os.environ, "HARNESS_HOME": str(home)}
    procs = [
        subprocess.Popen(
            command, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
        )
        for _ in range(2)
    ]
    outputs = [proc.communicate(timeout=600)[0] for proc in procs]
    assert [proc.returncode for proc in procs] == [0, 0], outputs
    assert sum("building environment" in out for out in outputs) == 1, outputs
    assert sum("built by another run" in out for out in outputs) == 1, outputs
    assert len(built_envs(home)) == 1 and leftovers(home) == []
    ids = [line.split(":", 1)[1].strip() for out in outputs for line in out.splitlines()
           if line.startswith("run id:")]  # fmt: skip
    hashes = {record(home, i)["provenance"]["environment"]["hash"] for i in ids}
    assert hashes == set(built_envs(home))
    assert {probe(home, i)["found"]["tabulate"] for i in ids} == {"0.8.10"}


def test_a_resolver_error_fails_the_run_in_one_paragraph(home, src):
    result = train(home, src, "+estimator.environment.pip_packages=[harness-no-such-package-zz==1]")
    assert result.returncode == 1, result.output
    run = record(home, result.run_id)
    assert run["status"] == "Failed"
    assert run["error"].startswith("environment build failed: ")
    assert "harness-no-such-package-zz" in run["error"] and "\n" not in run["error"]
    assert (
        "harness-no-such-package-zz"
        in (home / "runs" / result.run_id / "logs" / "environment.txt").read_text()
    )
    assert built_envs(home) == [] and leftovers(home) == []


@pytest.mark.parametrize(
    ("override", "message"),
    [
        ("+estimator.environment.pip_packages=[tabulate===]", "is not a valid requirement"),
        ("+estimator.environment.pipp=[tabulate]", "unknown key(s) pipp"),
        (
            ("+estimator.environment.python=3.1", "+estimator.environment.strict_python=true"),
            "python 3.1 cannot run the harness's worker",
        ),
        ("estimator.environment=no-such-env", "unknown environment 'no-such-env'"),
        ("+estimator.environment.conda_packages=[cudatoolkit]", "conda package 'cudatoolkit'"),
        (
            "+estimator.environment.requirements=/no/such/req.txt",
            "requirements file '/no/such/req.txt' not found",
        ),
    ],
)
def test_an_invalid_spec_is_exit_2_and_writes_nothing(home, src, override, message):
    result = train(home, src, *([override] if isinstance(override, str) else override))
    assert result.returncode == 2, result.output
    assert message in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1 and "Traceback" not in result.stderr
    assert not (home / "runs").exists() or not any((home / "runs").iterdir())
    assert built_envs(home) == []


def test_a_conda_file_pinning_an_old_python_runs_on_the_nearest_with_a_note(
    home, src, tmp_path, monkeypatch
):
    """v1 conda files pin a Python (python=3.8.12) the harness cannot run on: the run
    uses the nearest usable one, says so once, and keeps the note in provenance."""
    from harness.envs.python import choose

    (src / "env.yml").write_text("dependencies:\n- python=3.8.12\n- pip:\n  - tabulate==0.9.0\n")
    monkeypatch.setenv("PYENV_ROOT", str(tmp_path / "no-pyenv"))  # only uv's own finds
    expected = choose("3.8.12").interpreter.version
    result = train(home, src, f"+estimator.environment.conda_file={src / 'env.yml'}")
    assert result.returncode == 0, result.output
    warnings = [line for line in result.stderr.splitlines() if "python 3.8.12" in line]
    assert len(warnings) == 1 and warnings[0].startswith("harness: warning: python 3.8.12 ")
    environment = record(home, result.run_id)["provenance"]["environment"]
    assert environment["python"] == expected
    assert environment["python_requested"] == "3.8.12"
    assert environment["python_note"] == warnings[0].removeprefix("harness: warning: ")
    seen = probe(home, result.run_id)
    assert seen["found"]["tabulate"] == "0.9.0"
    version = subprocess.run(
        [seen["executable"], "-c", "import sys; print(*sys.version_info[:3], sep='.')"],
        capture_output=True, text=True, check=True,
    ).stdout.strip()  # fmt: skip
    assert version == expected  # the job really ran on the interpreter recorded
    shown = run_cli("runs", "show", result.run_id, home=home)
    assert f"  note: {environment['python_note']}" in shown.stdout

    strict = train(
        home, src, f"+estimator.environment.conda_file={src / 'env.yml'}",
        "+estimator.environment.strict_python=true",
    )  # fmt: skip
    assert strict.returncode == 2 and "strict_python is set" in strict.stderr
    assert len(strict.stderr.strip().splitlines()) == 1
    assert len(list((home / "runs").glob("*/run.json"))) == 1  # nothing new written


def write_wheel(folder: Path, name: str, version: str, files: dict[str, str]) -> Path:
    """A minimal pure-Python wheel (what a user's own built package is)."""
    import base64
    import hashlib
    import zipfile

    dist = f"{name.replace('-', '_')}-{version}"
    meta = {
        f"{dist}.dist-info/METADATA": f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n",
        f"{dist}.dist-info/WHEEL": "Wheel-Version: 1.0\nGenerator: test\nRoot-Is-Purelib: true\n"
        "Tag: py3-none-any\n",
    }
    entries = {**files, **meta}
    record = []
    for path, text in entries.items():
        digest = base64.urlsafe_b64encode(hashlib.sha256(text.encode()).digest()).rstrip(b"=")
        record.append(f"{path},sha256={digest.decode()},{len(text.encode())}")
    record.append(f"{dist}.dist-info/RECORD,,")
    wheel = folder / f"{dist}-py3-none-any.whl"
    with zipfile.ZipFile(wheel, "w") as archive:
        for path, text in entries.items():
            archive.writestr(path, text)
        archive.writestr(f"{dist}.dist-info/RECORD", "\n".join(record) + "\n")
    return wheel


def test_a_reused_package_that_breaks_beside_the_environment_is_installed_instead(
    home, src, tmp_path
):
    """The harness's chainer with a file's numpy<2 built, then failed every job at
    ``import chainer``: declared versions were met, the import was not. Here the same
    mechanism, fast: the environment's own (direct-URL) wheel puts a broken
    top-level ``mdurl`` module in front of what the harness's markdown-it-py
    imports. The build must import the reused package as a job would, see it fail,
    and install markdown-it-py (with its real mdurl package) into the environment."""
    wheel = write_wheel(
        tmp_path, "mdurl-shadow", "1.0", {"mdurl.py": "raise ImportError('a broken mdurl')\n"}
    )
    url = wheel.as_uri()
    result = train(
        home, src, f"+estimator.environment.pip_packages=[markdown-it-py,mdurl-shadow @ {url}]",
        modules=("markdown_it",),
    )  # fmt: skip
    assert result.returncode == 0, result.output
    log = (home / "runs" / result.run_id / "logs" / "environment.txt").read_text()
    assert "not reusing the harness's packages (markdown-it-py (import markdown_it: " in log
    assert "ImportError: a broken mdurl" in log
    seen = probe(home, result.run_id)
    assert seen["found"]["markdown_it"] is not None  # the job imports it, from the environment
    environment = record(home, result.run_id)["provenance"]["environment"]
    assert environment["from_harness"] == []
    assert any(p.startswith("markdown-it-py==") for p in environment["packages"])
    # The direct URL: one warning, and provenance keeps the URL and the file's hash.
    warned = [line for line in result.stderr.splitlines() if "is a direct URL" in line]
    assert len(warned) == 1 and f"mdurl-shadow @ {url}" in warned[0]
    (direct,) = environment["direct_requirements"]
    assert direct["url"] == url and direct["name"] == "mdurl-shadow"
    assert direct["sha256"] == hashlib.sha256(wheel.read_bytes()).hexdigest()


def test_a_reused_package_that_imports_beside_the_environment_stays_reused(home, src):
    """The check does not cost a download when reuse is sound (tabulate installed,
    the harness's markdown-it-py imported as is)."""
    result = train(
        home, src, "+estimator.environment.pip_packages=[markdown-it-py,tabulate==0.9.0]",
        modules=("markdown_it", "tabulate"),
    )  # fmt: skip
    assert result.returncode == 0, result.output
    environment = record(home, result.run_id)["provenance"]["environment"]
    assert any(p.startswith("markdown-it-py==") for p in environment["from_harness"])
    assert probe(home, result.run_id)["found"]["markdown_it"] is not None


@pytest.fixture
def hanging_index():
    """An index URL whose server accepts connections and never answers: uv waits."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(16)
    yield f"http://127.0.0.1:{server.getsockname()[1]}/simple"
    server.close()


def start_hanging_build(home: Path, src: Path, index: str) -> subprocess.Popen:
    command = [
        harness_executable(), "train", "+estimator=script", f"estimator.source_directory={src}",
        "estimator.entry_script=probe.py", "+estimator.environment.pip_packages=[harness-hang-probe==1]",
    ]  # fmt: skip
    env = {**os.environ, "HARNESS_HOME": str(home), "UV_INDEX_URL": index, "UV_HTTP_TIMEOUT": "300"}
    return subprocess.Popen(
        command, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )


def wait_for(condition, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out waiting"
        time.sleep(0.1)


def test_an_interrupted_build_leaves_no_half_environment(home, src, hanging_index):
    # Ctrl-C while uv installs: the temporary folder goes, the run is Canceled.
    proc = start_hanging_build(home, src, hanging_index)
    wait_for(lambda: leftovers(home) and (home / "runs").exists())
    time.sleep(1.0)  # uv is now waiting on the index
    proc.send_signal(signal.SIGINT)
    output = proc.communicate(timeout=60)[0]
    assert proc.returncode == 130, output
    assert built_envs(home) == [] and leftovers(home) == []
    run_id = next(
        line.split(":", 1)[1].strip() for line in output.splitlines() if line.startswith("run id:")
    )
    assert record(home, run_id)["status"] == "Canceled"

    # Killed outright: only the temporary folder stays, never envs/<hash>.
    proc = start_hanging_build(home, src, hanging_index)
    wait_for(lambda: leftovers(home))
    time.sleep(1.0)
    first = leftovers(home)
    proc.kill()
    proc.communicate(timeout=60)
    assert built_envs(home) == [] and leftovers(home) == first
    # The next builder of that hash (holding the lock, so it knows) removes it.
    proc = start_hanging_build(home, src, hanging_index)
    wait_for(lambda: leftovers(home) and leftovers(home) != first)
    assert first[0] not in leftovers(home)
    proc.send_signal(signal.SIGINT)
    proc.communicate(timeout=60)
    assert leftovers(home) == [] and built_envs(home) == []


def test_prune_removes_a_killed_build_and_unnamed_environments(home, src, hanging_index):
    proc = start_hanging_build(home, src, hanging_index)
    wait_for(lambda: leftovers(home))
    proc.kill()
    proc.communicate(timeout=60)
    (killed,) = leftovers(home)
    assert train(home, src, "+estimator.environment.pip_packages=[tabulate==0.9.0]").returncode == 0
    run_cli("envs", "create", "tab", "--pip", "tabulate==0.9.0", home=home)
    pruned = run_cli("envs", "prune", "--unused-days", "0", "--format", "json", home=home)
    assert pruned.returncode == 0, pruned.output
    assert [(Path(r["path"]).name, r["reason"]) for r in pruned.json()["removed"]] == [
        (killed, "leftover of a killed build")
    ]
    assert leftovers(home) == [] and len(built_envs(home)) == 1  # `tab` names the build
    run_cli("envs", "delete", "tab", home=home)
    dry = run_cli("envs", "prune", "--unused-days", "0", "--dry-run", "--format", "json", home=home)
    assert [r["reason"] for r in dry.json()["removed"]] == ["no definition names it"]
    assert len(built_envs(home)) == 1
    assert run_cli("envs", "prune", "--unused-days", "0", home=home).returncode == 0
    assert built_envs(home) == []


def test_named_versioned_environments_from_the_cli(home, src, tmp_path):
    created = run_cli(
        "envs", "create", "tab", "--pip", "tabulate==0.9.0", "--format", "json", home=home
    )
    assert created.returncode == 0, created.output
    assert created.json()["version"] == 1 and created.json()["new_version"] is True
    assert created.json()["built"] is False
    same = run_cli(
        "envs", "create", "tab", "--pip", "tabulate==0.9.0", "--format", "json", home=home
    )
    assert same.json()["version"] == 1 and same.json()["new_version"] is False
    changed = run_cli(
        "envs", "create", "tab", "--pip", "tabulate==0.8.10", "--format", "json", home=home
    )
    assert changed.json()["version"] == 2

    built = run_cli("envs", "build", "tab:1", "--format", "json", home=home)
    assert built.returncode == 0, built.output
    assert built.json()["built_now"] is True and "tabulate==0.9.0" in built.json()["packages"]
    again = run_cli("envs", "build", "tab:1", "--format", "json", home=home)
    assert again.json()["built_now"] is False and again.json()["path"] == built.json()["path"]

    listing = run_cli("envs", "list", "--format", "json", home=home).json()
    by_name = {row["name"]: row for row in listing}
    assert {"harness-sklearn", "harness-pytorch", "harness-chainer", "tab"} <= set(by_name)
    assert by_name["tab"]["version"] == 2 and by_name["tab"]["versions"] == [1, 2]
    assert by_name["harness-chainer"]["kind"] == "curated"
    assert "numpy<2" in by_name["harness-chainer"]["requirements"]

    shown = run_cli("envs", "show", "tab:1", "--format", "json", home=home).json()
    assert shown["built"] is True and "tabulate==0.9.0" in shown["packages"]
    v1 = run_cli("envs", "show", "AzureML-PyTorch-1.3-CPU", "--format", "json", home=home)
    assert v1.returncode == 0 and v1.json()["name"] == "harness-pytorch"
    assert "AzureML-PyTorch-1.3-CPU" in v1.json()["v1_names"]

    run = train(home, src, "estimator.environment=tab:1")
    assert run.returncode == 0, run.output
    assert probe(home, run.run_id)["found"]["tabulate"] == "0.9.0"
    environment = record(home, run.run_id)["provenance"]["environment"]
    assert (environment["name"], environment["version"]) == ("tab", 1)
    latest = train(home, src, "estimator.environment=tab")
    assert probe(home, latest.run_id)["found"]["tabulate"] == "0.8.10"

    # Mistakes: one line, exit 2.
    for args, message in [
        (("envs", "delete", "harness-chainer"), "curated"),
        (("envs", "create", "harness-sklearn", "--pip", "six"), "curated environment name"),
        (("envs", "show", "nope"), "unknown environment 'nope'"),
        (("envs", "show", "tab:7"), "no version 7"),
        (("envs", "create", "x", "--pip", "bad==="), "not a valid requirement"),
        (("envs", "create", "bad name"), "environment name 'bad name' is invalid"),
        (("envs", "create", "x"), "give packages"),
    ]:
        wrong = run_cli(*args, home=home)
        assert wrong.returncode == 2 and message in wrong.stderr, (args, wrong.output)
    deleted = run_cli("envs", "delete", "tab:1", "--format", "json", home=home)
    assert deleted.json() == {"name": "tab", "deleted_versions": [1]}
    assert run_cli("envs", "show", "tab:1", home=home).returncode == 2
    assert run_cli("envs", "delete", "tab", home=home).returncode == 0
    assert run_cli("envs", "show", "tab", home=home).returncode == 2


def test_requirements_and_conda_files(home, tmp_path):
    requirements = tmp_path / "requirements.txt"
    requirements.write_text("# comment\ntabulate==0.9.0  # pinned\n\nsix\n")
    made = run_cli(
        "envs", "create", "req", "--requirements", str(requirements), "--format", "json", home=home
    )
    assert made.returncode == 0, made.output
    assert made.json()["requirements"] == ["tabulate==0.9.0", "six"]

    minor = ".".join(map(str, sys.version_info[:2]))
    conda = tmp_path / "environment.yml"
    conda.write_text(
        f"name: project\ndependencies:\n  - python={minor}\n  - pip\n  - six=1.16\n"
        "  - pytorch>=2\n  - pip:\n    - tabulate==0.9.0\n"
    )
    made = run_cli(
        "envs", "create", "conda-env", "--conda-file", str(conda), "--format", "json", home=home
    )
    assert made.returncode == 0, made.output
    assert sorted(made.json()["requirements"]) == ["six==1.16.*", "tabulate==0.9.0", "torch>=2"]
    assert made.json()["python"].startswith(minor)

    conda.write_text("dependencies:\n  - numpy\n  - mkl\n")
    refused = run_cli("envs", "create", "c2", "--conda-file", str(conda), home=home)
    assert refused.returncode == 2 and "conda package 'mkl'" in refused.stderr
    assert len(refused.stderr.strip().splitlines()) == 1
    bad = tmp_path / "bad-requirements.txt"
    bad.write_text("-e .\n")
    refused = run_cli("envs", "create", "c3", "--requirements", str(bad), home=home)
    assert refused.returncode == 2 and "line 1" in refused.stderr


def test_rerun_uses_the_recorded_environment(home, src):
    run_cli("envs", "create", "tab", "--pip", "tabulate==0.9.0", home=home)
    first = train(home, src, "estimator.environment=tab")
    assert first.returncode == 0, first.output
    run_cli("envs", "create", "tab", "--pip", "tabulate==0.8.10", home=home)  # tab is now v2
    rerun = run_cli("runs", "rerun", first.run_id, home=home)
    assert rerun.returncode == 0, rerun.output
    old, new = record(home, first.run_id), record(home, rerun.run_id)
    assert new["tags"]["rerun_of"] == first.run_id
    assert new["provenance"]["environment"]["hash"] == old["provenance"]["environment"]["hash"]
    assert (
        new["provenance"]["environment"]["name"],
        new["provenance"]["environment"]["version"],
    ) == ("tab", 1)
    assert probe(home, rerun.run_id)["found"]["tabulate"] == "0.9.0"
    assert "building environment" not in rerun.stdout
    missing = run_cli("runs", "rerun", "nope", home=home)
    assert missing.returncode == 2


def test_a_sweep_builds_the_environment_once_before_its_jobs(home, src):
    result = run_cli(
        "train", "-m", "+estimator=script", f"estimator.source_directory={src}",
        "estimator.entry_script=probe.py", "estimator.arguments=[tabulate]",
        "+estimator.environment.pip_packages=[tabulate==0.9.0]", "+estimator.script_params.n=1,2",
        home=home,
    )  # fmt: skip
    assert result.returncode == 0, result.output
    assert result.stdout.count("building environment") == 1
    assert result.stdout.index("building environment") < result.stdout.index("run id:")
    ids = [
        line.split(":", 1)[1].strip()
        for line in result.stdout.splitlines()
        if line.startswith("run id:")
    ]
    assert len(ids) == 2
    assert {probe(home, i)["found"]["tabulate"] for i in ids} == {"0.9.0"}


def test_python_api_environment(home, tmp_path, src):
    from harness import Environment

    env = Environment("api-tab", pip_packages=["tabulate==0.9.0"])
    assert env.to_config() == {"name": "api-tab", "pip_packages": ["tabulate==0.9.0"]}
    env.register()
    assert env.version == 1 and env.to_config() == "api-tab:1"
    assert Environment.get(name="api-tab").pip_packages == ["tabulate==0.9.0"]
    assert Environment.get(str(home), "api-tab", version=1).name == "api-tab"
    assert {"api-tab", "harness-chainer"} <= set(Environment.list())
    assert Environment.get(name="AzureML-PyTorch-1.3-CPU").name == "harness-pytorch"

    requirements = tmp_path / "requirements.txt"
    requirements.write_text("tabulate==0.9.0\n")
    from_file = Environment.from_pip_requirements("api-tab", requirements)
    assert from_file.register().version == 1  # same content: the same version
    conda = tmp_path / "environment.yml"
    conda.write_text("dependencies:\n  - scikit-learn\n  - pip:\n    - tabulate\n")
    assert Environment.from_conda_specification("c", conda).definition.requirements() == [
        "tabulate", "scikit-learn",
    ]  # fmt: skip
    conda.write_text("dependencies:\n  - cudatoolkit=11\n")
    from harness.envs.errors import EnvironmentSpecError

    with pytest.raises(EnvironmentSpecError, match="cudatoolkit"):
        Environment.from_conda_specification("c", conda)
    with pytest.raises(EnvironmentSpecError, match="not a valid requirement"):
        Environment("x", pip_packages=["tabulate==="])

    built = env.build()
    assert "tabulate==0.9.0" in built["packages"] and Path(built["interpreter"]).exists()
    run = train(home, src, f"estimator.environment={env.to_config()}")
    assert run.returncode == 0, run.output
    assert record(home, run.run_id)["provenance"]["environment"]["hash"] == built["hash"]


@pytest.mark.slow
def test_mpi_ranks_all_run_the_environment_python(home, src):
    pytest.importorskip("mpi4py")
    from harness.plugins.mpi.launcher import find_mpiexec

    path = os.pathsep.join([str(Path(find_mpiexec()).parent), os.environ["PATH"]])
    result = run_cli(
        "train", "+estimator=script", f"estimator.source_directory={src}",
        "estimator.entry_script=probe.py", "estimator.arguments=[tabulate]",
        "+estimator.environment.pip_packages=[tabulate==0.9.0]",
        "compute=mpi", "compute.process_count_per_node=2", home=home, env={"PATH": path},
    )  # fmt: skip
    assert result.returncode == 0, result.output
    (env_hash,) = built_envs(home)
    for rank in (0, 1):
        seen = probe(home, result.run_id, rank)
        assert seen["executable"].startswith(str(home / "envs" / env_hash))
        assert seen["found"]["tabulate"] == "0.9.0"


@pytest.mark.slow
def test_the_chainer_tutorial_runs_in_the_curated_chainer_environment(home, tmp_path):
    from harness.datasets.synthetic import write_mnist

    data = write_mnist(tmp_path / "mnist", n_train=300, n_test=100)
    result = run_cli(
        "train", "+estimator=script",
        f"estimator.source_directory={REPO / 'examples' / 'azureml'}",
        "estimator.entry_script=chainer_mnist.py", "estimator.azureml_compat=true",
        "estimator.environment=harness-chainer", "estimator.primary_metric=Accuracy",
        "+estimator.script_params.epochs=2", f"+estimator.script_params.data_dir={data}",
        home=home,
    )  # fmt: skip
    assert result.returncode == 0, result.output
    # chainer on NumPy 1.x, where np.sctypes exists natively: no compat patch applied.
    line = next(ln for ln in result.stdout.splitlines() if ln.startswith("chainer "))
    _, chainer_version, _, numpy_version, has_sctypes = line.split()
    assert chainer_version == "7.8.1" and int(numpy_version.split(".")[0]) < 2
    assert has_sctypes == "True"
    run = record(home, result.run_id)
    assert run["status"] == "Completed" and 0.0 <= run["metrics"]["Accuracy"] <= 1.0
    environment = run["provenance"]["environment"]
    assert environment["name"] == "harness-chainer"
    assert any(p.startswith("numpy==1.") for p in environment["packages"])
    assert (home / "runs" / result.run_id / "outputs" / "model.npz").is_file()


def other_minor_python() -> str | None:
    """An interpreter of another minor version on this machine, if any."""
    import glob
    import shutil

    from harness.envs.python import installed_interpreters

    own = sys.version_info[:2]
    candidates = [i.path for i in installed_interpreters()]
    candidates += [shutil.which(f"python3.{minor}") or "" for minor in range(8, 16)]
    candidates += sorted(glob.glob(os.path.expanduser("~/.pyenv/versions/3.*/bin/python3.*[0-9]")))
    for path in candidates:
        if not path or not os.access(path, os.X_OK):
            continue
        out = subprocess.run(
            [path, "-c", "import sys; print(*sys.version_info[:2])"], capture_output=True, text=True
        )
        version = tuple(int(v) for v in out.stdout.split()) if out.returncode == 0 else ()
        if version and version != own and version >= (3, 10):
            return path
    return None


@pytest.mark.slow
def test_another_python_version_gets_the_harness_installed(home, src):
    python = other_minor_python()
    if python is None:
        pytest.skip("no interpreter of another minor version (>= 3.10) on this machine")
    result = train(
        home, src, "+estimator.environment.pip_packages=[tabulate==0.9.0]",
        f"+estimator.environment.python={python}",
    )  # fmt: skip
    assert result.returncode == 0, result.output
    seen = probe(home, result.run_id)
    assert seen["found"]["tabulate"] == "0.9.0"
    environment = record(home, result.run_id)["provenance"]["environment"]
    assert environment["python"] != sys.version.split()[0]
    # The harness and its core requirements are installed, not overlaid.
    assert any(p.startswith("hydra-core==") for p in environment["packages"])
    env_dir = Path(environment["path"])
    assert not list(env_dir.glob("lib/python*/site-packages/_harness_overlay.pth"))

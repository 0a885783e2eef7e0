"""The azureml layer's deployment names (InferenceConfig, Model.deploy, LocalWebservice,
AciWebservice, AksWebservice, Webservice, ws.webservices) as v1 notebooks call them,
against real service processes; and harness.sdk.service, the API beneath them."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

import pytest
from serving import copy_home, digits_rows, stop_all, train_and_register

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    home = tmp_path_factory.mktemp("webservice-template")
    train_and_register(home)
    return home


@pytest.fixture
def ws(azureml, home: Path, template: Path):
    copy_home(template, home)
    from azureml.core import Workspace

    yield Workspace.from_config()
    stop_all(home)


SCORE = """
import json, os
import joblib
import numpy as np
from azureml.core.model import Model

def init():
    global model
    print("init: loading", Model.get_model_path("digits"), flush=True)
    model = joblib.load(Model.get_model_path("digits"))

def run(raw_data):
    data = np.array(json.loads(raw_data)["data"])
    return {"version": VERSION, "predictions": model.predict(data).tolist()}

VERSION = 1
"""


def write_score(folder: Path, version: int = 1) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "score.py").write_text(
        textwrap.dedent(SCORE).replace("VERSION = 1", f"VERSION = {version}")
    )
    return folder


def test_v1_local_deployment_flow(ws, home: Path, tmp_path: Path, capsys):
    import requests
    from azureml.core.model import InferenceConfig, Model
    from azureml.core.webservice import LocalWebservice, Webservice

    src = write_score(tmp_path / "src")
    model = Model(ws, "digits")
    config = InferenceConfig(entry_script="score.py", source_directory=str(src))
    service = Model.deploy(
        ws, "digits-svc", [model], config, LocalWebservice.deploy_configuration(port=0)
    )
    assert isinstance(service, LocalWebservice)
    service.wait_for_deployment(show_output=True)
    assert "digits-svc: Healthy" in capsys.readouterr().out
    assert service.state == "Healthy"

    rows, labels = digits_rows(4)
    test = bytes(json.dumps({"data": rows}), encoding="utf8")  # the tutorial sends bytes
    assert service.run(input_data=test) == {"version": 1, "predictions": labels}
    resp = requests.post(
        service.scoring_uri,
        json.dumps({"data": rows}),
        headers={"Content-Type": "application/json"},
    )
    assert resp.status_code == 200 and resp.json()["predictions"] == labels
    logs = service.get_logs()
    assert (
        "init: loading " + str(home / "services" / "digits-svc" / "models" / "digits" / "1") in logs
    )

    assert list(ws.webservices) == ["digits-svc"]
    again = Webservice(ws, "digits-svc")
    assert isinstance(again, LocalWebservice) and again.scoring_uri == service.scoring_uri

    # reload: the entry script's folder is copied again and the service restarted
    write_score(src, version=2)
    service.reload(wait=True)
    assert service.run(json.dumps({"data": rows}))["version"] == 2
    assert requests.post(service.scoring_uri, json.dumps({"data": rows})).json()["version"] == 2

    service.delete()
    assert ws.webservices == {}
    assert not (home / "services" / "digits-svc").exists()


def test_aci_and_aks_deploy_locally_with_one_warning_and_keys(ws, tmp_path: Path, capsys):
    import requests
    from azureml.core.model import InferenceConfig, Model
    from azureml.core.webservice import AciWebservice, AksWebservice

    src = write_score(tmp_path / "src")
    config = InferenceConfig(entry_script="score.py", source_directory=str(src))
    aci = AciWebservice.deploy_configuration(
        cpu_cores=1, memory_gb=1, tags={"data": "digits"}, description="digits", auth_enabled=True
    )
    service = Model.deploy(ws, "aci-svc", [Model(ws, "digits")], config, aci)
    service.wait_for_deployment()
    err = capsys.readouterr().err
    assert err.count("ACI has no local counterpart") == 1
    assert isinstance(service, AciWebservice) and service.tags == {"data": "digits"}
    key, _ = service.get_keys()
    body = json.dumps({"data": digits_rows(1)[0]})
    assert requests.post(service.scoring_uri, body).status_code == 401
    ok = requests.post(service.scoring_uri, body, headers={"Authorization": "Bearer " + key})
    assert ok.status_code == 200
    assert service.run(body)["predictions"] == digits_rows(1)[1]  # run() sends the key

    aks = AksWebservice.deploy_configuration(cpu_cores=1, memory_gb=1)
    other = Model.deploy(ws, "aks-svc", [Model(ws, "digits")], config, aks)
    other.wait_for_deployment()
    assert "AKS has no local counterpart" in capsys.readouterr().err
    assert other.get_keys()[0]  # AKS services require their key by default, as in v1
    assert sorted(ws.webservices) == ["aci-svc", "aks-svc"]


def test_failed_deployment_raises_with_the_line_and_keeps_logs(ws, tmp_path: Path):
    from azureml.core.model import InferenceConfig, Model
    from azureml.core.webservice import LocalWebservice
    from azureml.exceptions import WebserviceException

    src = tmp_path / "src"
    src.mkdir()
    (src / "score.py").write_text(
        "def init():\n    raise ValueError('bad weights')\n\ndef run(d):\n    return d\n"
    )
    service = Model.deploy(
        ws, "bad", [Model(ws, "digits")], InferenceConfig("score.py", source_directory=str(src)),
        LocalWebservice.deploy_configuration(),
    )  # fmt: skip
    with pytest.raises(WebserviceException) as raised:
        service.wait_for_deployment(show_output=True)
    assert "score.py: init() failed: ValueError: bad weights" in str(raised.value)
    assert service.state == "Failed"
    assert "Traceback" in service.get_logs() and "bad weights" in service.get_logs()


def test_no_code_deployment_of_a_registered_framework_model(ws, home: Path, tmp_path: Path):
    import shutil

    from azureml.core.model import Model

    model_file = tmp_path / "sklearn_digits.pkl"
    shutil.copy(home / "models" / "digits" / "1" / "files" / "model.joblib", model_file)
    model = Model.register(ws, str(model_file), "clf", model_framework=Model.Framework.SCIKITLEARN)
    service = Model.deploy(ws, "clf-svc", [model])
    service.wait_for_deployment()
    rows, labels = digits_rows(3)
    assert service.run({"data": rows}) == labels
    # inside a score.py and outside, get_model_path names the model
    assert Model.get_model_path("clf").endswith("sklearn_digits.pkl")
    update_src = write_score(tmp_path / "src")
    from azureml.core.model import InferenceConfig

    (update_src / "score.py").write_text(
        (update_src / "score.py").read_text().replace('"digits"', '"clf"')
    )
    service.update(inference_config=InferenceConfig("score.py", source_directory=str(update_src)))
    assert service.run({"data": rows}) == {"version": 1, "predictions": labels}


def test_native_deploy_and_webservice(home: Path, template: Path, tmp_path: Path):
    from harness.sdk.service import ServiceRequestError, Webservice, deploy, list_services

    copy_home(template, home)
    try:
        service = deploy("native", ["digits:1"], workspace=home)
        assert service.state == "Healthy"
        rows, labels = digits_rows(2)
        assert service.run({"data": rows}) == labels
        with pytest.raises(ServiceRequestError, match="HTTP 400: the body is not JSON"):
            service.run("{no")
        assert [s["name"] for s in list_services(home)] == ["native"]
        assert Webservice("native", workspace=home).scoring_uri == service.scoring_uri
        service.delete()
        assert list_services(home) == []
        from harness import Model, Workspace

        ws = Workspace(home)
        other = Model.deploy(ws, "by-model", [Model(ws, "digits")], workers=2)
        assert other.state == "Healthy" and other.run({"data": rows}) == labels
        assert [m["name"] for m in other.models] == ["digits"]
    finally:
        stop_all(home)


#: A second version of the digits model whose answers differ from the first's: it
#: predicts the most frequent class of its training split for every row.
CONSTANT_MODEL = (
    "estimator.model._target_=sklearn.dummy.DummyClassifier",
    "~estimator.C",
    "~estimator.max_iter",
)


def constant_answer(home: Path, version: int) -> int:
    """The one class version ``version`` of the digits model predicts (read from the
    registered file, not from the service)."""
    import joblib

    model = joblib.load(home / "models" / "digits" / str(version) / "files" / "model.joblib")
    return int(model.predict([digits_rows(1)[0][0]])[0])


def test_v1_update_to_a_second_model_version(ws, home: Path, tmp_path: Path):
    """service.update(models=...) re-deploys on the same port with the new version:
    the answers change, the record and the service's folder name the new version;
    update(models=..., inference_config=...) changes both at once."""
    import requests
    from azureml.core.model import InferenceConfig, Model
    from azureml.core.webservice import LocalWebservice

    from harness.testing import run_cli

    train_and_register(home, *CONSTANT_MODEL)  # digits:2
    constant = constant_answer(home, 2)
    rows, labels = digits_rows(8)
    assert set(labels) != {constant}  # the two versions must answer differently
    src = write_score(tmp_path / "src")
    config = InferenceConfig(entry_script="score.py", source_directory=str(src))
    service = Model.deploy(
        ws, "upd", [Model(ws, "digits", version=1)], config,
        LocalWebservice.deploy_configuration(port=0),
    )  # fmt: skip
    service.wait_for_deployment()
    uri = service.scoring_uri
    assert service.run({"data": rows}) == {"version": 1, "predictions": labels}

    service.update(models=[Model(ws, "digits", version=2)], tags={"version": "2"})
    assert service.state == "Healthy" and service.scoring_uri == uri
    assert service.tags == {"version": "2"}
    answer = requests.post(uri, json.dumps({"data": rows})).json()
    assert answer == {"version": 1, "predictions": [constant] * len(rows)}
    assert [(m.name, m.version) for m in service.models] == [("digits", 2)]
    shown = run_cli("services", "show", "upd", "--format", "json", home=home).json()
    assert [(m["name"], m["version"]) for m in shown["models"]] == [("digits", 2)]
    registry = json.loads((home / "models" / "digits" / "2" / "model.json").read_text())
    assert shown["models"][0]["sha256"] == registry["sha256"]
    deployed = home / "services" / "upd" / "models" / "digits"
    assert sorted(p.name for p in deployed.iterdir()) == ["2"]
    assert "init: loading " + str(deployed / "2" / "model.joblib") in service.get_logs()

    # both at once: back to version 1, with a new entry script
    write_score(src, version=3)
    service.update(models=[Model(ws, "digits", version=1)], inference_config=config)
    assert service.run({"data": rows}) == {"version": 3, "predictions": labels}
    assert [(m.name, m.version) for m in service.models] == [("digits", 1)]


def test_a_refused_update_leaves_the_service_serving_as_it_was(ws, home: Path, tmp_path: Path):
    """The new version's file changed after registration: update() raises the one
    line before the service is stopped; it keeps serving version 1, its record says
    so, and nothing staged is left in its folder."""
    from azureml.core.model import InferenceConfig, Model
    from azureml.core.webservice import LocalWebservice
    from azureml.exceptions import WebserviceException

    train_and_register(home, *CONSTANT_MODEL)  # digits:2
    src = write_score(tmp_path / "src")
    service = Model.deploy(
        ws, "keep", [Model(ws, "digits", version=1)],
        InferenceConfig(entry_script="score.py", source_directory=str(src)),
        LocalWebservice.deploy_configuration(port=0),
    )  # fmt: skip
    service.wait_for_deployment()
    pid = service.serialize()["pid"]
    with (home / "models" / "digits" / "2" / "files" / "model.joblib").open("ab") as file:
        file.write(b"tampered")
    with pytest.raises(WebserviceException) as raised:
        service.update(models=[Model(ws, "digits", version=2)])
    assert "model digits:2: model.joblib does not match the SHA-256" in str(raised.value)
    rows, labels = digits_rows(4)
    assert service.state == "Healthy" and service.serialize()["pid"] == pid
    assert service.run({"data": rows}) == {"version": 1, "predictions": labels}
    assert [(m.name, m.version) for m in service.models] == [("digits", 1)]
    folder = home / "services" / "keep"
    assert sorted(p.name for p in folder.iterdir() if p.name.startswith(".staging")) == []
    assert sorted(p.name for p in (folder / "models" / "digits").iterdir()) == ["1"]


def test_native_update_to_a_second_model_version(home: Path, template: Path):
    """harness.sdk.service's Webservice.update, beneath v1's: a no-code service moves
    to version 2 on its port (the answers change, the record names it), and an unknown
    setting is one line that changes nothing."""
    from harness.errors import HarnessError
    from harness.sdk.service import Webservice, deploy

    copy_home(template, home)
    try:
        train_and_register(home, *CONSTANT_MODEL)  # digits:2
        constant = constant_answer(home, 2)
        rows, labels = digits_rows(8)
        service = deploy("native-upd", ["digits:1"], workspace=home)
        uri = service.scoring_uri
        assert service.run({"data": rows}) == labels
        service.update(["digits:2"], tags={"stage": "two"})
        again = Webservice("native-upd", workspace=home)
        assert again.state == "Healthy" and again.scoring_uri == uri
        assert again.run({"data": rows}) == [constant] * len(rows)
        assert [(m["name"], m["version"]) for m in again.models] == [("digits", 2)]
        assert again.tags == {"stage": "two"}
        with pytest.raises(HarnessError, match="update\\(\\) has no setting port; it takes"):
            again.update(["digits:1"], port=1234)
        assert again.run({"data": rows}) == [constant] * len(rows)
    finally:
        stop_all(home)

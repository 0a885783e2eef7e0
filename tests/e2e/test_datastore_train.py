"""Training jobs read datastore paths through `${datastore:...}`: resolved in the
driver before the job starts, recorded in the run's provenance."""

from __future__ import annotations

import hashlib
import json

import numpy as np

from harness.testing import run_cli


def write_csv(folder, rows=120):
    rng = np.random.default_rng(0)
    features = rng.normal(size=(rows, 3))
    labels = (features[:, 0] + features[:, 1] > 0).astype(int)
    folder.mkdir(parents=True, exist_ok=True)
    lines = ["a,b,c,label"] + [
        ",".join(f"{v:.5f}" for v in row) + f",{label}"
        for row, label in zip(features, labels, strict=True)
    ]
    (folder / "data.csv").write_text("\n".join(lines) + "\n")
    return folder / "data.csv"


def upload_csv(home, tmp_path):
    csv = write_csv(tmp_path / "mycsv")
    result = run_cli(
        "datastore", "upload", str(csv.parent), "--target", "datasets/mycsv",
        "--hash", "sha256",  # the manifest hash below is spelled out with SHA-256
        home=home,
    )  # fmt: skip
    assert result.returncode == 0, result.output
    return csv


def show(home, run_id):
    result = run_cli("runs", "show", run_id, "--format", "json", home=home)
    assert result.returncode == 0, result.output
    return result.json()


def test_sklearn_reads_a_mounted_datastore_csv(home, tmp_path):
    csv = upload_csv(home, tmp_path)
    # Exactly as documented for a shell: the override in single quotes.
    result = run_cli("train", "estimator.data.path=${datastore:datasets/mycsv/data.csv}", home=home)
    assert result.returncode == 0, result.output
    run = show(home, result.run_id)
    stored = home / "datastores" / "default" / "datasets" / "mycsv" / "data.csv"
    assert run["params"]["estimator"]["data"]["path"] == str(stored)
    assert run["metrics"]["n_train"] == 90  # 120 rows of our CSV, not digits
    assert run["overrides"] == ["estimator.data.path=${datastore:datasets/mycsv/data.csv}"]
    (used,) = run["provenance"]["datastores"]
    assert used["datastore"] == "default" and used["type"] == "local"
    assert used["path"] == "datasets/mycsv/data.csv" and used["mode"] == "mount"
    digest = hashlib.sha256(csv.read_bytes()).hexdigest()
    line = f"data.csv\0{csv.stat().st_size}\0{digest}\n".encode()
    assert used["manifest_sha256"] == hashlib.sha256(line).hexdigest()


def test_download_mode_caches_by_content_and_reuses(home, tmp_path):
    upload_csv(home, tmp_path)
    value = "estimator.data.path=${datastore:datasets/mycsv/data.csv,download}"
    first = run_cli("train", value, home=home)
    assert first.returncode == 0, first.output
    second = run_cli("train", value, home=home)
    assert second.returncode == 0, second.output
    used1 = show(home, first.run_id)["provenance"]["datastores"][0]
    used2 = show(home, second.run_id)["provenance"]["datastores"][0]
    assert used1["mode"] == "download" and used1["cached"] is False
    assert used2["cached"] is True and used2["local_path"] == used1["local_path"]
    cache = home / "cache" / "inputs"
    assert used1["local_path"] == str(cache / used1["manifest_sha256"] / "data.csv")
    assert [p.name for p in cache.iterdir()] == [used1["manifest_sha256"]]


def test_a_missing_datastore_path_fails_before_the_job_starts(home, tmp_path):
    upload_csv(home, tmp_path)
    result = run_cli("train", "estimator.data.path=${datastore:datasets/nope.csv}", home=home)
    assert result.returncode == 2, result.output
    assert "datastore 'default' has nothing at 'datasets/nope.csv'" in result.stderr
    assert "Traceback" not in result.stderr and "run id:" not in result.stdout
    assert not (home / "runs").exists() or not list((home / "runs").iterdir())

    other = run_cli("train", "estimator.data.path=${datastore:elsewhere:x.csv}", home=home)
    assert other.returncode == 2 and "unknown datastore 'elsewhere'" in other.stderr
    bad_mode = run_cli(
        "train", "estimator.data.path=${datastore:datasets/mycsv/data.csv,copy}", home=home
    )
    assert bad_mode.returncode == 2 and "mode 'copy'" in bad_mode.stderr
    escape = run_cli("train", "estimator.data.path=${datastore:../../etc/passwd}", home=home)
    assert escape.returncode == 2 and "contains '..'" in escape.stderr


def test_named_datastore_in_the_resolver(home, tmp_path):
    folder = tmp_path / "shared"
    assert run_cli("datastore", "add", "shared", str(folder), home=home).returncode == 0
    csv = write_csv(tmp_path / "src")
    up = run_cli("datastore", "upload", str(csv.parent), "-t", "tab", "-d", "shared", home=home)
    assert up.returncode == 0, up.output
    result = run_cli("train", "estimator.data.path=${datastore:shared:tab/data.csv}", home=home)
    assert result.returncode == 0, result.output
    run = show(home, result.run_id)
    assert run["params"]["estimator"]["data"]["path"] == str(folder / "tab" / "data.csv")
    assert run["provenance"]["datastores"][0]["datastore"] == "shared"
    assert json.dumps(run["provenance"]["datastores"]).count("shared") >= 1


SCRIPT = """\
import argparse, os
from harness import Run

parser = argparse.ArgumentParser()
parser.add_argument("--data_path", required=True)
args = parser.parse_args()
names = sorted(os.listdir(args.data_path))
rows = sum(1 for _ in open(os.path.join(args.data_path, "data.csv"))) - 1
print("DATA_PATH", args.data_path, names)
Run.get_context().log("rows", rows)
"""


def test_script_mode_gets_the_datastore_path_as_an_argument(home, tmp_path):
    upload_csv(home, tmp_path)
    src = tmp_path / "src"
    src.mkdir()
    (src / "train.py").write_text(SCRIPT)
    result = run_cli(
        "train",
        "+estimator=script",
        f"estimator.source_directory={src}",
        "estimator.entry_script=train.py",
        "+estimator.script_params.data_path=${datastore:datasets/mycsv}",
        home=home,
    )
    assert result.returncode == 0, result.output
    stored = home / "datastores" / "default" / "datasets" / "mycsv"
    assert f"DATA_PATH {stored} ['data.csv']" in result.stdout
    run = show(home, result.run_id)
    assert run["metrics"]["rows"] == 120
    assert run["provenance"]["datastores"][0]["path"] == "datasets/mycsv"

"""MLflow's side of bench_ui.py: the same runs in an MLflow SQLite tracking store,
served by the real `mlflow server`, asked what the harness pages ask.

The store's schema is made by MLflow itself (``SqlAlchemyStore`` runs its
migrations) and its experiments through its own API; the runs go in with many-row
INSERTs into MLflow's own tables, named by its schema classes, as
harness/plugins/loggers/mlflow_sql.py does (100,000 runs through ``MlflowClient``
would take hours). ``check_store`` then reads the answer back through
``MlflowClient.search_runs``, so the figures time a correct answer.

MLflow's filter language has no numeric comparison of params (they are strings:
``=``, ``!=``, ``LIKE``, ``ILIKE``) and no ``or``, so ``params.lr < 0.01`` is asked
as ``params.lr LIKE '0.00%'``, which selects the same runs of this data (0.001 and
0.005 of 0.001, 0.005, 0.01, 0.05, 0.1).
"""

from __future__ import annotations

import hashlib
import itertools
import json
import os
import socket
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from _ui_workspace import LONG_EXPERIMENT, LONG_ID, Spec, long_curve

FILTER = "metrics.accuracy > 0.5 and params.lr LIKE '0.00%'"
ORDER_BY = ["metrics.accuracy DESC"]
METRICS = ("accuracy", "loss", "f1")


@dataclass
class Store:
    uri: str
    folder: Path
    experiment_ids: dict[str, str]
    uuids: dict[str, str]  # harness run id -> MLflow run id
    written_s: float

    @property
    def long_uuid(self) -> str:
        return self.uuids[LONG_ID]


def uuid_of(run_id: str) -> str:
    return hashlib.md5(run_id.encode()).hexdigest()


def _inserter(conn: Any, table: Any) -> Any:
    """``rows -> None`` for one of MLflow's tables: many rows per INSERT, tuples in
    the table's column order (SQLite allows 32,766 variables per statement)."""
    import sqlalchemy as sa

    columns = [c.name for c in table.columns]
    statement = sa.insert(table).values({c: sa.bindparam(c) for c in columns})
    compiled = statement.compile(dialect=conn.dialect)
    order = list(compiled.positiontup or ())
    assert sorted(order) == sorted(columns), (order, columns)
    head, _, _ = str(compiled).partition(" VALUES ")
    group = "(" + ", ".join("?" * len(order)) + ")"
    per = 30_000 // len(order)

    def insert(rows: list[dict[str, Any]]) -> None:
        for start in range(0, len(rows), per):
            chunk = rows[start : start + per]
            sql = f"{head} VALUES {', '.join(itertools.repeat(group, len(chunk)))}"
            args = tuple(itertools.chain.from_iterable([r[c] for c in order] for r in chunk))
            conn.exec_driver_sql(sql, args)

    return insert


def write_store(folder: Path, specs: list[Spec], long_points: int) -> Store:
    from mlflow.store.tracking.dbmodels import models as m
    from mlflow.store.tracking.sqlalchemy_store import SqlAlchemyStore

    folder.mkdir(parents=True)
    uri = f"sqlite:///{folder / 'mlflow.db'}"
    artifacts = (folder / "artifacts").as_uri()
    started = time.perf_counter()
    store = SqlAlchemyStore(uri, artifacts)  # MLflow's schema, by its own migrations
    names = sorted({s.experiment for s in specs} | {LONG_EXPERIMENT})
    ids = {name: store.create_experiment(name) for name in names}
    uuids = {s.id: uuid_of(s.id) for s in specs} | {LONG_ID: uuid_of(LONG_ID)}
    runs, params, metrics, latest, tags = [], [], [], [], []
    for s in specs:
        run_uuid, start_ms = uuids[s.id], int(s.created_s * 1000)
        runs.append(_run_row(s.id, run_uuid, ids[s.experiment], start_ms, artifacts))
        for key, value in (("lr", s.lr), ("estimator.C", s.C), ("seed", s.seed)):
            params.append({"key": key, "value": str(value), "run_uuid": run_uuid})
        for key, value in zip(METRICS, (s.accuracy, s.loss, s.f1), strict=True):
            row = {"key": key, "value": value, "timestamp": start_ms + 4000, "step": 0,
                   "is_nan": False, "run_uuid": run_uuid}  # fmt: skip
            metrics.append(row)
            latest.append(row)
        for key, value in (("batch", s.batch), ("mlflow.runName", s.id), ("mlflow.user", "bench")):
            tags.append({"key": key, "value": value, "run_uuid": run_uuid})
    long_uuid, long_ms = uuids[LONG_ID], 4102444799000
    runs.append(_run_row(LONG_ID, long_uuid, ids[LONG_EXPERIMENT], long_ms, artifacts))
    tags.append({"key": "mlflow.runName", "value": LONG_ID, "run_uuid": long_uuid})
    with store.engine.begin() as conn:
        for table, rows in ((m.SqlRun, runs), (m.SqlParam, params), (m.SqlMetric, metrics),
                            (m.SqlLatestMetric, latest), (m.SqlTag, tags)):  # fmt: skip
            _inserter(conn, table.__table__)(rows)
        insert_metric = _inserter(conn, m.SqlMetric.__table__)
        last = None
        for steps, values, times in long_curve(long_points):
            rows = [
                {"key": "loss", "value": v, "timestamp": int(t * 1000), "step": s,
                 "is_nan": False, "run_uuid": long_uuid}
                for s, v, t in zip(steps, values, times, strict=True)
            ]  # fmt: skip
            insert_metric(rows)
            last = rows[-1]
        if last is not None:
            _inserter(conn, m.SqlLatestMetric.__table__)([last])
    store.engine.dispose()
    return Store(uri, folder, ids, uuids, time.perf_counter() - started)


def _run_row(name: str, run_uuid: str, experiment_id: str, start_ms: int, root: str) -> dict:
    return {
        "run_uuid": run_uuid, "name": name, "source_type": "LOCAL", "source_name": "",
        "entry_point_name": "", "user_id": "bench", "status": "FINISHED",
        "start_time": start_ms, "end_time": start_ms + 5000, "deleted_time": None,
        "source_version": "", "lifecycle_stage": "active",
        "artifact_uri": f"{root}/{experiment_id}/{run_uuid}/artifacts",
        "experiment_id": int(experiment_id),
    }  # fmt: skip


def check_store(
    store: Store, specs: list[Spec], long_points: int, total: int, top: list[str]
) -> None:
    """What ``MlflowClient`` reads back is the expected answer: the count of the
    filter, the first page's order and each of its runs' values."""
    from mlflow import MlflowClient

    client = MlflowClient(tracking_uri=store.uri)
    experiments = list(store.experiment_ids.values())
    page = client.search_runs(experiments, FILTER, order_by=ORDER_BY, max_results=len(top))
    by_uuid = {store.uuids[s.id]: s for s in specs}
    got = [by_uuid[r.info.run_id].id for r in page]
    assert got == top, f"MLflow's first page differs: {got[:3]} … against {top[:3]} …"
    for run in page:
        s = by_uuid[run.info.run_id]
        want_metrics = dict(zip(METRICS, (s.accuracy, s.loss, s.f1), strict=True))
        assert run.data.metrics == want_metrics, (run.data.metrics, want_metrics)
        assert run.data.params == {"lr": str(s.lr), "estimator.C": str(s.C), "seed": str(s.seed)}
        assert run.data.tags["batch"] == s.batch and run.info.status == "FINISHED"
    matched, token = 0, None
    while True:
        found = client.search_runs(experiments, FILTER, max_results=50_000, page_token=token)
        matched += len(found)
        token = found.token
        if not token:
            break
    assert matched == total, f"MLflow matched {matched} runs, not {total}"
    if long_points:
        *_, (steps, values, _) = long_curve(long_points)
        long_run = client.get_run(store.long_uuid)
        assert long_run.data.metrics == {"loss": values[-1]}, long_run.data.metrics


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def start_server(store: Store, log: Path) -> tuple[subprocess.Popen[bytes], str]:
    """The real `mlflow server` on the store, MLflow's defaults otherwise (4 workers)
    but for its job runner (huey consumers for GenAI jobs, off: 7 more processes
    that serve no tracking request)."""
    port = free_port()
    exe = str(Path(sys.executable).with_name("mlflow"))
    cmd = [exe, "server", "--backend-store-uri", store.uri, "--host", "127.0.0.1",
           "--port", str(port), "--default-artifact-root", (store.folder / "artifacts").as_uri()]  # fmt: skip
    with open(log, "ab") as out:
        proc = subprocess.Popen(
            cmd,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
            env={**os.environ, "MLFLOW_SERVER_ENABLE_JOB_EXECUTION": "false"},
        )
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 180
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"mlflow server exited {proc.returncode}: {log.read_text()[-2000:]}")
        try:
            with urllib.request.urlopen(base + "/health", timeout=5) as response:
                if response.status == 200:
                    return proc, base
        except OSError:
            time.sleep(0.5)
    stop(proc)
    raise RuntimeError("mlflow server did not answer /health in 180 s")


def stop(proc: subprocess.Popen[bytes]) -> None:
    """The server and its workers (its own process group)."""
    import signal

    if proc.poll() is None:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(20)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(10)


def request(
    url: str, body: dict[str, Any] | None = None, timeout: float = 300
) -> tuple[float, Any]:
    """(seconds, the decoded answer) of one GET, or POST of ``body``."""
    data = None if body is None else json.dumps(body).encode()
    req = urllib.request.Request(url, data=data, headers={"Content-Type": "application/json"})
    started = time.perf_counter()
    with urllib.request.urlopen(req, timeout=timeout) as response:
        raw = response.read()
    seconds = time.perf_counter() - started
    return seconds, json.loads(raw)


def runs_page_body(store: Store, limit: int) -> dict[str, Any]:
    return {
        "experiment_ids": list(store.experiment_ids.values()),
        "filter": FILTER,
        "order_by": ORDER_BY,
        "max_results": limit,
    }


def compare_requests(store: Store, ids: list[str], points: int) -> list[tuple[str, Any]]:
    """What a compare of these runs asks MLflow: their params and metrics (one
    search by run id), then each metric's curves for all of them at once, sampled
    to ``points`` per run (the batch endpoint MLflow's charts use)."""
    from urllib.parse import urlencode

    uuids = [store.uuids[i] for i in ids]
    quoted = ", ".join(f"'{u}'" for u in uuids)
    search = {
        "experiment_ids": list(store.experiment_ids.values()),
        "filter": f"attributes.run_id IN ({quoted})",
        "max_results": len(uuids),
    }
    out: list[tuple[str, Any]] = [("/api/2.0/mlflow/runs/search", search)]
    for key in METRICS:
        query = urlencode({"run_ids": uuids, "metric_key": key, "max_results": points}, doseq=True)
        out.append((f"/ajax-api/2.0/mlflow/metrics/get-history-bulk-interval?{query}", None))
    return out

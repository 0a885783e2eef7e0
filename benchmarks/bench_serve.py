"""Serving claim: `harness models serve` against `mlflow models serve`, side by side.

The model: the default `harness train` (scikit-learn LogisticRegression on digits),
registered as `digits` and served by its estimator (no score.py); the very same
fitted object saved with `mlflow.sklearn.save_model` for MLflow. Both servers run
at once on this machine, one worker each, and get the same requests from the same
client (`http.client`, one keep-alive connection per client thread) on MLflow's
`/invocations` with a `dataframe_split` body:

- latency of one row: p50 and p99 over sequential requests, the two servers
  alternated in blocks;
- throughput: requests/s for batches of 1 and 100 rows at concurrency 1 and 8
  (client threads), each point a fixed time window, alternated;
- start-up: from starting the command to the first healthy answer to `GET /ping`
  (polled every 10 ms), alternated; the harness's command returns once the service
  is Healthy, MLflow's keeps running.

MLflow runs with `--env-manager local` (in this environment): its default builds a
virtualenv with pyenv, which cannot run here (no internet beyond PyPI, no pyenv).
Targets (issue 24): p50 ≤ 5 ms for one row; throughput ≥ MLflow's at every point;
start-up ≤ MLflow's. The machine is shared: the 1-minute load average is recorded.
"""

from __future__ import annotations

import http.client
import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

from _common import parser, record, stats

HARNESS = str(Path(sys.executable).with_name("harness"))
MLFLOW = str(Path(sys.executable).with_name("mlflow"))


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def body(rows: int) -> bytes:
    from sklearn.datasets import load_digits

    features, _ = load_digits(return_X_y=True)
    data = features[:rows].tolist()
    columns = [str(i) for i in range(64)]
    return json.dumps({"dataframe_split": {"columns": columns, "data": data}}).encode()


class Client:
    """One keep-alive connection: POST /invocations, check the answer."""

    def __init__(self, port: int) -> None:
        self.connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)

    def post(self, payload: bytes) -> None:
        self.connection.request(
            "POST", "/invocations", payload, {"Content-Type": "application/json"}
        )
        response = self.connection.getresponse()
        answer = response.read()
        if response.status != 200:
            raise RuntimeError(f"HTTP {response.status}: {answer[:200]!r}")

    def close(self) -> None:
        self.connection.close()


def healthy(port: int) -> bool:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=1)
    try:
        connection.request("GET", "/ping")
        return connection.getresponse().status == 200
    except OSError:
        return False
    finally:
        connection.close()


def wait_healthy(
    port: int, started: float, proc: subprocess.Popen[bytes], timeout: float = 180
) -> float:
    while time.perf_counter() - started < timeout:
        if healthy(port):
            return time.perf_counter() - started
        if proc.poll() not in (None, 0):
            raise RuntimeError(f"{proc.args[:3]} exited {proc.returncode} before it was healthy")
        time.sleep(0.01)
    raise RuntimeError(f"nothing healthy on port {port} after {timeout} s")


# -- the two servers ---------------------------------------------------------------------
class HarnessServer:
    name = "harness models serve"

    def __init__(self, home: Path) -> None:
        self.env = {**os.environ, "HARNESS_HOME": str(home)}
        self.port = 0

    def start(self) -> float:
        self.port = free_port()
        started = time.perf_counter()
        proc = subprocess.Popen(
            [HARNESS, "models", "serve", "digits", "--name", "bench", "--port", str(self.port)],
            env=self.env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
        )  # fmt: skip
        took = wait_healthy(self.port, started, proc)
        if proc.wait(120) != 0:
            raise RuntimeError(f"harness models serve failed: {proc.stderr.read()!r}")
        return took

    def stop(self) -> None:
        subprocess.run(
            [HARNESS, "services", "delete", "bench", "--yes"],
            env=self.env, check=True, capture_output=True,
        )  # fmt: skip


class MlflowServer:
    name = "mlflow models serve"

    def __init__(self, model_dir: Path) -> None:
        self.model_dir = model_dir
        # `mlflow models serve` runs `uvicorn` from PATH: this environment's bin folder.
        path = f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}"
        self.env = {**os.environ, "PATH": path}
        self.proc: subprocess.Popen[bytes] | None = None
        self.port = 0

    def start(self) -> float:
        self.port = free_port()
        started = time.perf_counter()
        self.proc = subprocess.Popen(
            [MLFLOW, "models", "serve", "-m", str(self.model_dir), "-h", "127.0.0.1",
             "-p", str(self.port), "-w", "1", "--env-manager", "local"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True,
            env=self.env,
        )  # fmt: skip
        return wait_healthy(self.port, started, self.proc)

    def stop(self) -> None:
        if self.proc is not None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(30)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait()
            self.proc = None


# -- measurements -------------------------------------------------------------------------
def latencies(port: int, payload: bytes, count: int) -> list[float]:
    client = Client(port)
    samples = []
    try:
        for _ in range(count):
            started = time.perf_counter()
            client.post(payload)
            samples.append((time.perf_counter() - started) * 1000)
    finally:
        client.close()
    return samples


def throughput(port: int, payload: bytes, threads: int, seconds: float) -> float:
    """Requests per second from ``threads`` clients posting for ``seconds``."""
    done = [0] * threads
    stop = threading.Event()
    errors: list[BaseException] = []

    def work(index: int) -> None:
        client = Client(port)
        try:
            while not stop.is_set():
                client.post(payload)
                done[index] += 1
        except BaseException as exc:  # reported below, not lost in a thread
            errors.append(exc)
        finally:
            client.close()

    workers = [threading.Thread(target=work, args=(i,)) for i in range(threads)]
    started = time.perf_counter()
    for worker in workers:
        worker.start()
    time.sleep(seconds)
    stop.set()
    for worker in workers:
        worker.join()
    if errors:
        raise RuntimeError(f"client error: {errors[0]}")
    return sum(done) / (time.perf_counter() - started)


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q / 100 * (len(ordered) - 1))))]


def prepare(home: Path, model_dir: Path) -> None:
    env = {**os.environ, "HARNESS_HOME": str(home)}
    trained = subprocess.run(
        [HARNESS, "train"], env=env, capture_output=True, text=True, check=True
    )
    run_id = next(
        ln.split(":", 1)[1].strip()
        for ln in trained.stdout.splitlines()
        if ln.startswith("run id:")
    )
    subprocess.run(
        [HARNESS, "models", "register", "digits", "--run", run_id, "--path", "outputs/model.joblib"],
        env=env, check=True, capture_output=True,
    )  # fmt: skip
    import joblib
    import mlflow.sklearn

    model = joblib.load(home / "models" / "digits" / "1" / "files" / "model.joblib")
    mlflow.sklearn.save_model(model, str(model_dir), pip_requirements=["scikit-learn"])


def main() -> None:
    opts = parser(__doc__).parse_args()
    starts = 1 if opts.quick else 5
    count = 200 if opts.quick else 2000
    window = 1.0 if opts.quick else 5.0
    blocks = 2 if opts.quick else 4
    with tempfile.TemporaryDirectory(prefix="bench-serve-") as tmp:
        home, model_dir = Path(tmp) / "home", Path(tmp) / "mlflow-model"
        print("training and registering the digits model ...", file=sys.stderr)
        prepare(home, model_dir)
        servers: list[Any] = [HarnessServer(home), MlflowServer(model_dir)]
        load_before = os.getloadavg()[0]
        startup: dict[str, list[float]] = {s.name: [] for s in servers}
        try:
            for round_no in range(starts):
                for server in servers if round_no % 2 == 0 else servers[::-1]:
                    startup[server.name].append(server.start())
                    if round_no < starts - 1:
                        server.stop()  # the last round's servers are measured below
            one, hundred = body(1), body(100)
            lat: dict[str, list[float]] = {s.name: [] for s in servers}
            for server in servers:
                latencies(server.port, one, 50)  # warm: imports, first-call paths
            for round_no in range(blocks):
                for server in servers if round_no % 2 == 0 else servers[::-1]:
                    lat[server.name] += latencies(server.port, one, count // blocks)
            points: dict[str, dict[str, float]] = {}
            for rows, payload in ((1, one), (100, hundred)):
                for threads in (1, 8):
                    key = f"batch{rows}_concurrency{threads}"
                    points[key] = {}
                    for server in servers if threads == 1 else servers[::-1]:
                        points[key][server.name] = throughput(server.port, payload, threads, window)
        finally:
            for server in servers:
                server.stop()
    h, m = (s.name for s in servers)
    figures = {
        "latency_ms_one_row": {
            name: {"p50": percentile(v, 50), "p99": percentile(v, 99), "n": len(v)}
            for name, v in lat.items()
        },
        "throughput_requests_per_s": points,
        "throughput_ratio_harness_to_mlflow": {k: v[h] / v[m] for k, v in points.items()},
        "startup_to_first_healthy_s": {name: stats(v) for name, v in startup.items()},
        "mlflow_env_manager": "local",
        "workers": 1,
        "targets": {"p50_ms": 5, "throughput_ratio_min": 1.0, "startup": "<= mlflow"},
        "loadavg_1min": {"before": load_before, "after": os.getloadavg()[0]},
        "cpus": os.cpu_count(),
    }
    record(opts.results, "serve", figures, opts.quick)


if __name__ == "__main__":
    main()

"""Dashboard claim: with 10,000 runs, the runs page's data comes back in < 0.2 s.

A workspace of 10,000 completed runs is written through the store API (as
`bench_runstore.py` does). The real `harness ui` server is started on it, and the
runs page's requests are timed over HTTP, as the browser makes them:
- the default page (newest 50), the same sorted by a metric, filtered by
  experiment, a free-text search over params, and a late page (offset 9,000);
- the first request after start (the server reads every run.json once: cold);
- beside it, `harness runs list --format json --limit 50` (a fresh CLI process with
  its own stat-validated index), the CLI's way to the same 50 objects.
Alternated in one run; median and min–max recorded.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

from _common import alternate, parser, record, stats, time_command
from bench_runstore import make_workspace

PAGES = {
    "newest 50": "/api/runs",
    "sorted by accuracy": "/api/runs?sort=accuracy",
    "experiment filter": "/api/runs?experiment=exp3",
    "search params": "/api/runs?q=seed=77",
    "page at offset 9000": "/api/runs?offset=9000",
}


def fetch(url: str) -> float:
    started = time.perf_counter()
    with urllib.request.urlopen(url, timeout=60) as response:
        response.read()
    return time.perf_counter() - started


def start_server(home: Path) -> tuple[subprocess.Popen[str], str]:
    exe = str(Path(sys.executable).with_name("harness"))
    env = {**os.environ, "HARNESS_HOME": str(home)}
    proc = subprocess.Popen(
        [exe, "ui", "--port", "5990"], env=env, stdout=subprocess.PIPE, text=True
    )
    assert proc.stdout is not None
    for line in proc.stdout:
        found = re.search(r"(http://\S+?)/\?token=", line)
        if found:
            return proc, found.group(1)
    raise RuntimeError("harness ui printed no URL")


def main() -> None:
    opts = parser(__doc__).parse_args()
    runs = 1_000 if opts.quick else 10_000
    repeats = 3 if opts.quick else 15
    with tempfile.TemporaryDirectory(prefix="bench-ui-") as tmp:
        home = Path(tmp) / "home"
        print(f"writing {runs} runs through the store API ...", file=sys.stderr)
        made_s = make_workspace(home, runs)
        load_before = os.getloadavg()[0]  # the machine is shared: say how busy it was
        proc, base = start_server(home)
        try:
            cold = fetch(base + "/api/runs")
            exe = str(Path(sys.executable).with_name("harness"))
            env = {**os.environ, "HARNESS_HOME": str(home)}
            cli = [exe, "runs", "list", "--format", "json", "--limit", "50"]
            time_command(cli, env)  # the CLI's own index, built once
            sides = {name: (lambda path=path: fetch(base + path)) for name, path in PAGES.items()}
            sides["CLI: runs list --format json --limit 50"] = lambda: time_command(cli, env)
            samples = alternate(sides, repeats)
        finally:
            proc.terminate()
            proc.wait(10)
    figures = {
        "runs": runs,
        "workspace_written_s": made_s,
        "first_request_after_start_s": cold,
        "page_data_s": {name: stats(values) for name, values in samples.items()},
        "target_s": 0.2,
        "loadavg_1min": {"before": load_before, "after": os.getloadavg()[0]},
        "cpus": os.cpu_count(),
    }
    record(opts.results, "ui_runs_page", figures, opts.quick)


if __name__ == "__main__":
    main()

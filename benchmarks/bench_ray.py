"""Ray: the per-job overhead of ``compute=ray`` and a 16-job sweep on the Ray launcher.

Both on a real two-node Ray cluster started on this machine
(``harness.testing.ray_cluster``: a head and a worker node, one CPU each).

- Per job: the same work (LogisticRegression on iris, the sklearn estimator's
  fit) as ``harness train compute=ray`` placed on the worker node, against plain
  Ray doing it on the same node: (a) a Ray task submitted from a driver that is
  already connected (Ray's own floor), and (b) a plain Ray script per job as one
  would type it (``python job.py``: start Python, ``ray.init``, run the task,
  print the score). The harness's figure includes everything it adds: Hydra
  composition, the run record, validation against the cluster, the actor, the
  worker process, live polling and the run folder coming back.
- Sweep: 16 small jobs as one ``harness train -m`` sweep with ``hydra/launcher=ray``
  (2 CPUs in the cluster: 2 jobs at a time) against ``hydra/launcher=joblib
  hydra.launcher.n_jobs=2`` on this machine, alternated. With them, the floor: a
  plain Ray driver that runs one no-op task on each of its two workers against
  plain joblib doing the same; the difference is what any Ray driver pays
  (``import ray``, connecting, its workers' start, disconnecting), and
  ``floor_ratio_ray_vs_joblib`` the ratio a Ray sweep would have with nothing more.

Targets (issue 29): compute=ray ≤ the plain script + 1 s; the sweep ≤ 1.1× joblib.

    python benchmarks/bench_ray.py [--quick] [--rounds N]     # ~80 s at 5 rounds, quiet 2 cores
    python benchmarks/bench_ray.py --sweep-only --rounds 6    # the sweep part alone
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

from _common import alternate, paired, parser, record, rounds, scratch_dir, stats, time_command

from harness.testing.ray_cluster import ClusterUnavailable, local_ray_cluster

WORK = """
from sklearn.datasets import load_iris
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import train_test_split

def fit():
    x, y = load_iris(return_X_y=True)
    xt, xv, yt, yv = train_test_split(x, y, random_state=0)
    return LogisticRegression(max_iter=200).fit(xt, yt).score(xv, yv)
"""

PLAIN_SCRIPT = (
    "import logging, ray\n"
    + WORK
    + "ray.init(address='auto', logging_level=logging.WARNING, log_to_driver=False)\n"
    "print(ray.get(ray.remote(fit).options(resources={'worker_node': 1}).remote()))\n"
)

# The floor of the sweep comparison: what any Ray driver pays that a joblib one does
# not, for the same two slots and nothing in them. Each script starts Python, gets
# its two workers, runs one no-op task on each and exits, as a sweep's process does
# around its jobs (the jobs themselves cost the same on both launchers: traced in
# benchmarks/README.md). It leaves with ray.shutdown(): Ray's own exit hook first
# sleeps 0.5 s for output in flight, which the floor should not count (the
# harness's launcher leaves the same way).
RAY_NOOP_SCRIPT = (
    "import logging, ray\n"
    "ray.init(address='auto', logging_level=logging.WARNING, log_to_driver=False)\n"
    "noop = ray.remote(num_cpus=1, scheduling_strategy='SPREAD')(lambda: None)\n"
    "ray.get([noop.remote() for _ in range(2)])\n"
    "ray.shutdown()\n"
)
JOBLIB_NOOP_SCRIPT = (
    "from joblib import Parallel, delayed\nParallel(n_jobs=2)(delayed(abs)(i) for i in range(2))\n"
)

C_VALUES = [f"{0.01 * 2**i:g}" for i in range(16)]


def harness() -> str:
    return str(Path(sys.executable).with_name("harness"))


def warm_task_timer(address: str):
    """Seconds per plain Ray task from this (already connected) process."""
    import logging

    import ray

    ray.init(address=address, logging_level=logging.WARNING, log_to_driver=False)
    namespace: dict[str, object] = {}
    exec(WORK, namespace)
    task = ray.remote(namespace["fit"]).options(resources={"worker_node": 1})
    ray.get(task.remote())  # the worker process exists afterwards, as in a busy cluster

    def timed() -> float:
        started = time.perf_counter()
        ray.get(task.remote())
        return time.perf_counter() - started

    return timed


def main() -> None:
    cli = parser(__doc__)
    cli.add_argument(
        "--sweep-only",
        action="store_true",
        help="only the sweep comparison, --rounds rounds of it (not halved)",
    )
    opts = cli.parse_args()
    repeats = rounds(opts, 1, 5)
    sweep_jobs = 2 if opts.quick else 16
    load_before = os.getloadavg()[0]
    try:
        with local_ray_cluster() as cluster:
            env = {**os.environ, **cluster.env}
            workdir = scratch_dir("bench-ray-")
            script = workdir / "plain_ray_job.py"
            script.write_text(PLAIN_SCRIPT)
            ray_noop, joblib_noop = workdir / "ray_noop.py", workdir / "joblib_noop.py"
            ray_noop.write_text(RAY_NOOP_SCRIPT)
            joblib_noop.write_text(JOBLIB_NOOP_SCRIPT)

            def harness_job() -> float:
                home = str(scratch_dir("bench-ray-home-"))
                return time_command(
                    [
                        harness(),
                        "train",
                        "estimator.data.format=iris",
                        "estimator.max_iter=200",
                        "compute=ray",
                        "+compute.resources={worker_node:1}",
                    ],
                    {**env, "HARNESS_HOME": home},
                )

            per_job: dict[str, list[float]] = {}
            if not opts.sweep_only:
                warm = warm_task_timer(cluster.address)
                per_job = alternate(
                    {
                        "harness compute=ray": harness_job,
                        "plain Ray script per job": lambda: time_command(
                            [sys.executable, str(script)], env
                        ),
                        "plain Ray task, warm driver": warm,
                    },
                    repeats,
                )

            def sweep(launcher: list[str]) -> float:
                home = str(scratch_dir("bench-ray-sweep-"))
                return time_command(
                    [
                        harness(),
                        "train",
                        "-m",
                        "estimator.data.format=iris",
                        "estimator.max_iter=200",
                        f"estimator.C={','.join(C_VALUES[:sweep_jobs])}",
                        *launcher,
                    ],
                    {**env, "HARNESS_HOME": home},
                )

            sweeps = alternate(
                {
                    "ray launcher (2 CPUs in the cluster)": lambda: sweep(["hydra/launcher=ray"]),
                    "joblib n_jobs=2": lambda: sweep(
                        ["hydra/launcher=joblib", "hydra.launcher.n_jobs=2"]
                    ),
                    "plain Ray driver, 2 no-op tasks": lambda: time_command(
                        [sys.executable, str(ray_noop)], env
                    ),
                    "plain joblib, 2 no-op tasks": lambda: time_command(
                        [sys.executable, str(joblib_noop)], env
                    ),
                },
                repeats if opts.sweep_only else max(1, repeats // 2),
            )
    except ClusterUnavailable as exc:
        record(opts.results, "ray", {"skipped": str(exc)}, opts.quick)
        return
    walls = {name: stats(values) for name, values in sweeps.items()}
    figures: dict[str, object] = {"sweep_jobs": sweep_jobs}
    if per_job:
        job = {name: stats(values) for name, values in per_job.items()}
        figures |= {
            "per_job_wall_s": job,
            "overhead_vs_plain_script_s": job["harness compute=ray"]["median"]
            - job["plain Ray script per job"]["median"],
            "overhead_vs_warm_task_s": job["harness compute=ray"]["median"]
            - job["plain Ray task, warm driver"]["median"],
            "paired_overhead_vs_plain_script_s": paired(
                per_job, "harness compute=ray", "plain Ray script per job"
            ),
        }
    ray_sweep, joblib_sweep = (
        walls["ray launcher (2 CPUs in the cluster)"]["median"],
        walls["joblib n_jobs=2"]["median"],
    )
    # Ray's own fixed cost over joblib's, and the ratio a Ray sweep would have if
    # the harness added nothing on the Ray side beyond it.
    driver_extra = (
        walls["plain Ray driver, 2 no-op tasks"]["median"]
        - walls["plain joblib, 2 no-op tasks"]["median"]
    )
    figures |= {
        "ray_driver_extra_s": driver_extra,
        "floor_ratio_ray_vs_joblib": (joblib_sweep + driver_extra) / joblib_sweep,
        "harness_ray_extra_beyond_floor_s": ray_sweep - joblib_sweep - driver_extra,
    }
    figures |= {
        "sweep_wall_s": walls,
        "sweep_samples_s": sweeps,
        "ratio_ray_vs_joblib": walls["ray launcher (2 CPUs in the cluster)"]["median"]
        / walls["joblib n_jobs=2"]["median"],
        # Round by round, with a 95 % interval: whether the difference is real.
        "paired_ratio_ray_vs_joblib": paired(
            sweeps, "ray launcher (2 CPUs in the cluster)", "joblib n_jobs=2", ratio=True
        ),
        "targets": {"overhead_vs_plain_script_s": 1.0, "ratio_ray_vs_joblib": 1.1},
        "loadavg_1min": {"before": load_before, "after": os.getloadavg()[0]},
        "cpus": os.cpu_count(),
    }
    record(opts.results, "ray_sweep" if opts.sweep_only else "ray", figures, opts.quick)


if __name__ == "__main__":
    main()

"""Slurm claims: what compute=slurm and the submitit sweep launcher add per job
over a plain ``sbatch --wrap`` doing the same work.

Runs against a real one-node Slurm cluster that it starts itself (root, Debian's
slurm-wlm and munge; ``harness.testing.slurm_cluster``), two CPUs' worth of slots.

- One job: ``harness train +estimator=probe compute=slurm estimator.seconds=S``
  (the probe estimator sleeps S seconds, logs a metric, writes an output) against
  ``sbatch --wrap "python -c 'time.sleep(S)'"`` followed by polling ``scontrol``
  until the job is final, at the same 0.25 s interval the harness side is given
  (``compute.poll_interval=0.25``). Wall time from the command to the job's end as
  the user sees it; the harness side includes its CLI start-up, Hydra, the run
  record, the trial submission (``sbatch --test-only``), submitit's pickling and
  the worker's start-up on the node. A fourth side runs the same job with
  ``compute=local``: the harness's own fixed cost on this machine, no cluster.
- A sweep: N jobs of the same work with ``hydra/launcher=submitit_slurm``, against
  N plain ``sbatch --wrap`` jobs submitted at once and polled until all are final.
  Per-job overhead = (harness wall - plain wall) / N.
- Both plain sides also run as ``sbatch --wrap "srun python ..."``: submitit's batch
  script starts its task with srun, and a job step has its own cost on a cluster.

Sides alternate; medians with min-max over the rounds, and paired per-round
differences with 95 % intervals. Targets (issue 29): compute=slurm ≤ plain sbatch
--wrap + 1 s; the submitit sweep ≤ plain srun jobs + 1 s per job.

    python benchmarks/bench_slurm.py [--quick] [--rounds N]
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from _common import alternate, paired, parser, record, rounds, stats

HARNESS = str(Path(sys.executable).with_name("harness"))
POLL_S = 0.25


def _final(job_ids: list[str], env: dict[str, str]) -> bool:
    out = subprocess.run(
        ["scontrol", "show", "job", "-o", *job_ids[:1]] if len(job_ids) == 1 else ["squeue", "-h"],
        env=env,
        capture_output=True,
        text=True,
    ).stdout
    if len(job_ids) == 1:
        return any(f"JobState={s}" in out for s in ("COMPLETED", "FAILED", "CANCELLED", "TIMEOUT"))
    return out.strip() == ""


def plain_jobs(
    count: int, seconds: float, env: dict[str, str], folder: Path, srun: bool = False
) -> float:
    started = time.perf_counter()
    ids = []
    step = "srun " if srun else ""
    for i in range(count):
        out = subprocess.run(
            ["sbatch", "--parsable", "-o", str(folder / f"plain-{i}-%j.out"), "--wrap",
             f"{step}{sys.executable} -c 'import time; time.sleep({seconds})'"],
            env=env, capture_output=True, text=True, check=True,
        ).stdout  # fmt: skip
        ids.append(out.strip().split(";")[0])
    while not _final(ids, env):
        time.sleep(POLL_S)
    return time.perf_counter() - started


def harness_job(seconds: float, env: dict[str, str], compute: str = "slurm") -> float:
    options = [f"compute.poll_interval={POLL_S}"] if compute == "slurm" else []
    started = time.perf_counter()
    subprocess.run(
        [HARNESS, "train", "+estimator=probe", f"compute={compute}",
         f"estimator.seconds={seconds}", *options],
        env=env, capture_output=True, check=True,
    )  # fmt: skip
    return time.perf_counter() - started


def harness_sweep(count: int, seconds: float, env: dict[str, str]) -> float:
    scores = ",".join(str(0.1 * (i + 1)) for i in range(count))
    started = time.perf_counter()
    subprocess.run(
        [HARNESS, "train", "-m", "+estimator=probe", f"estimator.score={scores}",
         f"estimator.seconds={seconds}", "hydra/launcher=submitit_slurm"],
        env=env, capture_output=True, check=True,
    )  # fmt: skip
    return time.perf_counter() - started


def main() -> int:
    args = parser(__doc__.splitlines()[0]).parse_args()
    from harness.testing.slurm_cluster import ClusterUnavailable, SlurmCluster

    repeats = rounds(args, 1, 5)
    seconds, sweep_jobs = (1.0, 2) if args.quick else (5.0, 4)
    load_before = os.getloadavg()[0]  # the machine is shared: say how busy it was
    with tempfile.TemporaryDirectory(prefix="bench-slurm-") as tmp:
        root = Path(tmp)
        try:
            cluster = SlurmCluster.start(root / "cluster")
        except ClusterUnavailable as exc:
            print(f"bench_slurm: the Slurm cluster could not start: {exc}", file=sys.stderr)
            return 1
        try:
            env = cluster.env()
            env.update(HARNESS_HOME=str(root / "home"), HARNESS_PLUGINS="harness.testing.probe")
            env.pop("PYTHONDONTWRITEBYTECODE", None)
            (root / "out").mkdir()
            # one untimed round of each side: bytecode, page cache, the node's first start
            plain_jobs(1, seconds, env, root / "out")
            harness_job(seconds, env)
            single = alternate(
                {
                    "plain sbatch --wrap": lambda: plain_jobs(1, seconds, env, root / "out"),
                    "plain sbatch --wrap 'srun ...'": lambda: plain_jobs(
                        1, seconds, env, root / "out", srun=True
                    ),
                    "harness compute=slurm": lambda: harness_job(seconds, env),
                    "harness compute=local (no cluster)": lambda: harness_job(
                        seconds, env, "local"
                    ),
                },
                repeats,
            )
            sweep = alternate(
                {
                    f"plain sbatch --wrap x{sweep_jobs}": lambda: plain_jobs(
                        sweep_jobs, seconds, env, root / "out"
                    ),
                    f"plain sbatch --wrap 'srun ...' x{sweep_jobs}": lambda: plain_jobs(
                        sweep_jobs, seconds, env, root / "out", srun=True
                    ),
                    f"harness submitit_slurm sweep x{sweep_jobs}": lambda: harness_sweep(
                        sweep_jobs, seconds, env
                    ),
                },
                max(1, repeats - 2),
            )
        finally:
            cluster.stop()
    figures: dict = {"work_s": seconds, "sweep_jobs": sweep_jobs, "poll_s": POLL_S}
    figures["one_job_wall_s"] = {name: stats(s) for name, s in single.items()}
    figures["sweep_wall_s"] = {name: stats(s) for name, s in sweep.items()}
    plain_one, plain_one_srun, harness_one, harness_local = (
        figures["one_job_wall_s"][k]["median"] for k in single
    )
    plain_sweep, plain_sweep_srun, harness_sweep_s = (
        figures["sweep_wall_s"][k]["median"] for k in sweep
    )
    # The submitit sweep runs every task under srun (upstream's script); compute=slurm
    # runs a single-rank job without a step, as the plain sbatch --wrap does.
    figures["overhead_per_job_s"] = {
        "compute=slurm vs sbatch --wrap": harness_one - plain_one,
        # The harness's own fixed cost on this machine, without any cluster.
        "compute=local vs the work alone": harness_local - seconds,
        "submitit_slurm sweep vs sbatch --wrap 'srun ...'": (harness_sweep_s - plain_sweep_srun)
        / sweep_jobs,
        "submitit_slurm sweep vs sbatch --wrap": (harness_sweep_s - plain_sweep) / sweep_jobs,
    }
    # Round by round, with a 95 % interval: whether the difference is real.
    figures["paired_overhead_s"] = {
        "compute=slurm vs sbatch --wrap": paired(
            single, "harness compute=slurm", "plain sbatch --wrap"
        ),
        "compute=slurm vs compute=local": paired(
            single, "harness compute=slurm", "harness compute=local (no cluster)"
        ),
    }
    figures["targets_s"] = {"compute=slurm vs sbatch --wrap": 1.0, "sweep per job vs srun": 1.0}
    figures["loadavg_1min"] = {"before": load_before, "after": os.getloadavg()[0]}
    figures["cpus"] = os.cpu_count()
    record(args.results, "slurm", figures, args.quick)
    return 0


if __name__ == "__main__":
    os.environ.setdefault("PYTHONUNBUFFERED", "1")
    sys.exit(main())

"""A compute whose worker_start (in each job process, before training) has a bug."""

import sys

from harness.contract import Compute, JobResult, hookimpl
from harness.contract.compute_kit import job_environment, run_supervised
from harness_faulty.common import searchpath


class WorkerStartBugCompute(Compute):
    def launch(self, job):
        outcome = run_supervised(
            [sys.executable, "-m", "harness.worker", str(job.spec_path)],
            cwd=job.workdir,
            env=job_environment({}),
            stdout_path=job.logs_dir / "stdout.txt",
            stderr_path=job.logs_dir / "stderr.txt",
        )
        return JobResult(exit_code=outcome.exit_code, canceled=outcome.canceled)

    def worker_start(self, run):
        run.comm = run.spec.params["compute"]["communicator"]  # there is no such option


@hookimpl
def harness_register_computes(register):
    register("f-wstart", WorkerStartBugCompute)


@hookimpl
def harness_config_searchpath():
    return searchpath(__name__)

"""compute=slurm's config checks and the parsing of what Slurm answers (no cluster)."""

from __future__ import annotations

import pytest
from harness.plugins.slurm.scheduler import (
    JobState,
    _fields,
    _state_of,
    rejection_reason,
    sacct_line_state,
)
from harness.plugins.slurm.settings import settings_from

from harness.errors import ConfigError


def test_settings_map_onto_sbatch_and_srun():
    settings = settings_from(
        {"partition": "gpu", "node_count": 2, "process_count_per_node": 4, "gpus_per_node": 4,
         "time": "1-00:00:00", "mem_gb": 1.5, "sbatch_args": {"qos": "high", "--mail_type": "END"},
         "srun_args": "--cpu-bind=cores"}
    )  # fmt: skip
    params = settings.submitit_parameters("harness-x")
    assert settings.world_size == 8
    assert params["nodes"] == 2 and params["ntasks_per_node"] == 4 and params["gpus_per_node"] == 4
    assert params["mem"] == "1536M" and params["partition"] == "gpu"
    assert params["additional_parameters"] == {
        "qos": "high", "mail-type": "END", "time": "1-00:00:00"
    }  # fmt: skip
    assert params["srun_args"] == ["--mpi=pmix", "--kill-on-bad-exit=1", "--cpu-bind=cores"]
    assert params["use_srun"] is True


def test_a_single_rank_job_needs_no_srun_step_and_no_mpi():
    params = settings_from({}).submitit_parameters("harness-x")
    assert params["use_srun"] is False and params["srun_args"] == []
    assert "time" not in params["additional_parameters"] and "partition" not in params


@pytest.mark.parametrize(
    ("node", "message"),
    [
        ({"time": "soon"}, "compute.time must be minutes or a Slurm time"),
        ({"node_count": 0}, "compute.node_count must be a whole number ≥ 1"),
        ({"gpus_per_node": -1}, "compute.gpus_per_node must be a whole number ≥ 0"),
        ({"sbatch_args": ["--qos=high"]}, "compute.sbatch_args must be a mapping"),
        ({"partition": ""}, "compute.partition must be a partition name"),
        ({"mem_gb": 0}, "compute.mem_gb must be a positive number"),
        ({"srun_args": [1]}, "compute.srun_args must be a list of strings"),
    ],
)
def test_bad_values_are_one_clear_line(node, message):
    with pytest.raises(ConfigError, match=message):
        settings_from(node)


def test_slurms_reason_is_taken_from_sbatch_stderr():
    stderr = "sbatch: error: Batch job submission failed: Invalid partition name specified\n"
    assert rejection_reason(stderr) == "Invalid partition name specified"


def test_job_states_from_scontrol_lines():
    line = "JobId=7 JobName=x JobState=TIMEOUT Reason=TimeLimit ExitCode=0:15 NodeList=n1"
    state = _state_of(_fields(line))
    assert state == JobState("TIMEOUT", "TimeLimit", 0, 15, "n1") and state.final
    assert state.describe("7") == ("Slurm stopped the job at its time limit (slurm job 7, TIMEOUT)")
    killed = JobState("FAILED", exit_code=0, signal=9)
    assert killed.describe("8") == "slurm job 8 ended FAILED: killed by signal 9"
    assert not JobState("PENDING").final


def test_jobs_are_not_requeued_unless_the_user_says_so(tmp_path):
    """A preempted harness job must end (its run with it), not start over."""
    from harness.plugins.slurm.compute import make_executor
    from harness.plugins.slurm.settings import no_requeue

    script = make_executor(tmp_path, settings_from({}), "x")._make_submission_file_text("true", "u")
    assert "#SBATCH --no-requeue" in script.splitlines()
    assert no_requeue({}) == {"no-requeue": True}
    assert no_requeue({"requeue": True}) == {"requeue": True}
    assert no_requeue({"no_requeue": True}) == {"no_requeue": True}


def test_job_states_from_sacct_lines():
    """sacct (the fallback once scontrol has forgotten a job) spells a cancel with who
    did it; a preempted job ends PREEMPTED there too, and is final for the harness."""
    preempted = sacct_line_state("PREEMPTED|0:15|node1|None")
    assert preempted == JobState("PREEMPTED", "None", 0, 15, "node1") and preempted.final
    assert preempted.describe("9") == "Slurm preempted the job (slurm job 9, PREEMPTED)"
    assert sacct_line_state("CANCELLED by 0|0:15|node1|None").state == "CANCELLED"

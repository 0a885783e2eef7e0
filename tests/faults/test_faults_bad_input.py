"""Invariant 6: every user error is one line on stderr, exit 2, no traceback, and
nothing written (the workspace and the working folder are byte-for-byte unchanged)."""

from __future__ import annotations

import os

import pytest
from faultkit import assert_user_error, make_run, tree

from harness.testing import run_cli

#: (id, argv, words the one line must contain). {run} is a real finished run,
#: {src} a script source folder holding a FIFO, {tmp} a scratch folder.
BAD_INPUTS = [
    ("runs-delete-dot", ["runs", "delete", ".", "--yes"], ["'.'"]),
    ("runs-tag-dot", ["runs", "tag", ".", "k=v"], ["'.'"]),
    ("runs-metrics-dot", ["runs", "metrics", "."], ["'.'"]),
    ("runs-compare-dot", ["runs", "compare", ".", "{run}"], ["'.'"]),
    ("runs-show-glob", ["runs", "show", "**"], ["'**'"]),
    ("runs-show-traversal", ["runs", "show", "*/../../../*"], ["not a run id"]),
    ("runs-list-bogus-status", ["runs", "list", "--status", "Bogus"], ["Bogus", "Completed"]),
    ("runs-tag-no-equals", ["runs", "tag", "{run}", "novalue"], ["KEY=VALUE"]),
    ("runs-download-escape", ["runs", "download", "{run}", "../../..", "{tmp}"], ["outside"]),
    ("runs-logs-file-path", ["runs", "logs", "{run}", "--file", "../run.json"], ["--file"]),
    ("sweeps-show-dot", ["sweeps", "show", "."], ["'.'"]),
    ("datastore-remove-default", ["datastore", "remove", "default"], ["built-in"]),
    ("datastore-remove-unknown", ["datastore", "remove", "nosuch"], ["nosuch"]),
    ("datastore-upload-missing", ["datastore", "upload", "/no/such/dir", "--target", "x"], []),
    ("datastore-download-escape", ["datastore", "download", "../x", "{tmp}"], ["'..'"]),
    (
        "models-bad-name",
        ["models", "register", "a/b", "--run", "{run}", "--path", "outputs"],
        ["model name"],
    ),
    # Only a run's outputs/ and logs/ leave it, checked on the normalised path
    (
        "models-register-dotdot-run-json",
        ["models", "register", "m", "--run", "{run}", "--path", "outputs/../run.json"],
        ["outputs/../run.json", "'run.json'", "outputs/ or logs/"],
    ),
    (
        "models-register-job-json",
        ["models", "register", "m", "--run", "{run}", "--path", "job.json"],
        ["job.json", "outputs/ or logs/"],
    ),
    (
        "runs-download-dotdot-run-json",
        ["runs", "download", "{run}", "logs/../run.json", "{tmp}"],
        ["logs/../run.json", "outputs/ or logs/"],
    ),
    ("models-numeric-alias", ["models", "alias", "m", "1", "7"], ["alias"]),
    ("models-show-unknown", ["models", "show", "nosuch"], ["nosuch"]),
    ("train-datastore-empty-override", ["train", "${datastore:}"], ["datastore"]),
    # `${datastore:}` is the whole datastore (issue 15); an empty one is a one-line error
    ("train-datastore-empty", ["train", "estimator.data.path=${datastore:}"], ["has nothing"]),
    ("train-lr-abc", ["train", "lr=abc"], ["lr", "abc"]),
    ("train-unknown-key", ["train", "nosuchkey=1"], ["nosuchkey", "+nosuchkey=1"]),
    ("train-unclosed-list", ["train", "estimator.C=[1,2"], ["[1,2"]),
    # Malformed overrides: the key at fault, the problem, how to write it (quoting)
    (
        "train-unclosed-list-names-key",
        ["train", "+estimator=sklearn", "estimator.C=[1,2"],
        ["'estimator.C=[1,2'", "value of estimator.C", "unclosed '['", "'estimator.C=\"[1,2\"'"],
    ),
    (
        "train-m-unclosed-list",
        ["train", "-m", "+estimator=sklearn", "estimator.C=[1,2", "seed=1,2"],
        ["value of estimator.C", "unclosed '['", "quote the value"],
    ),
    ("train-stray-bracket", ["train", "estimator.C=1,2]"], ["estimator.C", "']'", "quote"]),
    ("train-unclosed-quote", ["train", "estimator.C='abc"], ["estimator.C", "' quote"]),
    ("train-unclosed-call", ["train", "lr=choice(1,2"], ["lr", "unclosed '('", "lr=choice(1,2)"]),
    ("train-equals-in-value", ["train", "lr=a=b"], ["value of lr", "quote the value"]),
    ("train-empty-key", ["train", "=3"], ["'=3'", "KEY=VALUE"]),
    ("train-not-an-override", ["train", "nokey"], ["'nokey'", "KEY=VALUE"]),
    ("train-test-size", ["train", "estimator.data.test_size=2"], ["test_size"]),
    (
        "train-sklearn-txt",
        ["train", "estimator.data.path=/etc/hostname"],
        ["/etc/hostname", ".csv"],
    ),
    ("train-sklearn-missing", ["train", "estimator.data.path=/no/such.csv"], ["/no/such.csv"]),
    (
        "train-pytorch-digits-path",
        ["train", "+estimator=pytorch", "estimator.data.path=/etc/hostname"],
        ["/etc/hostname"],
    ),
    (
        "train-chainer-digits-path",
        ["train", "+estimator=chainer", "estimator.data.path=/etc/hostname"],
        ["/etc/hostname"],
    ),
    (
        "train-joblib-n-jobs-0",
        ["train", "-m", "estimator.C=1,2", "hydra/launcher=joblib", "hydra.launcher.n_jobs=0"],
        ["n_jobs"],
    ),
    ("train-unknown-estimator", ["train", "+estimator=nosuch"], ["nosuch"]),
    # Names with a trailing newline (`re.match` with `$` accepted them): fullmatch only
    (
        "models-name-trailing-newline",
        ["models", "register", "m\n", "--run", "{run}", "--path", "outputs"],
        ["model name", "m\\n"],
    ),
    ("models-alias-trailing-newline", ["models", "alias", "m", "1", "prod\n"], ["alias"]),
    ("datastore-name-trailing-newline", ["datastore", "add", "ds\n", "{tmp}"], ["datastore name"]),
    ("envs-name-trailing-newline", ["envs", "create", "env\n", "--pip", "six"], ["env\\n"]),
    ("runs-show-id-trailing-newline", ["runs", "show", "{run}\n"], ["not a run id"]),
    # One check per input kind (harness/inputs.py), sizes limited, the same on every surface
    ("train-empty-experiment", ["train", "experiment="], ["experiment name", "non-empty"]),
    (
        "train-m-empty-experiment",
        ["train", "-m", "experiment=", "estimator.C=1,2"],
        ["experiment name"],
    ),
    ("train-experiment-control", ["train", 'experiment="a\x1bb"'], ["experiment name"]),
    ("train-experiment-too-long", ["train", "experiment=" + "e" * 300], ["experiment name"]),
    ("runs-tag-huge-value", ["runs", "tag", "{run}", "k=" + "x" * 6000], ["k", "5,000"]),
    ("runs-tag-control-key", ["runs", "tag", "{run}", "a\x1bb=v"], ["tag key"]),
    ("runs-list-bogus-status-lower", ["runs", "list", "--status", "bogus"], ["bogus"]),
    (
        "models-register-huge-description",
        [
            "models",
            "register",
            "m",
            "--run",
            "{run}",
            "--path",
            "outputs",
            "--description",
            "d" * 6000,
        ],
        ["description", "5,000"],
    ),
    (
        "train-optuna-n-trials-negative",
        [
            "train",
            "-m",
            "hydra/sweeper=optuna",
            "hydra.sweeper.n_trials=-3",
            "estimator.C=interval(0.1,1)",
        ],
        ["hydra.sweeper.n_trials=-3"],
    ),
    ("bench-run-unknown-key", ["bench", "run", "ci", "nosuchkey=1"], ["nosuchkey"]),
    (
        "bench-run-misspelt-key",
        ["bench", "run", "ci", "datasets.mnist.synthetc.n_train=5"],
        ["synthetc"],
    ),
    # The shell's completion script sets COMP_LINE; without it: one line, not IndexError
    ("completion-query-without-comp-line", ["-sc", "query=bash"], ["COMP_LINE"]),
    ("train-unknown-launcher", ["train", "-m", "hydra/launcher=nosuch"], ["nosuch", "joblib"]),
    (
        "train-script-fifo",
        [
            "train",
            "+estimator=script",
            "estimator.source_directory={src}",
            "estimator.entry_script=train.py",
        ],
        ["fifo", "not a regular file"],
    ),
]


@pytest.mark.parametrize(
    "args,needles", [c[1:] for c in BAD_INPUTS], ids=[c[0] for c in BAD_INPUTS]
)
def test_bad_input_is_one_line_exit_2_and_writes_nothing(home, tmp_path, args, needles):
    run_dir = make_run(home)
    src = tmp_path / "src"
    src.mkdir()
    (src / "train.py").write_text("print('hi')\n")
    os.mkfifo(src / "fifo")
    scratch = tmp_path / "scratch"
    scratch.mkdir()
    cwd = tmp_path / "cwd"
    cwd.mkdir()
    args = [
        a.replace("{run}", run_dir.name).replace("{src}", str(src)).replace("{tmp}", str(scratch))
        for a in args
    ]
    before = tree(home, scratch, cwd, src)
    result = run_cli(*args, home=home, cwd=cwd)
    assert_user_error(result, *needles)
    after = tree(home, scratch, cwd, src)
    # `runs list` may refresh its own cache file; nothing else may change
    for path in (str(home / "runs" / ".index.json"),):
        before.pop(path, None)
        after.pop(path, None)
    assert after == before, sorted(set(after) ^ set(before))


def test_a_rerun_of_a_record_with_a_malformed_override_is_one_line(home, tmp_path):
    """`runs rerun` goes through the same check as `harness train` (a crafted record)."""
    from faultkit import craft_record

    run_id = "20260101-000000-abcdef"
    craft_record(home / "runs" / run_id, run_id, overrides=["estimator.C=[1,2"])
    before = tree(home, tmp_path)
    result = run_cli("runs", "rerun", run_id, home=home, cwd=tmp_path)
    assert_user_error(result, "value of estimator.C", "unclosed '['")
    assert tree(home, tmp_path) == before


def test_a_quoted_value_as_the_hint_says_is_taken_as_text(home, tmp_path):
    """The quoting the message suggests really works: the value arrives as typed
    (on a key that takes text: a typed one, estimator.C, then refuses the text)."""
    refused = run_cli("train", "+tags.note=[1,2", home=home, cwd=tmp_path)
    assert refused.returncode == 2, refused.output
    assert """quote the value: '+tags.note="[1,2"'""" in refused.stderr, refused.output
    result = run_cli("train", '+tags.note="[1,2"', "--cfg", "job", home=home, cwd=tmp_path)
    assert result.returncode == 0, result.output
    assert "note: '[1,2'" in result.stdout, result.output


def test_hydra_full_error_still_gives_hydras_full_text(home, tmp_path):
    result = run_cli("train", "lr=abc", home=home, cwd=tmp_path, env={"HYDRA_FULL_ERROR": "1"})
    assert result.returncode == 2, result.output
    assert "Traceback" in result.stderr and "could not be converted" in result.stderr


def test_a_killed_worker_names_the_signal(home, tmp_path):
    """A job killed by a signal is Failed with the signal named, not `Failed (None)`."""
    script = tmp_path / "src"
    script.mkdir()
    (script / "train.py").write_text("import os, signal\nos.kill(os.getpid(), signal.SIGKILL)\n")
    result = run_cli(
        "train",
        "+estimator=script",
        f"estimator.source_directory={script}",
        "estimator.entry_script=train.py",
        home=home,
        cwd=tmp_path,
    )
    assert result.returncode == 1, result.output
    shown = run_cli("runs", "show", result.run_id, "--format", "json", home=home).json()
    assert shown["status"] == "Failed"
    assert "SIGKILL" in (shown["error"] or ""), shown["error"]


@pytest.mark.parametrize(
    "code,words",
    [
        (-9, "killed by SIGKILL"),
        (137, "code 137, i.e. killed by SIGKILL"),
        (-15, "SIGTERM"),
        (3, "exited with code 3"),
    ],
)
def test_exit_statuses_are_described_in_words(code, words):
    from harness.contract.supervise import describe_exit

    assert words in describe_exit(code)

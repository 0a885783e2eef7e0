"""Terminal escape codes in a run's data (metric names, tags, names, params) never
reach the terminal raw: every CLI printer escapes control characters
(harness/safetext.py); only a job's own log stream is passed as written."""

from __future__ import annotations

import json

import pytest
from faultkit import make_run

from harness.testing import run_cli

#: Title change (OSC 0), clipboard write (OSC 52), screen clear (CSI 2J), a C1 CSI,
#: a bidi override: each one a byte sequence a terminal acts on.
EVIL = "\x1b]0;pwned\x07|\x1b]52;c;ZWNobyBoaQ==\x07|\x1b[2J|\x9b31m|\u202e"
RAW = ("\x1b", "\x07", "\x9b", "\u202e")


def _evil_run(home):
    run_dir = make_run(home, tags={EVIL: EVIL})
    record = json.loads((run_dir / "run.json").read_text())
    record.update(experiment=f"exp{EVIL}", error=f"boom{EVIL}", params={EVIL: EVIL})
    record["metrics"] = {f"acc{EVIL}": 0.5}
    (run_dir / "run.json").write_text(json.dumps(record))
    (run_dir / "metrics" / "rank0-1.jsonl").write_text(
        json.dumps({"name": f"acc{EVIL}", "value": 0.5, "step": 0, "time": 1.0}) + "\n"
    )
    (run_dir / "outputs" / f"file{EVIL[:9]}.txt").write_text("x")
    return run_dir


@pytest.mark.parametrize(
    "args",
    [
        ["runs", "list"],
        ["runs", "list", "--format", "json"],
        ["runs", "show", "{run}"],
        ["runs", "metrics", "{run}"],
        ["runs", "tag", "{run}", "more=x"],
        ["runs", "compare", "{run}", "{run}"],
    ],
    ids=lambda a: "-".join(x for x in a if not x.startswith("{")),
)
def test_run_data_is_printed_escaped(home, args):
    run_dir = _evil_run(home)
    result = run_cli(*[a.replace("{run}", run_dir.name) for a in args], home=home)
    assert result.returncode == 0, result.output
    output = result.stdout + result.stderr
    for char in RAW:
        assert char not in output, repr(output)
    if "json" not in args:  # JSON escapes as \u001b, which is as safe
        assert "\\x1b" in output, output


def test_harness_train_escapes_what_the_job_logged_but_not_its_own_output(home, tmp_path):
    src = tmp_path / "src"
    src.mkdir()
    (src / "train.py").write_text(
        "from harness import Run\n"
        "run = Run.get_context()\n"
        f"run.log({('acc' + EVIL)!r}, 0.5)\n"
        "print('own output \\x1b[1mbold\\x1b[0m', flush=True)\n"
        f"raise SystemExit({('failed' + EVIL)!r})\n"
    )
    result = run_cli(
        "train",
        "+estimator=script",
        f"estimator.source_directory={src}",
        "estimator.entry_script=train.py",
        home=home,
        cwd=tmp_path,
    )
    assert result.returncode == 1, result.output
    # the job's own stream as written; everything the harness printed, escaped
    own = "own output \x1b[1mbold\x1b[0m"
    assert own in result.stdout, result.output
    rest = (result.stdout + result.stderr).replace(own, "")
    # the script's SystemExit text is its own stderr (raw); the outcome lines are ours
    ours = [ln for ln in rest.splitlines() if ln.startswith(("status:", "metrics:"))]
    assert ours and any("\\x1b]0;pwned\\x07" in ln for ln in ours), result.output
    for line in ours:
        for char in RAW:
            assert char not in line, repr(line)


def test_an_error_quoting_user_text_is_one_escaped_line(home):
    result = run_cli("runs", "show", "2026\x1b[2J\nfake: line", home=home)
    assert result.returncode == 2, result.output
    lines = [ln for ln in result.stderr.splitlines() if ln.strip()]
    assert len(lines) == 1 and "\x1b" not in result.stderr, result.output

"""`RunDetails(run).show()`: live in a real Jupyter kernel (nbclient + ipykernel), plain
text outside Jupyter."""

from __future__ import annotations

import subprocess
import sys

import nbformat
import pytest
from nbclient import NotebookClient
from ui_helpers import write_run

WIDGET_MIME = "application/vnd.jupyter.widget-view+json"


def test_plain_text_outside_jupyter(home):
    run_id = write_run(home, points={"loss": [1.0, 0.5], "acc": [0.7, 0.9]})
    code = f"from harness import RunDetails; RunDetails({run_id!r}).show()"
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.splitlines()
    assert lines[0] == f"run {run_id} [Completed]  experiment=exp"
    assert "  acc: 0.9 (2 points)" in lines and "  loss: 0.5 (2 points)" in lines


def test_unknown_id_is_a_clear_error(home):
    from harness.errors import NotFoundError
    from harness.ui.widget import RunDetails

    with pytest.raises(NotFoundError, match="no run or sweep 'nope'"):
        RunDetails("nope")


def test_live_widget_in_a_jupyter_kernel(home, script_dir, tmp_path):
    gate = tmp_path / "go"
    cells = [
        # the notebook starts a job as a user would, and reads its run id
        f"""import subprocess, os
proc = subprocess.Popen(["harness", "train", "+estimator=script",
    "estimator.source_directory={script_dir}", "estimator.entry_script=train.py",
    "+estimator.script_params.points=3", "+estimator.script_params.more=4",
    "+estimator.script_params.gate={gate}"], stdout=subprocess.PIPE, text=True,
    env=dict(os.environ, PATH=os.path.dirname({sys.executable!r}) + ":" + os.environ["PATH"]))
run_id = next(l for l in proc.stdout if l.startswith("run id:")).split(":", 1)[1].strip()
import time
from harness.run import metrics
from pathlib import Path
while len(metrics.history(Path(os.environ["HARNESS_HOME"], "runs", run_id)).get("loss", [])) < 3:
    time.sleep(0.1)""",
        """from harness import RunDetails
details = RunDetails(run_id, refresh_s=0.3)
details.show()
widget = details.widget
print(type(widget).__name__, "[Running]" in widget.value, 'data-points="3"' in widget.value)""",
        f"""open({str(gate)!r}, "w").close()
details.wait(120)
proc.wait(120)
print("[Completed]" in widget.value, 'data-points="7"' in widget.value)""",
    ]
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(c) for c in cells])
    NotebookClient(
        nb, timeout=300, kernel_name="python3", resources={"metadata": {"path": str(tmp_path)}}
    ).execute()
    shown = nb.cells[1].outputs
    assert any(WIDGET_MIME in out.get("data", {}) for out in shown), shown
    assert [o["text"] for o in shown if o.get("name") == "stdout"] == ["HTML True True\n"]
    assert nb.cells[2].outputs[0]["text"] == "True True\n"
    # The widget's display also carries static HTML, brought up to the final state,
    # for viewers without widget support (the saved notebook file).
    (display,) = [o for o in shown if WIDGET_MIME in o.get("data", {})]
    assert (
        "[Completed]" in display["data"]["text/html"]
        and "<table" not in display["data"]["text/plain"]
    )


def test_show_as_a_cells_last_line_displays_once_and_degrades_to_html(home, tmp_path):
    """``RunDetails(run).show()`` as a cell's last line drew the widget twice (the
    returned widget was displayed again). Each show() displays exactly once, with a
    static HTML copy that a viewer without widget support renders."""
    run_id = write_run(home, points={"loss": [1.0, 0.5]})
    cells = [
        f"from harness import RunDetails\nRunDetails({run_id!r}).show()",
        f"details = RunDetails({run_id!r})\ndetails.show()\ndetails.show()",
    ]
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(c) for c in cells])
    NotebookClient(
        nb, timeout=300, kernel_name="python3", resources={"metadata": {"path": str(tmp_path)}}
    ).execute()
    for cell, times in zip(nb.cells, (1, 2), strict=True):
        widgets = [o for o in cell.outputs if WIDGET_MIME in o.get("data", {})]
        assert len(widgets) == times, cell.outputs
        assert not [o for o in cell.outputs if o["output_type"] == "execute_result"]
        for output in widgets:
            html = output["data"]["text/html"]
            assert f"run {run_id}" in html and "[Completed]" in html and "loss" in html


def test_sweep_view_marks_the_best_run(home):
    from harness.sweeps.store import SweepStore
    from harness.ui.widget import RunDetails

    sweeps = SweepStore(home)
    sweep = sweeps.create(metric="accuracy", goal="maximize", experiment="exp")
    ids = {}
    for c, acc in (("0.1", 0.8), ("1", 0.95), ("10", 0.9)):
        ids[c] = write_run(home, points={"accuracy": [acc]})
        sweeps.link_run(sweep.id, ids[c], overrides=[f"estimator.C={c}"], metric="accuracy")
    details = RunDetails(sweep.id)
    text = details.text().splitlines()
    assert text[0].startswith(f"sweep {sweep.id} [Running]  metric accuracy (maximize)")
    assert text[1].startswith(f"* {ids['1']}") and "estimator.C=1" in text[1]
    assert [line[0] for line in text[1:]] == ["*", " ", " "]
    assert details.html().count("★") == 1

"""The runs table's API: MLflow filter expressions (the same selection as
`harness runs list --filter`), columns of metrics (last/min/max), params and tags,
and the sort by any column, on the server."""

from __future__ import annotations

import shutil

import pytest
from test_api import cli_json, client
from ui_helpers import write_run

from harness.run.metrics import MetricEvent, append_events
from harness.run.record import COMPLETED, RUNNING
from harness.run.store import RunStore
from harness.testing import run_cli

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")


def _runs(home):
    made = {}
    for name, acc, lr, loss in (
        ("a", 0.95, 0.001, [0.9, 0.2, 0.4]),
        ("b", 0.97, 0.1, [0.8, 0.5]),
        ("c", 0.85, 0.005, [0.7, 0.1, 0.3]),
        ("d", 0.92, 0.005, [1.0]),
    ):
        made[name] = write_run(
            home,
            points={"accuracy": [acc], "loss": loss},
            params={
                "lr": lr,
                "estimator": {"C": lr * 10, "solver": "saga" if name < "c" else "lbfgs"},
            },
            tags={"team": name},
        )
    return made


def test_filter_expression_selects_as_the_cli_does(home):
    ids = _runs(home)
    c = client(home)
    for expression, expected in (
        ("metrics.accuracy > 0.9 and params.lr < 0.01", {"a", "d"}),
        ("metrics.accuracy > 0.9 AND params.lr < 0.01", {"a", "d"}),
        ("params.estimator.solver = 'lbfgs'", {"c", "d"}),
        ("params.`estimator.C` >= 0.05", {"b", "c", "d"}),
        ("tags.team IN ('a', 'b') or metrics.loss < 0.35", {"a", "b", "c"}),
        ("attributes.status = 'Completed' and experiment LIKE 'ex%'", set("abcd")),
        ("metrics.nothing > 0", set()),
    ):
        api = c.get("/api/runs", params={"filter": expression}).json()
        assert {r["id"] for r in api["runs"]} == {ids[k] for k in expected}, expression
        cli = cli_json(home, "runs", "list", "--filter", expression)
        assert api["runs"] == cli, expression


def test_a_bad_filter_is_one_line_400_and_exit_2(home):
    _runs(home)
    c = client(home)
    for expression in ("metrics.accuracy >", "accuracy > 1", "__import__('os').system('x')"):
        response = c.get("/api/runs", params={"filter": expression})
        assert response.status_code == 400, expression
        assert "filter:" in response.json()["error"] and "\n" not in response.json()["error"]
        result = run_cli("runs", "list", "--filter", expression, home=home)
        assert result.returncode == 2 and "Traceback" not in result.output
    assert c.get("/api/runs", params={"columns": "metrics"}).status_code == 400
    assert c.get("/api/runs", params={"sort": "params."}).status_code == 400


def test_columns_give_last_min_max_params_and_tags(home):
    ids = _runs(home)
    c = client(home)
    columns = "metrics.loss,metrics.loss:min,metrics.loss:max,params.lr,params.estimator.solver,tags.team,duration"
    page = c.get("/api/runs", params={"columns": columns}).json()
    values = page["values"]
    assert values[ids["a"]]["metrics.loss"] == 0.4  # the final value
    assert values[ids["a"]]["metrics.loss:min"] == 0.2
    assert values[ids["a"]]["metrics.loss:max"] == 0.9
    assert values[ids["c"]]["params.lr"] == 0.005
    assert values[ids["d"]]["params.estimator.solver"] == "lbfgs"
    assert values[ids["b"]]["tags.team"] == "b"
    item = next(r for r in page["runs"] if r["id"] == ids["b"])
    assert values[ids["b"]]["duration"] == item["duration_s"]
    assert {"lr", "estimator.C", "estimator.solver"} <= set(page["facets"]["param"])
    assert page["facets"]["tag"] == ["team"]
    assert page["runs"] == cli_json(home, "runs", "list")  # the columns ride beside them


def test_sort_by_any_column_on_the_server(home):
    ids = _runs(home)
    c = client(home)

    def order(sort: str, asc: bool = False, **extra: str) -> list[str]:
        query = {"sort": sort, **({"asc": "1"} if asc else {}), **extra}
        got = c.get("/api/runs", params=query).json()["runs"]
        names = {v: k for k, v in ids.items()}
        return [names[r["id"]] for r in got]

    assert order("metrics.accuracy") == ["b", "a", "d", "c"]
    assert order("metrics.accuracy", asc=True) == ["c", "d", "a", "b"]
    assert order("metrics.loss:min", asc=True) == ["c", "a", "b", "d"]
    assert order("metrics.loss:max") == ["d", "a", "b", "c"]
    assert order("params.lr", asc=True) == ["a", "d", "c", "b"]  # equal lr: newest first
    assert order("params.estimator.solver", asc=True)[:2] == ["d", "c"]
    assert order("tags.team") == ["d", "c", "b", "a"]
    # paging through a sorted view
    assert order("metrics.accuracy", limit="2", offset="2") == ["d", "c"]
    # the bare metric name is still `harness runs list --sort`'s
    listed = c.get("/api/runs", params={"sort": "accuracy"}).json()["runs"]
    assert listed == cli_json(home, "runs", "list", "--sort", "accuracy")


def test_live_run_values_come_from_its_files(home):
    live = write_run(home, status=RUNNING, points={"loss": [0.5, 0.25]})
    c = client(home)
    page = c.get("/api/runs", params={"columns": "metrics.loss,metrics.loss:max"}).json()
    assert page["values"][live] == {"metrics.loss": 0.25, "metrics.loss:max": 0.5}
    assert page["runs"][0]["status"] == RUNNING


def test_filter_columns_follow_live_runs_and_changed_records(home):
    """The dashboard filters final runs over cached columns (harness.ui.runcolumns):
    a live run is read from its files, a final run without recorded metrics from
    its files too, and a final run's change, a new final run and a deleted one
    are seen: always the CLI's answer."""
    ids = _runs(home)
    live = write_run(home, status=RUNNING, points={"accuracy": [0.99]}, params={"lr": 0.001})
    store = RunStore(home)
    bare = write_run(home, points={"accuracy": [0.91]}, params={"lr": 0.002})
    store.update(bare, lambda record: record.metrics.clear())  # final, no metrics kept
    c = client(home)
    index = c.app.state.harness.index  # type: ignore[attr-defined]
    expression = "metrics.accuracy > 0.9 and params.lr < 0.01"

    def selected():
        index.refresh(full=True)
        api = c.get("/api/runs", params={"filter": expression}).json()
        assert api["runs"] == cli_json(home, "runs", "list", "--filter", expression)
        # only the runs the columns cannot hold were asked of the per-run predicate:
        # the columns follow every change of a final run
        asked = []
        columns = c.app.state.harness.filter_columns  # type: ignore[attr-defined]
        records = [r for r, _ in index.refresh()[0]]
        columns.select(expression, records, lambda r: asked.append(r.id) or False)
        assert set(asked) == {r.id for r in records if r.status == RUNNING or not r.metrics}
        return {r["id"] for r in api["runs"]}

    assert selected() == {ids["a"], ids["d"], live, bare}
    # the live run's latest value leaves the selection: read from its files
    append_events(
        store.root / live / "metrics" / "rank0-1.jsonl", [MetricEvent("accuracy", 0.5, 1, 9e9)]
    )
    assert selected() == {ids["a"], ids["d"], bare}
    store.update(ids["b"], lambda record: record.params.update(lr=0.001))  # a final run changes
    assert selected() == {ids["a"], ids["b"], ids["d"], bare}
    store.set_status(live, COMPLETED)  # ends with its last value, 0.5
    shutil.rmtree(store.root / ids["a"])  # gone
    newest = write_run(home, points={"accuracy": [0.95]}, params={"lr": 0.003})
    assert selected() == {ids["b"], ids["d"], bare, newest}

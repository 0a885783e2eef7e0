"""Fuzzing the record readers (hypothesis): whatever bytes a run record, a metrics
line or a datastore manifest holds, the reader returns a checked value or raises
``DamagedRecordError``, nothing else; and what it accepts, the printers can use
(a record that passed gave ``runs list`` its crash before)."""

from __future__ import annotations

import json
import tempfile
from pathlib import Path

from hypothesis import HealthCheck, given, settings  # the test extra installs it
from hypothesis import strategies as st

from harness.datastore import manifest as mf
from harness.errors import DamagedRecordError
from harness.run import metrics
from harness.run.index import summaries
from harness.run.store import RunStore, load_record
from harness.sdk.run import summary_json

RUN_ID = "20260101-000000-abcdef"
GOOD = {
    "format_version": 1,
    "id": RUN_ID,
    "experiment": "x",
    "status": "Completed",
    "created": "2026-01-01T00:00:00.000+00:00",
    "started": "2026-01-01T00:00:01.000+00:00",
    "ended": "2026-01-01T00:00:02.000+00:00",
    "estimator": "sklearn",
    "compute": "local",
    "tags": {"k": "v"},
    "metrics": {"accuracy": 0.9},
}

json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**70), max_value=2**70)
    | st.floats(allow_nan=True, allow_infinity=True)
    | st.text(max_size=30),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=12,
)
field_names = st.sampled_from([*GOOD, "params", "pid", "world_size", "sweep_id", "extra", "x"])
#: A valid record with fields replaced, removed or added: the damage a crash,
#: a hand edit or an older/newer harness leaves.
mutated_records = st.builds(
    lambda changes, drops: {
        **{k: v for k, v in GOOD.items() if k not in drops},
        **changes,
    },
    st.dictionaries(field_names, json_values, max_size=3),
    st.sets(field_names, max_size=2),
)
FUZZ = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def _record_bytes(data: object) -> bytes:
    return json.dumps(data, allow_nan=True).encode()


@FUZZ
@given(st.one_of(mutated_records.map(_record_bytes), st.binary(max_size=200)))
def test_the_run_record_reader_raises_only_damaged_record_error(raw):
    with tempfile.TemporaryDirectory() as tmp:
        runs = Path(tmp) / "runs"
        run_dir = runs / RUN_ID
        (run_dir / "metrics").mkdir(parents=True)
        (run_dir / "run.json").write_bytes(raw)
        try:
            record = load_record(run_dir)
        except DamagedRecordError:
            record = None
        listed, damaged = summaries(runs)  # never raises: a record or a Damaged
        assert len(listed) + len(damaged) == 1
        assert (record is None) == (not listed)
        if record is not None:  # what is accepted can be printed and sorted
            store = RunStore(Path(tmp))
            json.dumps(summary_json(store, record), default=str)
            json.dumps(summary_json(store, listed[0]), default=str)
            sorted([record, listed[0]], key=lambda r: r.created)


@FUZZ
@given(
    st.one_of(
        st.binary(max_size=120),
        st.dictionaries(st.sampled_from(["name", "value", "step", "time", "x"]), json_values).map(
            lambda d: json.dumps(d, allow_nan=True).encode()
        ),
    )
)
def test_the_metrics_line_reader_raises_only_damaged_record_error(line):
    try:
        event = metrics.parse_event(line + b"\n")
    except DamagedRecordError:
        return
    assert isinstance(event.name, str) and event.step.__class__ is int
    assert isinstance(event.time, float)
    with tempfile.TemporaryDirectory() as tmp:  # a file of such lines reads and sorts
        folder = Path(tmp) / "metrics"
        folder.mkdir()
        (folder / "rank0-1.jsonl").write_bytes(line + b"\n" + line + b"\n")
        assert len(metrics.history(Path(tmp))[event.name]) == 2


entries = st.fixed_dictionaries(
    {},
    optional={
        "size": json_values | st.integers(min_value=0, max_value=10**12),
        "blake3": json_values | st.just("0" * 64),
        "sha256": json_values | st.just("f" * 64),
    },
)
keys = st.text(max_size=20) | st.sampled_from(["d/a.txt", "../x", "/etc/passwd", ".harness/m"])


@FUZZ
@given(
    st.one_of(
        st.binary(max_size=200),
        st.fixed_dictionaries(
            {"files": st.dictionaries(keys, entries | json_values, max_size=4)},
            optional={"version": json_values | st.just(1)},
        ).map(lambda d: json.dumps(d, allow_nan=True).encode()),
    )
)
def test_the_manifest_reader_raises_only_damaged_record_error(data):
    from harness.datastore.paths import normalize_key

    try:
        parsed = mf.parse(data)
    except DamagedRecordError:
        return
    for key, entry in parsed.items():  # accepted keys cannot leave a destination
        assert normalize_key(key) == key
        assert entry.size.__class__ is int and entry.size >= 0 and len(entry.digest) == 64


# -- sweeps and models: their listings, never only their parsers --------------------------
SWEEP_ID = "20260101-000000-000001"
GOOD_SWEEP = {
    "format_version": 1,
    "id": SWEEP_ID,
    "created": "2026-01-01T00:00:00.000+00:00",
    "status": "Completed",
    "ended": "2026-01-01T00:00:09.000+00:00",
    "experiment": "x",
    "metric": "accuracy",
    "goal": "maximize",
    "settings": {},
    "command": ["harness", "train", "-m"],
}
GOOD_ROW = {
    "run_id": RUN_ID,
    "overrides": ["a=1"],
    "status": "Completed",
    "value": 0.9,
    "error": None,
    "early_terminated": False,
    "created": "2026-01-01T00:00:00.000+00:00",
    "duration_s": 1.5,
    "best": True,
}
GOOD_SUMMARY = {
    "format_version": 1,
    "sweep_id": SWEEP_ID,
    "status": "Completed",
    "created": "2026-01-01T00:00:00.000+00:00",
    "ended": "2026-01-01T00:00:09.000+00:00",
    "sweeper": "basic",
    "launcher": "basic",
    "applied": {},
    "metric": "accuracy",
    "goal": "maximize",
    "counts": {
        "total": 1,
        "completed": 1,
        "failed": 0,
        "canceled": 0,
        "early_terminated": 0,
        "not_started": 0,
        "damaged": 0,
    },
    "early_terminated_saved_s": 0.0,
    "best": GOOD_ROW,
    "fixed_overrides": [],
    "runs": [GOOD_ROW],
    "exit_code": 0,
}
GOOD_LINK = {"format_version": 1, "run_id": RUN_ID, "metric": "accuracy", "goal": "maximize",
             "overrides": ["a=1"], "job": 0}  # fmt: skip
GOOD_JOB = {"format_version": 1, "job": 1, "status": "Canceled", "overrides": ["a=2"],
            "error": "not started: canceled"}  # fmt: skip
GOOD_MODEL = {
    "format_version": 1,
    "name": "m",
    "version": 1,
    "run_id": RUN_ID,
    "experiment": "x",
    "source_path": "outputs/model.bin",
    "files": {"model.bin": "a" * 64},
    "sha256": "a" * 64,
    "size": 5,
    "created": "2026-01-01T00:00:00.000+00:00",
    "tags": {"k": "v"},
    "metrics": {"accuracy": 0.9},
}


def mutations(good: dict, extra: tuple[str, ...] = ("extra", "x")) -> st.SearchStrategy:
    """``good`` with fields replaced (also by other records' values), removed or added;
    or random bytes."""
    names = st.sampled_from([*good, *extra])
    values = json_values | st.sampled_from([GOOD_ROW, [GOOD_ROW], ["a=1"], "../x", 2**63])
    records = st.builds(
        lambda changes, drops: {
            **{k: v for k, v in good.items() if k not in drops},
            **changes,
        },
        st.dictionaries(names, values, max_size=3),
        st.sets(names, max_size=2),
    )
    return st.one_of(records.map(_record_bytes), st.binary(max_size=200))


def _workspace(tmp: str) -> Path:
    """A workspace with one finished run (RUN_ID) and one readable sweep."""
    home = Path(tmp)
    run_dir = home / "runs" / RUN_ID
    (run_dir / "metrics").mkdir(parents=True)
    (run_dir / "run.json").write_text(json.dumps(GOOD))
    for sub in ("runs", "unstarted"):
        (home / "sweeps" / SWEEP_ID / sub).mkdir(parents=True)
    (home / "sweeps" / SWEEP_ID / "sweep.json").write_text(json.dumps(GOOD_SWEEP))
    return home


def _command(module: object, action: str, store: object, **opts: object) -> str:
    """A CLI action in process (what ``harness sweeps|models ACTION`` prints)."""
    import argparse
    import contextlib
    import io

    out = io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(io.StringIO()):
        getattr(module, action)(store, argparse.Namespace(**opts))
    return out.getvalue()


def _listed(home: Path) -> list:
    """``harness sweeps list`` (the table, then the JSON it returns)."""
    from harness.commands import sweeps as command
    from harness.sweeps.store import SweepStore

    _command(command, "cmd_list", SweepStore(home), format="table")
    return json.loads(_command(command, "cmd_list", SweepStore(home), format="json"))


def _printed(home: Path, sweep_id: str) -> dict:
    """``harness sweeps show SWEEP`` (the table, then the JSON it returns)."""
    from harness.commands import sweeps as command
    from harness.sweeps.store import SweepStore

    _command(command, "cmd_show", SweepStore(home), sweep_id=sweep_id, format="table")
    return json.loads(
        _command(command, "cmd_show", SweepStore(home), sweep_id=sweep_id, format="json")
    )


@FUZZ
@given(
    st.sampled_from(["runs", "unstarted"]),
    st.one_of(mutations(GOOD_LINK), mutations(GOOD_JOB)),
)
def test_a_sweeps_link_and_job_files_are_a_row_each_never_a_crash(folder, raw):
    with tempfile.TemporaryDirectory() as tmp:
        home = _workspace(tmp)
        (home / "sweeps" / SWEEP_ID).joinpath("sweep.json").write_text(
            json.dumps({**GOOD_SWEEP, "status": "Running", "ended": None})
        )  # running: the table is built from the files, not a saved summary
        name = RUN_ID if folder == "runs" else "1"
        (home / "sweeps" / SWEEP_ID / folder / f"{name}.json").write_bytes(raw)
        shown = _printed(home, SWEEP_ID)
        (row,) = shown["runs"]  # read or damaged, never missing
        (item,) = _listed(home)
        assert shown["counts"]["total"] == item["counts"]["total"] == 1
        assert (row["status"] == "Damaged") == bool(row.get("damaged"))


@FUZZ
@given(mutations(GOOD_SUMMARY))
def test_a_sweep_summary_that_is_accepted_prints_else_the_table_is_rebuilt(raw):
    with tempfile.TemporaryDirectory() as tmp:
        home = _workspace(tmp)
        (home / "sweeps" / SWEEP_ID / "summary.json").write_bytes(raw)
        shown = _printed(home, SWEEP_ID)
        assert shown["sweep_id"] == SWEEP_ID and set(shown["counts"]) >= {"total", "damaged"}
        (item,) = _listed(home)
        assert item["counts"] == shown["counts"]


@FUZZ
@given(mutations(GOOD_SWEEP, ("extra", "pid", "resumed", "search_space")))
def test_a_sweep_record_is_listed_read_or_damaged_never_a_crash(raw):
    with tempfile.TemporaryDirectory() as tmp:
        home = _workspace(tmp)
        (home / "sweeps" / SWEEP_ID / "sweep.json").write_bytes(raw)
        (item,) = _listed(home)  # read or damaged, never missing
        assert item["id"] == SWEEP_ID and (item["status"] == "Damaged") == bool(item.get("damaged"))
        try:
            _printed(home, SWEEP_ID)
        except DamagedRecordError:  # `sweeps show` of a damaged sweep: one line
            assert item["status"] == "Damaged"


@FUZZ
@given(mutations(GOOD_MODEL, ("extra", "aliases", "properties", "description")))
def test_a_model_version_is_listed_read_or_damaged_and_stays_inside(raw):
    from harness.commands import models as command
    from harness.storage.model_registry import ModelRegistry

    with tempfile.TemporaryDirectory() as tmp:
        home = _workspace(tmp)
        version = home / "models" / "m" / "1"
        (version / "files").mkdir(parents=True)
        (version / "files" / "model.bin").write_bytes(b"model")
        (version / "model.json").write_bytes(raw)
        registry = ModelRegistry(home)
        _command(command, "cmd_list", registry, name=None, format="table")
        listed = json.loads(_command(command, "cmd_list", registry, name=None, format="json"))
        ((item,),) = [m["versions"] for m in listed]  # read or damaged, never missing
        try:
            entry = registry.get("m:1")
        except DamagedRecordError:
            assert item["damaged"] is True
            return
        assert not item.get("damaged")
        _command(command, "cmd_show", registry, ref="m:1", format="table")
        files = (version / "files").resolve()
        for name in entry.files:  # what download, serve and get_model_path open
            assert (files / name).resolve().is_relative_to(files), name

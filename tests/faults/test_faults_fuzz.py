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

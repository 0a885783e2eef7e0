"""Request bodies → model inputs (MLflow's four shapes, v1's {"data": rows}, CSV), and
the service record's validation. The DataFrames must equal what pandas itself builds
(dtypes included): the fast path through numpy may not change what a model sees."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from harness.serve import inputs
from harness.serve.store import FORMAT, ServiceRecord

SPLITS = [
    {"columns": ["a", "b"], "data": [[1.0, 2.5], [3.0, 4.0]]},
    {"columns": ["a", "b"], "data": [[1, 2], [3, 4]]},
    {"columns": ["a", "b"], "data": [[1, 2.5], [3, 4]]},  # ints and floats: pandas decides
    {"columns": ["a", "b"], "data": [[1, "x"], [3, "y"]]},
    {"columns": ["a", "b"], "data": [[True, 1], [False, 2]]},
    {"columns": ["a"], "data": [[1.0]], "index": [7]},
]


@pytest.mark.parametrize("split", SPLITS)
def test_dataframe_split_is_exactly_pandas_own(split):
    got = inputs.mlflow_input({"dataframe_split": split})
    want = pd.DataFrame(split["data"], columns=split["columns"], index=split.get("index"))
    pd.testing.assert_frame_equal(got, want)


@pytest.mark.parametrize(
    "records",
    [
        [{"a": 1.0, "b": 2.0}, {"a": 3.0, "b": 4.0}],
        [{"a": 1.0, "b": 2.0}, {"b": 3.0}],  # a missing key is NaN, as in pandas
        [{"a": 1, "b": "x"}],
    ],
)
def test_dataframe_records_is_exactly_pandas_own(records):
    got = inputs.mlflow_input({"dataframe_records": records})
    pd.testing.assert_frame_equal(got, pd.DataFrame.from_records(records))


def test_instances_and_inputs_are_arrays_or_named_columns():
    for key in ("instances", "inputs"):
        array = inputs.mlflow_input({key: [[1, 2], [3, 4]]})
        assert isinstance(array, np.ndarray) and array.tolist() == [[1, 2], [3, 4]]
        assert inputs.mlflow_input({key: [1, 2, 3]}).shape == (3, 1)
        named = inputs.mlflow_input({key: {"a": [1, 2], "b": [3, 4]}})
        assert isinstance(named, pd.DataFrame) and named.to_dict("list") == {
            "a": [1, 2],
            "b": [3, 4],
        }


def test_v1_data_and_a_bare_list_on_score():
    assert inputs.any_input({"data": [[0.5, 1.5]]}).tolist() == [[0.5, 1.5]]
    assert inputs.any_input([[1, 2]]).tolist() == [[1, 2]]
    assert isinstance(inputs.any_input({"dataframe_split": SPLITS[0]}), pd.DataFrame)


@pytest.mark.parametrize(
    ("payload", "message"),
    [
        ([1, 2], "got a JSON list"),
        ({"nothing": 1}, "exactly one of the keys"),
        ({"instances": [[1]], "inputs": [[1]]}, "exactly one of the keys"),
        ({"instances": []}, "non-empty list of rows"),
        ({"instances": [[1, 2], [3]]}, "rows of different lengths"),
        ({"dataframe_split": [[1]]}, '"dataframe_split" needs'),
        ({"dataframe_split": {"columns": ["a"], "data": [[1, 2]]}}, "cannot make a DataFrame"),
        ({"dataframe_records": [1, 2]}, '"dataframe_records" needs'),
    ],
)
def test_bad_shapes_are_one_line(payload, message):
    with pytest.raises(inputs.BadInput, match=message) as raised:
        inputs.mlflow_input(payload)
    assert "\n" not in str(raised.value)


def test_bodies_that_are_not_json_or_csv():
    with pytest.raises(inputs.BadInput, match="not JSON"):
        inputs.parse_json(b"{nope")
    with pytest.raises(inputs.BadInput, match="not UTF-8"):
        inputs.parse_json(b"\xff\xfe\x00")
    frame = inputs.csv_input(b"a,b\n1,2\n3,4\n")
    assert frame.to_dict("list") == {"a": [1, 3], "b": [2, 4]}


def test_answers_as_json():
    frame = pd.DataFrame({"a": [1]})
    encoded = inputs.to_json(
        {"p": np.array([1, 2]), "s": np.float32(0.5), "f": frame, "n": math.nan}
    )
    assert encoded == b'{"p": [1, 2], "s": 0.5, "f": [{"a": 1}], "n": NaN}'
    with pytest.raises(TypeError, match="object is not JSON serializable"):
        inputs.to_json(object())


def record_json(**changes):
    data = {"format": FORMAT, "name": "svc", "status": "Healthy", "created": "now",
            "models": [], "host": "127.0.0.1", "port": 5000}  # fmt: skip
    data.update(changes)
    return data


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"format": 2}, "unknown record format 2"),
        ({"status": "Running"}, "unknown status"),
        ({"port": "5000"}, "wrong type"),
        ({"name": "../x"}, "service name"),
    ],
)
def test_a_record_that_does_not_validate_says_why(changes, message):
    with pytest.raises((ValueError, Exception), match=message):
        ServiceRecord.from_json(record_json(**changes))


def test_a_valid_record_round_trips():
    record = ServiceRecord.from_json(record_json())
    assert ServiceRecord.from_json(record.to_json()).to_json() == record.to_json()
    assert record.scoring_uri == "http://127.0.0.1:5000/score"

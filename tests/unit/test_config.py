"""Override normalisation and the group pre-check."""

from __future__ import annotations

import pytest

from harness.errors import UnknownComponentError
from harness.job.config import check_group_choices, default_groups, normalize_overrides

GROUPS = {"estimator": "sklearn", "compute": "local", "logger": ["console"]}


def test_default_groups_come_from_the_primary_config():
    groups = default_groups()
    assert groups["estimator"] == "sklearn"
    assert groups["compute"] == "local"
    assert groups["logger"] == ["console"]


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("+estimator=pytorch", "estimator=pytorch"),
        ("estimator=pytorch", "estimator=pytorch"),
        ("+compute=mpi", "compute=mpi"),
        ("+logger=mlflow", "logger=[console,mlflow]"),
        ("+logger=[console,tensorboard]", "logger=[console,tensorboard]"),
        ("+estimator.script_params.lr=0.1", "+estimator.script_params.lr=0.1"),
        ("+foo=1", "+foo=1"),
        ("lr=0.003", "lr=0.003"),
        ("--cfg", "--cfg"),
    ],
)
def test_normalize_overrides(given, expected):
    assert normalize_overrides([given], GROUPS) == [expected]


def test_a_key_of_a_logger_option_enables_it_with_its_typed_node():
    options = {"logger": ["console", "jsonl"]}
    given = ["+logger.jsonl.path=x", "+logger=mlflow", "+logger.nosuch.k=1"]
    assert normalize_overrides(given, GROUPS, options) == [
        "logger=[console,jsonl,mlflow]",
        "logger.jsonl.path=x",
        "+logger.nosuch.k=1",  # not an option: left to the driver's "unknown logger"
    ]


def test_check_group_choices_names_value_and_options():
    searchpath = [
        "pkg://harness.plugins.sklearn.conf",
        "pkg://harness.plugins.local.conf",
        "pkg://harness.plugins.loggers.conf",
    ]
    # The built-ins register typed options (harness_config_schemas), not YAML files.
    typed = {"estimator": ["sklearn"], "compute": ["local"], "logger": ["console"]}
    check_group_choices(["estimator=sklearn", "logger=[console]"], GROUPS, searchpath, None, typed)
    with pytest.raises(
        UnknownComponentError, match=r"unknown estimator 'xgb'\. Available: sklearn"
    ):
        check_group_choices(["estimator=xgb"], GROUPS, searchpath, None, typed)
    with pytest.raises(UnknownComponentError, match="unknown logger 'nope'"):
        check_group_choices(["logger=[console,nope]"], GROUPS, searchpath, None, typed)
    # sweeps over options are Hydra's to expand
    check_group_choices(["estimator=sklearn,xgb"], GROUPS, searchpath, None, typed)

import pytest

from harness.errors import ConfigError
from harness.plugins.script.arguments import build_argv


def test_mapping_values_follow_the_documented_rules():
    argv = build_argv(
        {"lr": 0.003, "-v": True, "quiet": False, "opt": None, "cfg": {"a": 1}, "ids": [1, "x"]},
        ["pos", True, 2],
    )
    assert argv == [
        "--lr",
        "0.003",
        "-v",
        "--cfg",
        '{"a": 1}',
        "--ids",
        "1",
        "x",
        "pos",
        "true",
        "2",
    ]


@pytest.mark.parametrize(
    ("params", "arguments", "needle"),
    [
        ([1, 2], None, "script_params must be a mapping"),
        (None, "abc", "arguments must be a list"),
        ({"x": [[1]]}, None, "estimator.script_params.x"),
        (None, [{"a": 1}], "estimator.arguments[0]"),
    ],
)
def test_bad_shapes_are_config_errors(params, arguments, needle):
    with pytest.raises(ConfigError, match=needle.replace("[", r"\[").replace("]", r"\]")):
        build_argv(params, arguments)

import pytest

from harness.errors import ConfigError
from harness.plugins.script.arguments import build_argv


def test_mapping_values_follow_the_documented_rules():
    argv = build_argv(
        {"lr": 0.003, "-v": True, "quiet": False, "opt": None, "cfg": {"a": 1}, "ids": [1, "x"]},
        ["pos", True, 2],
    )
    assert argv == [
        "pos",
        "true",
        "2",
        "--lr",
        "0.003",
        "-v",
        "--cfg",
        '{"a": 1}',
        "--ids",
        "1",
        "x",
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


@pytest.mark.parametrize(
    ("params", "arguments", "expected"),
    [
        # HyperDrive over ScriptRunConfig(arguments=...): the sampled value replaces the base one
        (
            {"--kernel": "poly", "--penalty": 0.5},
            ["--kernel", "linear", "--penalty", 1.0],
            ["--kernel", "poly", "--penalty", "0.5"],
        ),
        # the bare key means the same flag
        ({"kernel": "rbf"}, ["--kernel", "linear"], ["--kernel", "rbf"]),
        # --name=value keeps its form
        ({"lr": 0.1}, ["--lr=0.5", "--epochs", 3], ["--lr=0.1", "--epochs", "3"]),
        # a sampled name the arguments lack is appended, before a `--`
        ({"seed": 7}, ["--lr", "0.5", "--", "x"], ["--lr", "0.5", "--seed", "7", "--", "x"]),
        # after `--` a token is positional, never a flag to replace
        ({"lr": 0.1}, ["--", "--lr", "0.5"], ["--lr", "0.1", "--", "--lr", "0.5"]),
        # a negative number is a value (argparse's rule), and is replaced as one
        ({"shift": 2}, ["--shift", "-3", "--n", "1"], ["--shift", "2", "--n", "1"]),
        # a flag that stood alone gets the value inserted
        ({"depth": 4}, ["--depth", "--n", "1"], ["--depth", "4", "--n", "1"]),
        # store_true: the bare flag stays, what follows it is left alone
        ({"verbose": True}, ["--verbose", "data.csv"], ["--verbose", "data.csv"]),
        # false / null remove the flag and its value
        ({"quiet": False}, ["--quiet", "--n", "1"], ["--n", "1"]),
        ({"lr": None}, ["--lr", "0.5", "data.csv"], ["data.csv"]),
        ({"lr": None}, ["--lr=0.5", "data.csv"], ["data.csv"]),
        # a list replaces every value up to the next option (argparse nargs='+')
        (
            {"units": [8, 16]},
            ["--units", "64", "128", "--n", "1"],
            ["--units", "8", "16", "--n", "1"],
        ),
        # a scalar replaces one value (argparse's default nargs)
        ({"n": 2}, ["--n", "1", "data.csv"], ["--n", "2", "data.csv"]),
        # every occurrence is replaced, so no later copy can win
        ({"n": 2}, ["--n", "1", "--m", "0", "--n=5"], ["--n", "2", "--m", "0", "--n=2"]),
        # a flag is matched whole: --lr does not match --lr-decay
        ({"lr": 0.1}, ["--lr-decay", "0.9"], ["--lr-decay", "0.9", "--lr", "0.1"]),
    ],
)
def test_a_script_param_replaces_the_same_flag_in_arguments(params, arguments, expected):
    assert build_argv(params, arguments) == expected


def test_what_argparse_parses_is_the_script_params_value():
    import argparse

    parser = argparse.ArgumentParser()
    parser.add_argument("--kernel", default="linear")
    parser.add_argument("--penalty", type=float, default=1.0)
    argv = build_argv(
        {"--kernel": "sigmoid", "penalty": 1.5}, ["--kernel", "linear", "--penalty=1.0"]
    )
    parsed = parser.parse_args(argv)
    assert (parsed.kernel, parsed.penalty) == ("sigmoid", 1.5)

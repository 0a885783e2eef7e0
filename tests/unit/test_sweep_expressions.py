"""HyperDrive's normal, lognormal, qnormal, qlognormal, quniform and qloguniform:
the override spelling, the Optuna search space, and the values a job gets, checked
against each distribution's support, quantisation and shape."""

from __future__ import annotations

import math
from statistics import NormalDist, fmean, pstdev

import pytest

optuna = pytest.importorskip("optuna")

from hydra.core.override_parser.overrides_parser import OverridesParser  # noqa: E402

from harness.errors import ConfigError  # noqa: E402
from harness.sdk import sweep as hd  # noqa: E402
from harness.sweeps import expressions  # noqa: E402
from hydra_plugins.harness_optuna_sweeper import search_space  # noqa: E402

N = 5000
#: Dvoretzky-Kiefer-Wolfowitz: the empirical CDF of N samples lies within this of the
#: true one with probability 1 - 1e-4 (and the seed is fixed: the test is repeatable).
DKW = math.sqrt(math.log(2 / 1e-4) / (2 * N))


def sample(override: str, seed: int = 7) -> list[float | int]:
    """N values of one parameter as jobs would get them: Optuna's random sampler
    over the search space the sweeper builds, then the sweeper's value mapping."""
    space, fixed = search_space.from_overrides([override])
    sampled = search_space.sampled([override])
    assert not fixed and list(space) == list(sampled) == ["x"]
    study = optuna.create_study(sampler=optuna.samplers.RandomSampler(seed=seed))
    values = []
    for _ in range(N):
        trial = study.ask(fixed_distributions=space)
        values.append(search_space.values(trial.params, sampled)["x"])
        study.tell(trial, 0.0)
    return values


def max_cdf_gap(values: list[float], cdf) -> float:  # noqa: ANN001
    ordered = sorted(values)
    n = len(ordered)
    return max(max(abs((i + 1) / n - cdf(v)), abs(i / n - cdf(v))) for i, v in enumerate(ordered))


def on_grid(values: list[float | int], q: float) -> bool:
    return all(abs(v / q - round(v / q)) < 1e-9 for v in values)


def test_normal_follows_the_normal_distribution():
    values = sample("x=tag(normal, interval(2, 0.5))")
    assert max_cdf_gap(values, NormalDist(2, 0.5).cdf) < DKW
    assert fmean(values) == pytest.approx(2, abs=0.03) and pstdev(values) == pytest.approx(
        0.5, abs=0.03
    )
    assert min(values) < 2 - 3 * 0.5 * 0.5 and max(values) > 2 + 3 * 0.5 * 0.5  # unbounded


def test_lognormal_is_positive_and_its_log_is_normal():
    values = sample("x=tag(lognormal, interval(-1, 0.7))")
    assert all(v > 0 for v in values)
    assert max_cdf_gap([math.log(v) for v in values], NormalDist(-1, 0.7).cdf) < DKW


def test_qnormal_is_quantised_and_centred():
    values = sample("x=tag(qnormal, range(10, 3, 2))")
    assert all(isinstance(v, int) for v in values) and on_grid(values, 2)
    assert fmean(values) == pytest.approx(10, abs=0.15)
    # round(normal / q) * q: P(value = 10) = P(9 <= x < 11) under normal(10, 3)
    share = sum(v == 10 for v in values) / N
    assert share == pytest.approx(NormalDist(10, 3).cdf(11) - NormalDist(10, 3).cdf(9), abs=DKW)


def test_qlognormal_is_quantised_and_not_negative():
    values = sample("x=tag(qlognormal, range(1, 0.5, 0.5))")
    assert all(isinstance(v, float) for v in values) and on_grid(values, 0.5)
    assert min(values) >= 0
    median = sorted(values)[N // 2]
    assert median == pytest.approx(round(math.e / 0.5) * 0.5, abs=0.5)  # exp(mu)


def test_quniform_takes_multiples_of_q_with_v1s_end_weights():
    values = sample("x=tag(quniform, range(0.5, 10, 1))")
    # round(uniform(0.5, 10)): every integer 1..10 (0 only at exactly 0.5), not 0.5, 1.5, ...
    assert set(values) <= set(range(11)) and set(range(1, 11)) <= set(values)
    counts = {k: sum(v == k for v in values) / N for k in range(1, 11)}
    for k in range(1, 10):
        assert counts[k] == pytest.approx(1 / 9.5, abs=DKW)
    assert counts[10] == pytest.approx(0.5 / 9.5, abs=DKW)  # [9.5, 10] is half a step


def test_qloguniform_is_quantised_within_exp_bounds_on_a_log_scale():
    values = sample("x=tag(qloguniform, range(0, 3, 0.5))")
    assert on_grid(values, 0.5)
    assert min(values) >= 1.0 and max(values) <= round(math.exp(3) / 0.5) * 0.5
    below = sum(v <= round(math.exp(1.5) / 0.5) * 0.5 for v in values) / N
    assert below == pytest.approx(0.5, abs=0.05)  # half the mass below exp(middle)


def test_decimal_steps_give_clean_values():
    assert expressions.quantise(0.1 * 3, 0.1) == 0.3
    assert expressions.quantise(1.234567, 1e-05) == 1.23457
    assert (
        expressions.quantise(-0.01, 0.1) == 0.0 and str(expressions.quantise(-0.01, 0.1)) == "0.0"
    )
    assert expressions.quantise(7.3, 2.5) == 7.5
    assert expressions.quantise(63.9, 8) == 64 and isinstance(expressions.quantise(63.9, 8), int)


def test_the_python_api_writes_what_the_sweeper_reads():
    parser = OverridesParser.create()
    for made, kind, args in [
        (hd.normal(0, 1), "normal", (0.0, 1.0)),
        (hd.lognormal(-1, 0.5), "lognormal", (-1.0, 0.5)),
        (hd.qnormal(10, 2, 1), "qnormal", (10.0, 2.0, 1.0)),
        (hd.qlognormal(1, 1, 0.1), "qlognormal", (1.0, 1.0, 0.1)),
        (hd.quniform(0.5, 10, 1), "quniform", (0.5, 10.0, 1.0)),
        (hd.qloguniform(0, 3, 0.5), "qloguniform", (0.0, 3.0, 0.5)),
    ]:
        (override,) = parser.parse_overrides([f"x={made.optuna()}"])
        assert expressions.of_override(override) == expressions.Expression(kind, args)


@pytest.mark.parametrize(
    ("override", "message"),
    [
        ("x=tag(normal, range(0, 1, 2))", "normal takes 2 numbers (mu, sigma)"),
        ("x=tag(quniform, interval(0, 1))", "quniform takes 3 numbers (low, high, q)"),
        ("x=tag(normal, choice(0, 1))", "normal takes numbers, not a list"),
        ("x=tag(normal, log, interval(0, 1))", "mixes tags"),
        ("x=tag(normal, interval(0, 0))", "sigma must be > 0"),
        ("x=tag(qnormal, range(0, 1, -1))", "q must be > 0"),
        ("x=tag(qloguniform, range(3, 1, 1))", "low must be below high"),
    ],
)
def test_a_wrong_spelling_is_one_line(override, message):
    (parsed,) = OverridesParser.create().parse_overrides([override])
    with pytest.raises(ConfigError) as caught:
        expressions.of_override(parsed)
    assert message in str(caught.value) and "\n" not in str(caught.value)


def test_python_api_refuses_bad_numbers_and_grids_in_one_line():
    with pytest.raises(ConfigError, match="sigma must be > 0"):
        hd.lognormal(0, -1)
    with pytest.raises(ConfigError, match="grid sampling takes choice"):
        hd.GridSampling({"--x": hd.qnormal(0, 1, 1)}).to_overrides(lambda name: name)
    with pytest.raises(ValueError, match="grid sampler needs discrete values"):
        space, _ = search_space.from_overrides(["x=tag(quniform, range(0, 10, 1))"])
        search_space.grid_choices(space)

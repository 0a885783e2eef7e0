"""HyperDrive's parameter expressions that Optuna has no distribution for.

Azure ML v1 sampled ``normal``, ``lognormal``, ``qnormal``, ``qlognormal``,
``quniform`` and ``qloguniform`` (hyperopt's definitions). Hydra's override grammar
has no functions of those names, so a sweep writes them as a tag on the numbers
they take (the tag says how to read them)::

    x=tag(normal, interval(MU, SIGMA))          x=tag(lognormal, interval(MU, SIGMA))
    x=tag(qnormal, range(MU, SIGMA, Q))         x=tag(qlognormal, range(MU, SIGMA, Q))
    x=tag(quniform, range(LOW, HIGH, Q))        x=tag(qloguniform, range(LOW, HIGH, Q))

Optuna samples a *latent* float for each, and the job gets the value computed from
it: for the normal family the latent is a quantile ``u`` in (0, 1) and the value
``mu + sigma * Φ⁻¹(u)`` (so random sampling draws exactly the normal, and TPE's
prior is the normal); for ``quniform`` it is ``uniform(low, high)``, for
``qloguniform`` ``exp(uniform(low, high))`` (log scale). Then, as in v1:
``lognormal = exp(normal)``, ``qX = round(X / q) * q``. A quantised value whose
``q`` and result are whole numbers is passed as an integer (``--batch 64``, which
``type=int`` and ``type=float`` both parse); other values keep ``q``'s decimals.

This module imports neither Hydra nor Optuna: the sweep callback checks and
records the expressions, the Optuna sweeper samples them, the Python API writes them.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from decimal import Decimal
from statistics import NormalDist
from typing import Any

from harness.errors import ConfigError

#: Tag → what its numbers mean (the container that holds them).
KINDS: dict[str, tuple[str, ...]] = {
    "normal": ("mu", "sigma"),
    "lognormal": ("mu", "sigma"),
    "qnormal": ("mu", "sigma", "q"),
    "qlognormal": ("mu", "sigma", "q"),
    "quniform": ("low", "high", "q"),
    "qloguniform": ("low", "high", "q"),
}
#: The latent quantile stays this far from 0 and 1 (Φ⁻¹ of either is infinite):
#: the normal is cut at about ±8.2 sigma, where its mass is below 1e-15.
QUANTILE_EPS = 1e-16


@dataclass(frozen=True)
class Expression:
    """One sampled parameter: ``kind`` (a key of KINDS) and its numbers."""

    kind: str
    args: tuple[float, ...]

    def __post_init__(self) -> None:
        names = KINDS.get(self.kind)
        if names is None:
            raise ConfigError(f"unknown parameter expression '{self.kind}'")
        if len(self.args) != len(names):
            raise ConfigError(f"{self.kind} takes {len(names)} numbers ({', '.join(names)})")
        values = dict(zip(names, self.args, strict=True))
        if "sigma" in values and not values["sigma"] > 0:
            raise ConfigError(f"{self}: sigma must be > 0")
        if "q" in values and not values["q"] > 0:
            raise ConfigError(f"{self}: q must be > 0")
        if "low" in values and not values["low"] < values["high"]:
            raise ConfigError(f"{self}: low must be below high")

    def __str__(self) -> str:
        return f"{self.kind}({', '.join(_short(a) for a in self.args)})"

    # -- the override spelling --------------------------------------------------
    def override(self) -> str:
        """``tag(KIND, interval(...))`` or ``tag(KIND, range(...))``."""
        numbers = ",".join(repr(float(a)) for a in self.args)
        container = "interval" if len(self.args) == 2 else "range"
        return f"tag({self.kind},{container}({numbers}))"

    # -- sampling ------------------------------------------------------------------
    def latent(self) -> tuple[float, float, bool]:
        """(low, high, log) of the float Optuna samples for this parameter."""
        if self.kind in ("normal", "lognormal", "qnormal", "qlognormal"):
            return QUANTILE_EPS, 1.0 - QUANTILE_EPS, False
        low, high, _ = self.args
        if self.kind == "qloguniform":
            return math.exp(low), math.exp(high), True
        return float(low), float(high), False

    def value(self, latent: float) -> float | int:
        """The parameter's value for a latent sample (see the module docstring)."""
        if self.kind in ("quniform", "qloguniform"):
            raw = float(latent)
        else:
            mu, sigma = self.args[0], self.args[1]
            quantile = min(max(float(latent), QUANTILE_EPS), 1.0 - QUANTILE_EPS)
            raw = NormalDist(mu, sigma).inv_cdf(quantile)
            if self.kind in ("lognormal", "qlognormal"):
                raw = math.exp(raw)
        if not self.kind.startswith("q"):
            return raw
        return quantise(raw, self.args[2])

    def describe(self) -> dict[str, Any]:
        """What a sweep record keeps: the kind and its named numbers."""
        return {"kind": self.kind, **dict(zip(KINDS[self.kind], self.args, strict=True))}


def quantise(value: float, q: float) -> float | int:
    """``round(value / q) * q``, without binary noise (0.30000000000000004 → 0.3);
    an integer when ``q`` and the result are whole numbers."""
    steps = round(value / q)
    if float(q).is_integer():
        return int(steps * int(q))
    digits = _decimals(q)
    result = round(steps * q, digits)
    return 0.0 if result == 0 else result  # no -0.0 on a command line


def _decimals(q: float) -> int:
    """How many decimals ``q`` is written with (0.05 → 2, 1e-05 → 5)."""
    exponent = Decimal(repr(float(q))).normalize().as_tuple().exponent
    return max(0, -int(exponent))


def _short(number: float) -> str:
    return str(int(number)) if float(number).is_integer() else repr(float(number))


def from_tagged(
    tags: set[str] | frozenset[str], numbers: list[Any], where: str
) -> Expression | None:
    """The expression a tagged Hydra sweep names, or None when no tag names one.

    ``numbers`` are the interval's (start, end) or the range's (start, stop, step).
    A tag of KINDS on the wrong container, or with another sweep tag, is one line."""
    kinds = sorted(set(tags) & set(KINDS))
    if not kinds:
        return None
    if len(kinds) > 1 or set(tags) - set(kinds):
        raise ConfigError(
            f"{where}: tag({', '.join(sorted(tags))}, ...) mixes tags; a parameter expression "
            f"takes its own tag only, e.g. tag({kinds[0]}, ...)"
        )
    kind = kinds[0]
    want = len(KINDS[kind])
    if len(numbers) != want:
        container = "interval" if want == 2 else "range"
        raise ConfigError(
            f"{where}: {kind} takes {want} numbers ({', '.join(KINDS[kind])}): write "
            f"tag({kind}, {container}({', '.join(KINDS[kind]).upper()}))"
        )
    try:
        args = tuple(float(n) for n in numbers)
    except (TypeError, ValueError):
        raise ConfigError(f"{where}: {kind} takes numbers, got {numbers!r}") from None
    try:
        return Expression(kind, args)
    except ConfigError as exc:
        raise ConfigError(f"{where}: {exc}") from None


def format_value(value: Any) -> str:
    """A sampled value as the job's override writes it (ints stay ints)."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return str(value)
    return str(value) if isinstance(value, int) else repr(float(value))


def of_override(override: Any) -> Expression | None:
    """The expression of a parsed Hydra override (``hydra...overrides.Override``),
    or None when it is not one (a choice, a plain range or interval, a value)."""
    if not override.is_sweep_override():
        return None
    value = override.value()
    tags = set(getattr(value, "tags", None) or ())
    where = str(override.input_line or override.get_key_element())
    if override.is_interval_sweep():
        numbers = [value.start, value.end]
    elif override.is_range_sweep() and not value.shuffle:
        numbers = [value.start, value.stop, value.step]
    else:
        if tags & set(KINDS):
            kind = sorted(tags & set(KINDS))[0]
            container = "interval" if len(KINDS[kind]) == 2 else "range"
            raise ConfigError(
                f"{where}: {kind} takes numbers, not a list: write "
                f"tag({kind}, {container}({', '.join(KINDS[kind]).upper()}))"
            )
        return None
    return from_tagged(tags, numbers, where)


def describe_override(override: Any) -> dict[str, Any] | None:
    """One parameter of a sweep's search space as a sweep record keeps it: a
    parameter expression, a choice, a range or an interval; None for a fixed value."""
    if not override.is_sweep_override():
        return None
    expression = of_override(override)
    if expression is not None:
        return expression.describe()
    value = override.value()
    tags = sorted(getattr(value, "tags", None) or ())
    if override.is_choice_sweep() or (override.is_range_sweep() and value.shuffle):
        try:
            return {"kind": "choice", "values": list(override.sweep_iterator()), "tags": tags}
        except Exception:  # a glob over config groups: keep it as written
            return {"kind": "choice", "text": str(override.input_line), "tags": tags}
    if override.is_range_sweep():
        return {"kind": "range", "start": value.start, "stop": value.stop,
                "step": value.step, "tags": tags}  # fmt: skip
    return {"kind": "interval", "low": value.start, "high": value.end, "tags": tags}

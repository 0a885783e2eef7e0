"""Hydra's refusal of a composition, told as one line: for an override of a
declared option, the key, the type the chosen component declares for it, and a
value that would be accepted.

Hydra (OmegaConf) already refuses a wrong type or an unknown key while composing,
against the typed options plugins register (``harness_config_schemas``). Its
exceptions carry what is needed as fields: OmegaConf's ``full_key``,
``object_type`` and ``msg`` (under Hydra's ``ConfigCompositionException``),
Hydra's ``MissingConfigException.options``; the override itself is found by its key
with Hydra's own override parser. Nothing here reads Hydra's printed text.
"""

from __future__ import annotations

from typing import Any

from hydra.errors import ConfigCompositionException, MissingConfigException
from omegaconf.errors import (
    ConfigAttributeError,
    ConfigKeyError,
    OmegaConfBaseException,
)

from harness.job import config as job_config

#: A value of each declared type, for the example when the default is null.
_EXAMPLES = {"float": "1.5", "int": "2", "bool": "true", "str": "TEXT"}


def explain(exc: BaseException, overrides: list[str], manager: Any) -> str:
    """One line for a composition error of ``harness train OVERRIDES``."""
    cause = exc.__cause__ if isinstance(exc.__cause__, OmegaConfBaseException) else None
    if isinstance(exc, ConfigCompositionException) and cause is not None:
        told = _about_override(cause, overrides, manager)
        if told is not None:
            return told
    if isinstance(exc, MissingConfigException) and exc.options:
        return f"{_first_line(exc)} (available: {', '.join(sorted(exc.options))})"
    if isinstance(exc, OmegaConfBaseException):
        return _omegaconf_line(exc)
    if cause is not None:
        return f"{_first_line(exc)}: {_omegaconf_line(cause)}"
    return _first_line(exc)


def _about_override(
    cause: OmegaConfBaseException, overrides: list[str], manager: Any
) -> str | None:
    key = str(cause.full_key or "")
    typed = _typed_overrides(overrides)
    given = typed.get(key)
    if isinstance(cause, (ConfigAttributeError, ConfigKeyError)) and key:
        value = given[1] if given else "VALUE"
        path, _, _leaf = key.rpartition(".")
        path = f"{path}." if path else ""
        rows = declared(overrides, manager)
        siblings = [
            k[len(path) :] for k in rows if k.startswith(path) and "." not in k[len(path) :]
        ]
        if cause.object_type is dict or not siblings:
            # an open node (the sklearn model's parameters): adding the key is right
            return f"{key} is not in the config; add it with +{key}={value}"
        if not path:  # the top level takes keys of the user's own (given with +)
            return job_config.unknown_key_message(key, siblings, "", "the config", value)
        owner = next((rows[path + s][2] for s in siblings), "the config")
        return job_config.unknown_key_message(key, siblings, path, owner)
    if key and given is not None:  # a wrong value (ValidationError, a mismatched type)
        reason = _reason(cause).rstrip(".")
        row = declared(overrides, manager).get(key)
        if row is None:
            return f"{given[0]}: {reason}"
        kind, default, owner = row
        return (
            f"{given[0]}: {reason}; {key} must be {_article(kind)} "
            f"({owner}, default {_hydra_value(default)}), e.g. {key}={_example(kind, default)}"
        )
    return None


def _typed_overrides(overrides: list[str]) -> dict[str, tuple[str, str]]:
    """key → (the override as typed, its value as typed), by Hydra's own parser."""
    from hydra.core.override_parser.overrides_parser import OverridesParser

    parser = OverridesParser.create()
    parsed: dict[str, tuple[str, str]] = {}
    for item in overrides:
        try:
            override = parser.parse_override(item)
            value = "" if override.is_delete() else str(override.get_value_element_as_str())
        except Exception:  # (malformed ones were refused before composing)
            continue
        parsed[override.key_or_group] = (override.input_line or item, value)
    return parsed


def _omegaconf_line(exc: OmegaConfBaseException) -> str:
    """OmegaConf's reason, with the key it is about."""
    key = getattr(exc, "full_key", None)
    return f"{key}: {_reason(exc)}" if key else _reason(exc)


def _reason(exc: OmegaConfBaseException) -> str:
    """The exception's ``msg`` without the ``full_key:``/``object_type=`` lines that
    OmegaConf appends to it for people (they are its other fields)."""
    lines = [ln.strip() for ln in str(exc.msg or "").splitlines() if ln.strip()]
    return lines[0] if lines else type(exc).__name__


def _first_line(exc: BaseException) -> str:
    lines = [ln.strip() for ln in str(exc).splitlines() if ln.strip()]
    return lines[0] if lines else type(exc).__name__


def declared(overrides: list[str], manager: Any) -> dict[str, tuple[str, Any, str]]:
    """key → (type, default, ``group=option``) for the options this command chose."""
    from harness.cli.config_help import _dataclass_rows, component_options

    chosen = {**job_config.default_groups(), **_chosen(overrides)}
    rows: dict[str, tuple[str, Any, str]] = {
        key: (kind, default, "a top-level option")
        for key, kind, default, *_ in _dataclass_rows(job_config.schema(), "")
    }
    loggers = chosen.get("logger") or []
    for group, options in component_options(manager).items():
        for option, _source, option_rows in options:
            picked = option in loggers if group == "logger" else chosen.get(group) == option
            if picked:
                for key, kind, default, *_ in option_rows:
                    if kind != "other keys":
                        rows[key] = (kind, default, f"{group}={option}")
    return rows


def _chosen(overrides: list[str]) -> dict[str, Any]:
    """The component groups the overrides choose (``estimator=x``, ``logger=[a,b]``)."""
    chosen: dict[str, Any] = {}
    for key, (_typed, value) in _typed_overrides(overrides).items():
        if key in ("estimator", "compute", "logger"):
            names = [v.strip() for v in value.strip("[]").split(",") if v.strip()]
            if names:
                chosen[key] = names if key == "logger" else names[0]
    return chosen


def _article(kind: str) -> str:
    if "|" in kind.split(" or ")[0]:
        return f"one of {kind}"
    return f"{'an' if kind[:1] in 'aeiou' else 'a'} {kind}"


def _hydra_value(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, list):
        return f"[{','.join(_hydra_value(v) for v in value)}]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k}: {_hydra_value(v)}" for k, v in value.items()) + "}"
    return str(value)


def _example(kind: str, default: Any) -> str:
    if default is not None and default != [] and default != {}:
        return _hydra_value(default)
    base = kind.removesuffix(" or null")
    if base.startswith("list"):
        return "[a,b]"
    if base.startswith("mapping"):
        return "{key: value}"
    if "|" in base:
        return base.split("|")[0]
    return _EXAMPLES.get(base, "VALUE")

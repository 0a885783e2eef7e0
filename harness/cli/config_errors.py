"""Hydra's refusal of an override, told as one line that names the key, the type
the chosen component declares for it, and a value that would be accepted.

Hydra (OmegaConf) already refuses a wrong type or an unknown key while composing,
against the typed options plugins register (``harness_config_schemas``); its
message names the key and the value but not what the key takes, and for an unknown
key it suggests ``+key=value``, which a typed option then refuses anyway.
"""

from __future__ import annotations

import re
from typing import Any

from harness.job import config as job_config

_MERGE = re.compile(r"^Error merging override (?P<override>.+)$")
_OVERRIDE = re.compile(r"^Could not override '(?P<key>[^']+)'\.$")
_APPEND = re.compile(r"^To append to your config use \+(?P<key>[^=]+)=(?P<value>.*)$")
_FULL_KEY = re.compile(r"^full_key: (?P<key>\S+)$")
_NOISE = re.compile(r"^(full_key:|object_type=|reference_type=|Set the environment variable)")

#: A value of each declared type, for the example when the default is null.
_EXAMPLES = {"float": "1.5", "int": "2", "bool": "true", "str": "TEXT"}


def explain(text: str, overrides: list[str], manager: Any) -> str | None:
    """One line for Hydra's message ``text``, or None when it is not about an override
    of a declared option (the caller then shortens Hydra's own text)."""
    lines = [ln.strip() for ln in text.splitlines() if ln.strip()]
    if not lines:
        return None
    full_key = next((m["key"] for ln in lines if (m := _FULL_KEY.match(ln))), None)
    reason = " ".join(ln for ln in lines[1:] if not _NOISE.match(ln) and not _APPEND.match(ln))
    reason = reason.rstrip(".")
    merge, unknown = _MERGE.match(lines[0]), _OVERRIDE.match(lines[0])
    if merge and full_key:
        row = declared(overrides, manager).get(full_key)
        if row is None:
            return None
        kind, default, owner = row
        return (
            f"{merge['override']}: {reason}; {full_key} must be {_article(kind)} "
            f"({owner}, default {_hydra_value(default)}), e.g. "
            f"{full_key}={_example(kind, default)}"
        )
    if unknown:
        key = unknown["key"]
        path, _, _leaf = key.rpartition(".")
        path = f"{path}." if path else ""
        rows = declared(overrides, manager)
        siblings = [
            k[len(path) :] for k in rows if k.startswith(path) and "." not in k[len(path) :]
        ]
        append = next((m for ln in lines if (m := _APPEND.match(ln))), None)
        value = append["value"] if append else "VALUE"
        if "not in struct" in reason or not siblings:
            # an open node (the sklearn model's parameters): adding the key is right
            return f"{key} is not in the config; add it with +{key}={value}"
        if not path:  # the top level takes keys of the user's own (given with +)
            return job_config.unknown_key_message(key, siblings, "", "the config", value)
        owner = next((rows[path + s][2] for s in siblings), "the config")
        return job_config.unknown_key_message(key, siblings, path, owner)
    return None


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
    chosen: dict[str, Any] = {}
    for item in overrides:
        match = re.match(r"^\+{0,2}(estimator|compute|logger)=(.+)$", item)
        if match:
            value = match.group(2).strip("[]")
            names = [v.strip() for v in value.split(",") if v.strip()]
            chosen[match.group(1)] = names if match.group(1) == "logger" else names[0]
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

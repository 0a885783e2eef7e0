"""One check per kind of user input that is stored or compared, with size limits.

Experiment names, tag keys and values, properties, descriptions and status filters
arrive through the CLI, the Python API and the dashboard; each surface calls the
function for its kind here, so the three accept and refuse the same things with
the same one-line ``ConfigError`` (exit 2; HTTP 400 in the dashboard). The stores
call them too (``RunStore.create``/``set_tags``), so nothing reaches a record
without passing. Ids and names that become paths are ``harness.ids``'s.

A leaf module (``errors`` and ``records`` only).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from harness.errors import ConfigError
from harness.records import RunStatus

__all__ = [
    "MAX_NAME",
    "MAX_TAGS",
    "MAX_TEXT",
    "description",
    "experiment_name",
    "properties",
    "status_filter",
    "tag_key",
    "tag_value",
    "tags",
]

#: Characters in an experiment name or a tag/property key.
MAX_NAME = 255
#: Characters in a tag or property value, or a description (MLflow's tag limit).
MAX_TEXT = 5000
#: Tags (or properties) set in one call.
MAX_TAGS = 100


def _shown(value: object, limit: int = 40) -> str:
    text = repr(value)
    return text if len(text) <= limit else f"{text[: limit - 4]}...{text[-1]}"


def _printable(text: str) -> bool:
    return text.isprintable()


def experiment_name(value: Any) -> str:
    """A non-empty name of printable characters, no surrounding spaces, ≤ 255."""
    if not isinstance(value, str) or not value.strip():
        raise ConfigError(
            f"experiment name {_shown(value)}: give a non-empty name (experiment=NAME)"
        )
    if value != value.strip() or not _printable(value) or len(value) > MAX_NAME:
        raise ConfigError(
            f"experiment name {_shown(value)}: use up to {MAX_NAME} printable characters "
            "without surrounding spaces"
        )
    return value


def tag_key(key: Any, what: str = "tag") -> str:
    """A non-empty key of printable characters without '=', ≤ 255."""
    if not isinstance(key, str) or not key:
        raise ConfigError(f"{what} key {_shown(key)}: give a non-empty key (KEY=VALUE)")
    if "=" in key or not _printable(key) or len(key) > MAX_NAME:
        raise ConfigError(
            f"{what} key {_shown(key)}: use up to {MAX_NAME} printable characters, no '='"
        )
    return key


def tag_value(value: Any, key: str = "", what: str = "tag") -> str:
    """The value as stored (text), at most 5,000 characters."""
    text = "" if value is None else str(value)
    if len(text) > MAX_TEXT:
        raise ConfigError(
            f"{what} {key!r}: the value has {len(text):,} characters; at most {MAX_TEXT:,} "
            "(keep large data in the run's outputs/)"
        )
    return text


def tags(mapping: Any, what: str = "tag") -> dict[str, str]:
    """Every key and value checked, at most 100 in one call: the stored form."""
    if not isinstance(mapping, Mapping):
        raise ConfigError(f"{what}s must be a mapping of KEY to VALUE, not {_shown(mapping)}")
    if len(mapping) > MAX_TAGS:
        raise ConfigError(f"{len(mapping)} {what}s at once; set at most {MAX_TAGS} per call")
    return {tag_key(k, what): tag_value(v, k, what) for k, v in mapping.items()}


def properties(mapping: Any) -> dict[str, str]:
    return tags(mapping, "property")


def description(value: Any) -> str:
    return tag_value(value, "description", "model")


def status_filter(value: Any) -> RunStatus:
    """A status to filter by, any case (``failed``): one of the five."""
    if isinstance(value, str):
        for status in RunStatus:
            if status.value.lower() == value.lower():
                return status
    choices = ", ".join(s.value for s in RunStatus)
    raise ConfigError(f"status {_shown(value)}: use one of {choices}")

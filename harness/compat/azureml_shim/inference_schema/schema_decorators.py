"""``@input_schema(name, type)`` and ``@output_schema(type)`` on a score.py's ``run``."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

SCHEMA_ATTR = "__inference_schema__"


def _wrap(func: Callable[..., Any], schema: dict[str, Any]) -> Callable[..., Any]:
    inner = getattr(func, "__wrapped_run__", func)
    merged = {
        "input": {**getattr(func, SCHEMA_ATTR, {}).get("input", {}), **schema.get("input", {})},
        "output": schema.get("output") or getattr(func, SCHEMA_ATTR, {}).get("output"),
    }
    types = merged["input"]

    @functools.wraps(inner)
    def run(*args: Any, **kwargs: Any) -> Any:
        converted = {
            key: types[key].deserialize_input(value) if key in types else value
            for key, value in kwargs.items()
        }
        return inner(*args, **converted)

    setattr(run, SCHEMA_ATTR, merged)
    run.__wrapped_run__ = inner  # type: ignore[attr-defined]
    return run


def input_schema(param_name: str, param_type: Any, convert_to_provided_type: bool = True) -> Any:
    return lambda func: _wrap(func, {"input": {param_name: param_type}})


def output_schema(output_type: Any) -> Any:
    return lambda func: _wrap(func, {"output": output_type})


__all__ = ["input_schema", "output_schema"]

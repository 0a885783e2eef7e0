from __future__ import annotations

from typing import Any

from inference_schema.parameter_types import AbstractParameterType


class StandardPythonParameterType(AbstractParameterType):
    """A plain JSON value (number, string, list, dict); passed to run() as is."""

    def swagger(self) -> dict[str, Any]:
        kinds = {bool: "boolean", int: "integer", float: "number", str: "string",
                 list: "array", dict: "object"}  # fmt: skip
        kind = next((v for k, v in kinds.items() if isinstance(self.sample_input, k)), "object")
        return {"type": kind, "example": self.sample_input}

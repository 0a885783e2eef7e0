"""The sample-carrying parameter types of ``inference_schema``."""

from __future__ import annotations

from typing import Any


class AbstractParameterType:
    def __init__(self, sample_input: Any, **options: Any) -> None:
        self.sample_input = sample_input
        self.options = options

    def deserialize_input(self, value: Any) -> Any:
        return value

    def example(self) -> Any:
        return self.sample_input

    def swagger(self) -> dict[str, Any]:
        return {"example": self.example()}

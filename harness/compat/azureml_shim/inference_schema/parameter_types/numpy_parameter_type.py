from __future__ import annotations

from typing import Any

from inference_schema.parameter_types import AbstractParameterType


class NumpyParameterType(AbstractParameterType):
    """A numpy array: the JSON rows become an array of the sample's dtype."""

    def deserialize_input(self, value: Any) -> Any:
        import numpy as np

        return np.asarray(value, dtype=self.sample_input.dtype)

    def example(self) -> Any:
        return self.sample_input.tolist()

    def swagger(self) -> dict[str, Any]:
        return {"type": "array", "items": {"type": "number"}, "example": self.example(),
                "shape": list(self.sample_input.shape)}  # fmt: skip

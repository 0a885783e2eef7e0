from __future__ import annotations

from typing import Any

from inference_schema.parameter_types import AbstractParameterType


class PandasParameterType(AbstractParameterType):
    """A pandas DataFrame: JSON records (``orient='records'``) become a DataFrame."""

    def __init__(self, sample_input: Any, orient: str = "records", **options: Any) -> None:
        super().__init__(sample_input, orient=orient, **options)
        self.orient = orient

    def deserialize_input(self, value: Any) -> Any:
        import pandas as pd

        if self.orient == "split" and isinstance(value, dict):
            return pd.DataFrame(value["data"], columns=value.get("columns"))
        frame = pd.DataFrame.from_records(value) if isinstance(value, list) else pd.DataFrame(value)
        return frame.astype(self.sample_input.dtypes.to_dict(), errors="ignore")

    def example(self) -> Any:
        return self.sample_input.to_dict(orient="records")

    def swagger(self) -> dict[str, Any]:
        return {"type": "array", "items": {"type": "object",
                "properties": {str(c): {} for c in self.sample_input.columns}},
                "example": self.example()}  # fmt: skip

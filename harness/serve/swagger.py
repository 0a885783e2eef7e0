"""``GET /swagger.json``: an OpenAPI 2.0 document from score.py's declared samples.

v1 generated it from the ``inference_schema`` decorators on ``run()``; so does
this, with the samples as examples (the shim's parameter types describe
themselves through ``swagger()``).
"""

from __future__ import annotations

from typing import Any

from harness.serve.store import ServiceRecord


def _describe(param_type: Any) -> dict[str, Any]:
    describe = getattr(param_type, "swagger", None)
    if callable(describe):
        return dict(describe())
    return {"example": getattr(param_type, "sample_input", None)}


def document(record: ServiceRecord, schema: dict[str, Any]) -> dict[str, Any]:
    inputs = {name: _describe(kind) for name, kind in (schema.get("input") or {}).items()}
    output = schema.get("output")
    return {
        "swagger": "2.0",
        "info": {"title": record.name, "description": record.description, "version": "1.0"},
        "schemes": ["http"],
        "consumes": ["application/json"],
        "produces": ["application/json"],
        "paths": {
            "/score": {
                "post": {
                    "description": "Run the web service's model and get the prediction output",
                    "parameters": [
                        {
                            "name": "serviceInputPayload",
                            "in": "body",
                            "required": True,
                            "schema": {"type": "object", "properties": inputs},
                        }
                    ],
                    "responses": {
                        "200": {
                            "description": "The service processed the input correctly",
                            "schema": _describe(output) if output is not None else {},
                        }
                    },
                }
            }
        },
    }

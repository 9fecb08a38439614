"""Every operator as Clarifai's ``ModelType``: its id, what it reads and writes, its params.

``ListModelTypes`` answers with these.  A param becomes a ``ModelTypeField`` at
``output_info.params.<name>`` (concepts at ``output_info.data.concepts``), typed from the
param's JSON schema: booleans, numbers (a ``RANGE`` with min and max when both bounds are
declared), strings, enums (a ``Literal``), arrays and, for anything else, JSON.
"""

from __future__ import annotations

from typing import Any

from engine.operator import Operator, operator_types

__all__ = ["model_type", "model_types"]

_ARRAYS = {
    "string": "ARRAY_OF_STRINGS",
    "number": "ARRAY_OF_NUMBERS",
    "integer": "ARRAY_OF_NUMBERS",
}


def _kind(schema: dict[str, Any]) -> dict[str, Any]:
    options = [s for s in schema.get("anyOf", []) if s.get("type") != "null"]
    if len(options) == 1:
        schema = {**options[0], **{k: v for k, v in schema.items() if k != "anyOf"}}
    if "enum" in schema or "const" in schema:
        values = schema.get("enum", [schema.get("const")])
        return {"field_type": "ENUM", "model_type_enum_options": [{"id": str(v)} for v in values]}
    kind = schema.get("type")
    if kind == "boolean":
        return {"field_type": "BOOLEAN"}
    if kind in ("number", "integer"):
        low = schema.get("minimum", schema.get("exclusiveMinimum"))
        high = schema.get("maximum", schema.get("exclusiveMaximum"))
        if low is not None and high is not None:
            step = 1 if kind == "integer" else 0
            return {
                "field_type": "RANGE",
                "model_type_range_info": {"min": low, "max": high, "step": step},
            }
        return {"field_type": "NUMBER"}
    if kind == "string":
        return {"field_type": "STRING"}
    if kind == "array":
        item = schema.get("items", {}).get("type")
        return {"field_type": _ARRAYS.get(str(item), "JSON")}
    return {"field_type": "JSON"}


def _field(name: str, schema: dict[str, Any], required: bool) -> dict[str, Any]:
    concepts = name == "concepts"
    field: dict[str, Any] = {
        "path": "output_info.data.concepts" if concepts else f"output_info.params.{name}",
        "description": str(schema.get("description", "")),
        "required": required,
        **({"field_type": "ARRAY_OF_CONCEPTS_WITH_THRESHOLD"} if concepts else _kind(schema)),
    }
    if "default" in schema and schema["default"] is not None:
        field["default_value"] = schema["default"]
    return field


def model_type(type_id: str, cls: type[Operator]) -> dict[str, Any]:
    """One operator as the JSON of Clarifai's ``ModelType``."""
    schema = cls.Params.model_json_schema()
    required = set(schema.get("required", []))
    props = schema.get("properties", {})
    doc = (cls.__doc__ or "").strip().split("\n\n")[0].replace("\n", " ")
    return {
        "id": type_id,
        "title": type_id.replace("-", " "),
        "description": doc,
        "input_fields": list(cls.reads),
        "output_fields": [w for w in cls.writes if w != "*"],
        "creatable": True,
        "model_type_fields": [_field(n, s, n in required) for n, s in props.items()],
    }


def model_types() -> list[dict[str, Any]]:
    """Every registered operator type, sorted by id."""
    return [model_type(t, cls) for t, cls in sorted(operator_types().items())]

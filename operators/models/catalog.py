"""The bundled model catalog: Clarifai ids bound to local stand-ins (see ``catalog.yml``).

Importing this module registers the bindings; the operator loader imports it with the rest.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from engine import ModelBinding, bind_model

__all__ = ["CATALOG_FILE", "bundled_bindings"]

CATALOG_FILE = Path(__file__).with_name("catalog.yml")


def bundled_bindings() -> list[ModelBinding]:
    """The bindings ``catalog.yml`` lists."""
    doc: dict[str, Any] = yaml.safe_load(CATALOG_FILE.read_text(encoding="utf-8"))
    return [
        ModelBinding(
            model_id=e["model_id"],
            model_type_id=e["model_type_id"],
            params=dict(e.get("params") or {}),
            user_id=e.get("user_id"),
            app_id=e.get("app_id"),
            note=e.get("note"),
        )
        for e in doc["models"]
    ]


for _binding in bundled_bindings():
    bind_model(_binding)

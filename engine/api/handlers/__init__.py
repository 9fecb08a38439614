"""One module per resource; importing the package registers every handler."""

from engine.api.handlers import annotations, apps, concepts, inputs, searches  # noqa: F401

__all__: list[str] = []

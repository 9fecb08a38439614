"""One module per resource; importing the package registers every handler."""

from engine.api.handlers import apps, inputs  # noqa: F401

__all__: list[str] = []

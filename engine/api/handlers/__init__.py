"""One module per resource; importing the package registers every handler."""

from engine.api.handlers import (  # noqa: F401
    annotations,
    apps,
    concepts,
    datasets,
    inputs,
    models,
    searches,
    workflows,
)

__all__: list[str] = []

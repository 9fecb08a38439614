"""Built-in operators.  Users reach them by ``type_id``; nothing is exported but ``load``."""

from __future__ import annotations

import importlib
import pkgutil

__all__ = ["load"]


def load() -> None:
    """Import every operator module so their ``@register`` decorators run."""
    for info in pkgutil.walk_packages(__path__, prefix=f"{__name__}."):
        leaf = info.name.rsplit(".", 1)[-1]
        if not leaf.startswith("_"):
            importlib.import_module(info.name)

"""Real photos that installed packages ship (tests must not download anything)."""

from __future__ import annotations

import importlib.util
from pathlib import Path


def sample_portrait() -> Path | None:
    """A 512 x 600 portrait photo in matplotlib's wheel (matplotlib is a filterpy dependency)."""
    spec = importlib.util.find_spec("matplotlib")
    if spec is None or not spec.submodule_search_locations:
        return None
    path = Path(spec.submodule_search_locations[0]) / "mpl-data/sample_data/grace_hopper.jpg"
    return path if path.is_file() else None

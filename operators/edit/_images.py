"""Finding the pixels an edit operator works on."""

from __future__ import annotations

import numpy as np

from engine import Context, Data, InputError

__all__ = ["source_image"]


def _has_pixels(data: Data) -> bool:
    return data.image is not None and data.image.has_pixels


def source_image(data: Data, ctx: Context) -> np.ndarray:
    """The input's own image, else the nearest upstream one (a detector outputs only regions)."""
    found = data if _has_pixels(data) else ctx.look_back(_has_pixels)
    if found is None or found.image is None:
        raise InputError(
            f"node '{ctx.node_id}' needs an image but neither its input nor any upstream "
            "node (nor the workflow input) has one"
        )
    return found.image.array

"""Clarifai node types that Clarifai has deprecated, with what to use instead.

A workflow file that names one is refused when it is compiled (``opgraph validate``
included), at the node's ``model_type_id``, with Clarifai's deprecation and the
replacement, rather than as an unknown type with a did-you-mean guess.
"""

from __future__ import annotations

__all__ = ["DEPRECATED_TYPES", "deprecation"]

_TRACKERS = "byte-tracker, centroid-tracker, kalman-filter-tracker or kalman-reid-tracker"

# type id -> what replaces it
DEPRECATED_TYPES: dict[str, str] = {
    "isolation-operator": (
        "filter the detector's regions with region-thresholder, or count them with "
        "object-counter"
    ),
    "custom-code-operator": (
        "write the code as an operator of your own and register it through the "
        "'opgraph.operators' entry-point group"
    ),
    "aws-lambda": (
        "send the results to an HTTP endpoint in front of the function with results-push, "
        "or write the code as an operator of your own"
    ),
    "tesseract-operator": "use optical-character-recognizer (OCR)",
    "neural-tracker": f"use one of the four trackers: {_TRACKERS}",
    "neural-lite-tracker": f"use one of the four trackers: {_TRACKERS}",
}


def deprecation(type_id: str) -> str | None:
    """The message for a deprecated ``type_id``, or None when it is not deprecated."""
    instead = DEPRECATED_TYPES.get(type_id)
    if instead is None:
        return None
    return f"'{type_id}' is deprecated by Clarifai and opgraph does not run it: {instead}"

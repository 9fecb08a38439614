"""Clarifai's patch actions on an input's metadata and concepts: merge, overwrite, remove."""

from __future__ import annotations

from typing import Any

from engine.errors import AppError
from engine.proto import StatusCode

__all__ = ["ACTIONS", "check_action", "patch_concepts", "patch_metadata"]

ACTIONS = ("merge", "overwrite", "remove")


def check_action(action: str, code: int = StatusCode.INPUT_INVALID_ARGUMENT) -> str:
    if action not in ACTIONS:
        raise AppError(f"action must be one of {', '.join(ACTIONS)}, got {action!r}", code=code)
    return action


def patch_metadata(
    old: dict[str, Any] | None, new: dict[str, Any] | None, action: str
) -> dict[str, Any] | None:
    """``merge`` sets the given keys (objects merge key by key), ``overwrite`` replaces the
    whole object, ``remove`` deletes the given keys (an object value removes inside it)."""
    if new is None:
        return None if action == "overwrite" else old
    if action == "overwrite":
        return dict(new) or None
    out = _merged(old or {}, new) if action == "merge" else _removed(old or {}, new)
    return out or None


def _merged(old: dict[str, Any], new: dict[str, Any]) -> dict[str, Any]:
    out = dict(old)
    for key, value in new.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = _merged(out[key], value)
        else:
            out[key] = value
    return out


def _removed(old: dict[str, Any], gone: dict[str, Any]) -> dict[str, Any]:
    out = dict(old)
    for key, value in gone.items():
        if isinstance(value, dict) and value and isinstance(out.get(key), dict):
            out[key] = _removed(out[key], value)
        else:
            out.pop(key, None)
    return out


def patch_concepts(
    old: list[dict[str, Any]], new: list[dict[str, Any]], action: str
) -> list[dict[str, Any]]:
    """By concept id: ``merge`` adds or updates, ``overwrite`` replaces, ``remove`` drops."""
    if action == "overwrite":
        return list(new)
    given = {c.get("id"): c for c in new}
    if action == "remove":
        return [c for c in old if c.get("id") not in given]
    kept = [{**c, **given.pop(c.get("id"), {})} for c in old]
    return kept + list(given.values())

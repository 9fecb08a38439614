"""Reading the values of one rank or filter of a search query (``engine.query``): the V2
API's ``Rank`` / ``Filter`` JSON as the SDK's flat keys, and each key's value checked, with
one ``AppError`` carrying Clarifai's status code for the first mistake, naming where it is.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from engine.errors import AppError
from engine.proto import StatusCode

__all__ = [
    "EARTH_RADIUS_KM",
    "INPUT_TYPES",
    "annotation_status_of",
    "flag",
    "flatten",
    "geo_limit_km",
    "input_types_of",
    "lat_lon",
    "metadata_object",
    "obj",
    "opt_int",
    "opt_str",
    "strs",
    "time_range",
]

INPUT_TYPES = ("image", "video", "text", "audio")
EARTH_RADIUS_KM = 6371.0088
_KM_PER = {"withinKilometers": 1.0, "withinMiles": 1.609344, "withinDegrees": 111.19492664}
_BAD = StatusCode.SEARCH_INVALID_REQUEST


def metadata_object(value: Any, where: str) -> dict[str, Any] | None:
    if value is None:
        return None
    if not isinstance(value, dict):
        raise AppError(f"{where}.metadata must be a JSON object", code=_BAD)
    from engine.app._requests import check_json  # the one bound on depth and size

    check_json(value, f"{where}.metadata", code=_BAD)
    try:
        json.dumps(value, allow_nan=False)
    except (TypeError, ValueError) as exc:
        raise AppError(f"{where}.metadata is not JSON: {exc}", code=_BAD) from None
    return value or None


def input_types_of(value: Any, where: str) -> tuple[str, ...]:
    if value is None:
        return ()
    types = [value] if isinstance(value, str) else value
    if not isinstance(types, list | tuple) or any(t not in INPUT_TYPES for t in types):
        raise AppError(
            f"{where}.input_types must be a list of {', '.join(INPUT_TYPES)}, got {value!r}",
            code=_BAD,
        )
    return tuple(dict.fromkeys(types))


def annotation_status_of(value: Any, where: str) -> int | None:
    if value is None or (isinstance(value, int) and not isinstance(value, bool)):
        return value
    if isinstance(value, str):
        name = value.upper()
        name = name if name.startswith("ANNOTATION_") else f"ANNOTATION_{name}"
        if value.isdigit():
            return int(value)
        if name in StatusCode.__members__:
            return int(StatusCode[name])
    raise AppError(f"{where}.annotation_status: unknown status {value!r}", code=_BAD)


def lat_lon(point: Any, where: str) -> tuple[float, float]:
    if isinstance(point, dict) and "geo_point" in point:
        point = point["geo_point"]  # the proto's GeoBoxedPoint
    if not isinstance(point, dict):
        raise AppError(f"{where} must be {{longitude, latitude}}", code=_BAD)
    lat, lon = point.get("latitude"), point.get("longitude")
    for name, v, bound in (("latitude", lat, 90.0), ("longitude", lon, 180.0)):
        if isinstance(v, bool) or not isinstance(v, int | float) or not -bound <= v <= bound:
            raise AppError(
                f"{where}.{name} must be a number in [-{bound:g}, {bound:g}], got {v!r}",
                code=_BAD,
            )
    return float(lat), float(lon)  # type: ignore[arg-type]


def geo_limit_km(limit: Any, where: str) -> float:
    """The radius in km: a number (km, as the SDK gives it) or a proto GeoLimit."""
    if isinstance(limit, dict):
        kind, value = limit.get("type", "withinKilometers"), limit.get("value")
        if kind == "withinRadians" and isinstance(value, int | float):
            return float(value) * EARTH_RADIUS_KM
        if kind not in _KM_PER:
            raise AppError(f"{where}.type: unknown geo limit type {kind!r}", code=_BAD)
        limit = None if not isinstance(value, int | float) else float(value) * _KM_PER[kind]
    if isinstance(limit, bool) or not isinstance(limit, int | float) or not limit > 0:
        raise AppError(f"{where} must be a positive radius, got {limit!r}", code=_BAD)
    return float(limit)


def time_range(value: Any, where: str) -> tuple[str | None, str | None] | None:
    if value is None:
        return None
    if not isinstance(value, dict) or not value or set(value) - {"start_time", "end_time"}:
        raise AppError(f"{where} must be {{start_time, end_time}} (ISO 8601)", code=_BAD)
    start, end = (_timestamp(value.get(k), f"{where}.{k}") for k in ("start_time", "end_time"))
    if start is not None and end is not None and start > end:
        raise AppError(f"{where}: start_time is after end_time", code=_BAD)
    return start, end


def _timestamp(value: Any, where: str) -> str | None:
    """An ISO 8601 time in the store's form (UTC, microseconds, ``Z``)."""
    if value is None:
        return None
    try:
        t = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError:
        raise AppError(f"{where} is not an ISO 8601 time: {value!r}", code=_BAD) from None
    t = t.replace(tzinfo=UTC) if t.tzinfo is None else t.astimezone(UTC)
    return t.isoformat(timespec="microseconds").replace("+00:00", "Z")


def flatten(d: dict[str, Any], where: str, allowed: frozenset[str]) -> dict[str, Any]:
    """The SDK's flat keys, from either form; unknown keys are refused by name."""
    if {"annotation", "input"} & set(d):
        d = _from_proto(d, where)
    unknown = sorted(set(d) - allowed)
    if unknown:
        raise AppError(
            f"{where}: unknown key(s) {', '.join(map(repr, unknown))}; known: "
            f"{', '.join(sorted(allowed))}",
            code=_BAD,
        )
    return d


def _from_proto(d: dict[str, Any], where: str) -> dict[str, Any]:
    """A V2 ``Rank`` / ``Filter`` JSON as the flat keys."""
    extra = sorted(set(d) - {"annotation", "input", "negate", "last_updated_time_range"})
    if extra:
        raise AppError(f"{where}: unknown key(s) {', '.join(map(repr, extra))}", code=_BAD)
    out: dict[str, Any] = {k: d[k] for k in ("negate", "last_updated_time_range") if k in d}
    ann = obj(d.get("annotation"), f"{where}.annotation")
    inp = obj(d.get("input"), f"{where}.input")
    for key, target in (("input_id", "input_id"), ("user_id", "annotation_user_id")):
        if ann.get(key):
            out[target] = ann[key]
    if "status" in ann:
        out["annotation_status"] = obj(ann["status"], f"{where}.annotation.status").get("code")
    _data_keys(obj(ann.get("data"), f"{where}.annotation.data"), out, where)
    if inp.get("id"):
        out["input_id"] = inp["id"]
    if "dataset_ids" in inp:
        out["input_dataset_ids"] = inp["dataset_ids"]
    if "status" in inp:
        out["input_status_code"] = obj(inp["status"], f"{where}.input.status").get("code")
    data = obj(inp.get("data"), f"{where}.input.data")
    types = [t for t in INPUT_TYPES if t in data]
    if types:
        out["input_types"] = types
    _data_keys({k: v for k, v in data.items() if k not in INPUT_TYPES}, out, where)
    return out


def _data_keys(data: dict[str, Any], out: dict[str, Any], where: str) -> None:
    known = {"concepts", "metadata", "geo", "text", "image"}
    unknown = sorted(set(data) - known)
    if unknown:
        raise AppError(f"{where}: unsupported data field(s) {', '.join(unknown)}", code=_BAD)
    for key in ("concepts", "metadata"):
        if key in data:
            out[key] = data[key]
    text = obj(data.get("text"), f"{where}.data.text")
    if "raw" in text:
        out["text_raw"] = text["raw"]
    image = obj(data.get("image"), f"{where}.data.image")
    for key, target in (("url", "image_url"), ("base64", "image_base64")):
        if key in image:
            out[target] = image[key]
    geo = obj(data.get("geo"), f"{where}.data.geo")
    if "geo_box" in geo:
        out["geo_box"] = geo["geo_box"]
    elif "geo_point" in geo:
        out["geo_point"] = {**obj(geo["geo_point"], where), "geo_limit": geo.get("geo_limit")}


def obj(value: Any, where: str) -> dict[str, Any]:
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise AppError(f"{where} must be an object", code=_BAD)
    return value


def strs(flat: dict[str, Any], keys: tuple[str, ...], where: str) -> tuple[str, ...]:
    out: list[str] = []
    for key in keys:
        value = flat.get(key)
        if value is None:
            continue
        items = [value] if isinstance(value, str) else value
        if not isinstance(items, list | tuple) or not all(isinstance(x, str) and x for x in items):
            raise AppError(f"{where}.{key} must be a list of non-empty strings", code=_BAD)
        out.extend(items)
    return tuple(dict.fromkeys(out))


def opt_str(flat: dict[str, Any], key: str, where: str) -> str | None:
    value = flat.get(key)
    if value is None:
        return None
    if not isinstance(value, str) or not value:
        raise AppError(f"{where}.{key} must be a non-empty string", code=_BAD)
    return value


def opt_int(value: Any, where: str) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        raise AppError(f"{where} must be a status code (an integer)", code=_BAD)
    return value


def flag(value: Any, where: str) -> bool:
    if not isinstance(value, bool):
        raise AppError(f"{where} must be true or false", code=_BAD)
    return value

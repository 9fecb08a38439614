"""Clarifai's search query language: ranks and filters, parsed into a typed ``Query``.

A rank or a filter is given either as the Python SDK writes it (``Search.query``: flat keys
such as ``text_raw``, ``image_url``, ``concepts``, ``metadata``, ``geo_point``,
``input_types``, ``input_dataset_ids``, ``input_status_code``) or as the V2 API's JSON
(``{"annotation": {...}}``, ``{"input": {...}}``, ``{"last_updated_time_range": {...}}``,
``negate``).  Both become the same ``Rank`` / ``Filter``; anything unknown or malformed is
one ``InputError`` carrying Clarifai's status code, before anything runs.

>>> q = parse_query(ranks=[{"text_raw": "a red bucket"}],
...                 filters=[{"metadata": {"room": "shed"}}, {"input_types": ["image"]}])
>>> q.ranks[0].text, q.filters[0].metadata, q.page, q.per_page
('a red bucket', {'room': 'shed'}, 1, 20)
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from engine.errors import AppError
from engine.proto import StatusCode
from engine.query_values import (
    EARTH_RADIUS_KM,
    INPUT_TYPES,
    annotation_status_of,
    flag,
    flatten,
    geo_limit_km,
    input_types_of,
    lat_lon,
    metadata_object,
    opt_int,
    opt_str,
    strs,
    time_range,
)

__all__ = [
    "DEFAULT_PER_PAGE",
    "INPUT_TYPES",
    "MAX_PER_PAGE",
    "MAX_WINDOW",
    "METRICS",
    "ConceptTerm",
    "Filter",
    "GeoArea",
    "Query",
    "Rank",
    "parse_query",
]

METRICS = ("cosine", "euclidean")
DEFAULT_PER_PAGE = 20
MAX_PER_PAGE = 1000  # Clarifai's per_page limit
MAX_WINDOW = 10_000  # page * per_page: how deep a ranked search may page
CONCEPT_SOURCES = ("any", "annotated", "predicted")
_BAD = StatusCode.SEARCH_INVALID_REQUEST

_RANK_KEYS = frozenset(
    {"text_raw", "image_url", "image_bytes", "image_base64", "image_path", "concepts",
     "input_id", "negate"}
)  # fmt: skip
_FILTER_KEYS = frozenset(
    {"concepts", "concept_source", "metadata", "input_dataset_ids", "dataset_ids",
     "input_types", "input_status_code", "input_id", "input_ids", "annotation_status",
     "annotation_user_id", "user_id", "geo_point", "geo_box", "created_at",
     "last_updated_time_range", "negate"}
)  # fmt: skip


@dataclass(frozen=True)
class ConceptTerm:
    """One concept of a rank or filter: its id (or name) and 1 (present) or 0 (absent)."""

    id: str
    value: float = 1.0
    by_name: bool = False  # given as ``name`` only: matched against concept names too


@dataclass(frozen=True)
class GeoArea:
    """A circle (centre + radius in km) or a box (two opposite corners), in degrees."""

    latitude: float = 0.0
    longitude: float = 0.0
    radius_km: float | None = None
    box: tuple[float, float, float, float] | None = None  # lat_min, lat_max, lon_min, lon_max

    def bounds(self) -> tuple[float, float, float, float]:
        """A lat/lon box holding the whole area (exact for a box)."""
        if self.box is not None:
            return self.box
        r = float(self.radius_km or 0.0)
        dlat = math.degrees(r / EARTH_RADIUS_KM)
        cos = max(math.cos(math.radians(self.latitude)), 1e-9)
        dlon = min(180.0, math.degrees(r / (EARTH_RADIUS_KM * cos)))
        return (self.latitude - dlat, self.latitude + dlat, self.longitude - dlon,
                self.longitude + dlon)  # fmt: skip

    def distance_km(self, lat: float, lon: float) -> float:
        """Great-circle (haversine) distance from the centre."""
        p1, p2 = math.radians(self.latitude), math.radians(lat)
        dp, dl = p2 - p1, math.radians(lon - self.longitude)
        a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
        return 2 * EARTH_RADIUS_KM * math.asin(min(1.0, math.sqrt(a)))


@dataclass(frozen=True)
class Rank:
    """What to rank by: a text, an image, concepts or a stored input's embedding."""

    text: str | None = None
    image: Any = None  # an input for ``to_input``: bytes, a path, or {"image": {...}}
    concepts: tuple[ConceptTerm, ...] = ()
    input_id: str | None = None
    negate: bool = False

    @property
    def is_vector(self) -> bool:
        return self.text is not None or self.image is not None or self.input_id is not None


@dataclass(frozen=True)
class Filter:
    """One filter: every part given must hold (then ``negate`` inverts the whole)."""

    concepts: tuple[ConceptTerm, ...] = ()
    concept_source: str = "any"
    metadata: dict[str, Any] | None = None
    dataset_ids: tuple[str, ...] = ()
    input_types: tuple[str, ...] = ()
    input_status_code: int | None = None
    input_ids: tuple[str, ...] = ()
    annotation_status: int | None = None
    annotation_user_id: str | None = None
    geo: GeoArea | None = None
    created: tuple[str | None, str | None] | None = None
    last_updated: tuple[str | None, str | None] | None = None
    negate: bool = False

    @property
    def is_empty(self) -> bool:
        return self == Filter(negate=self.negate)


@dataclass(frozen=True)
class Query:
    ranks: tuple[Rank, ...] = ()
    filters: tuple[Filter, ...] = ()
    page: int = 1
    per_page: int = DEFAULT_PER_PAGE
    metric: str = "cosine"
    min_score: float = 0.0
    extra: dict[str, Any] = field(default_factory=dict)


def parse_query(
    ranks: Sequence[dict[str, Any]] | None = None,
    filters: Sequence[dict[str, Any]] | None = None,
    *,
    page: int = 1,
    per_page: int = DEFAULT_PER_PAGE,
    metric: str = "cosine",
    min_score: float = 0.0,
) -> Query:
    """The typed query, or an ``InputError`` (Clarifai's status code) for the first mistake."""
    _check_paging(page, per_page)
    if metric not in METRICS:
        raise AppError(f"metric must be one of {', '.join(METRICS)}, got {metric!r}", code=_BAD)
    if (
        isinstance(min_score, bool)
        or not isinstance(min_score, int | float)
        or not (0.0 <= float(min_score) <= 1.0)
    ):
        raise AppError(f"min_score must be a number in [0, 1], got {min_score!r}", code=_BAD)
    parsed_ranks = tuple(
        r for i, d in enumerate(_as_list(ranks, "ranks")) if (r := _rank(d, i)) is not None
    )
    parsed_filters = tuple(
        f for i, d in enumerate(_as_list(filters, "filters")) if not (f := _filter(d, i)).is_empty
    )
    return Query(parsed_ranks, parsed_filters, page, per_page, metric, float(min_score))


def _check_paging(page: Any, per_page: Any) -> None:
    for name, value in (("page", page), ("per_page", per_page)):
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise AppError(f"{name} must be a whole number >= 1, got {value!r}", code=_BAD)
    if per_page > MAX_PER_PAGE:
        raise AppError(f"per_page must be at most {MAX_PER_PAGE}, got {per_page}", code=_BAD)
    if page * per_page > MAX_WINDOW:
        raise AppError(
            f"page * per_page cannot exceed {MAX_WINDOW} (got {page} * {per_page})", code=_BAD
        )


def _as_list(items: Any, what: str) -> list[dict[str, Any]]:
    if items is None:
        return []
    if isinstance(items, dict) or not isinstance(items, list | tuple):
        raise AppError(f"{what} must be a list of dicts, got {type(items).__name__}", code=_BAD)
    for i, item in enumerate(items):
        if not isinstance(item, dict):
            raise AppError(f"{what}[{i}] must be a dict, got {type(item).__name__}", code=_BAD)
    return list(items)


# ---- ranks -----------------------------------------------------------------------------


def _rank(d: dict[str, Any], i: int) -> Rank | None:
    where = f"ranks[{i}]"
    flat = flatten(d, where, _RANK_KEYS)
    image = _image(flat, where)
    rank = Rank(
        text=opt_str(flat, "text_raw", where),
        image=image,
        concepts=_concepts(flat.get("concepts"), where),
        input_id=opt_str(flat, "input_id", where),
        negate=flag(flat.get("negate", False), f"{where}.negate"),
    )
    given = sum(x is not None for x in (rank.text, rank.image, rank.input_id)) + bool(rank.concepts)
    if given > 1:
        raise AppError(
            f"{where}: one rank ranks by one thing (text, image, concepts or input id); give "
            "several ranks to combine them",
            code=_BAD,
        )
    return rank if given else None


def _image(flat: dict[str, Any], where: str) -> Any:
    forms = [k for k in ("image_url", "image_bytes", "image_base64", "image_path") if k in flat]
    if len(forms) > 1:
        raise AppError(f"{where}: give one of {', '.join(forms)}", code=_BAD)
    if not forms:
        return None
    key, value = forms[0], flat[forms[0]]
    if key == "image_bytes":
        if not isinstance(value, bytes | bytearray) or not value:
            raise AppError(f"{where}.image_bytes must be non-empty bytes", code=_BAD)
        return bytes(value)
    if not isinstance(value, str) or not value:
        raise AppError(f"{where}.{key} must be a non-empty string", code=_BAD)
    if key == "image_url":
        return {"image": {"url": value}}
    if key == "image_base64":
        return {"image": {"base64": value}}
    return value


# ---- filters ---------------------------------------------------------------------------


def _filter(d: dict[str, Any], i: int) -> Filter:
    where = f"filters[{i}]"
    flat = flatten(d, where, _FILTER_KEYS)
    source = flat.get("concept_source", "any")
    if source not in CONCEPT_SOURCES:
        raise AppError(
            f"{where}.concept_source must be one of {', '.join(CONCEPT_SOURCES)}, got {source!r}",
            code=_BAD,
        )
    return Filter(
        concepts=_concepts(flat.get("concepts"), where),
        concept_source=source,
        metadata=metadata_object(flat.get("metadata"), where),
        dataset_ids=strs(flat, ("input_dataset_ids", "dataset_ids"), where),
        input_types=input_types_of(flat.get("input_types"), where),
        input_status_code=opt_int(flat.get("input_status_code"), f"{where}.input_status_code"),
        input_ids=strs(flat, ("input_id", "input_ids"), where),
        annotation_status=annotation_status_of(flat.get("annotation_status"), where),
        annotation_user_id=opt_str(flat, "annotation_user_id", where)
        or opt_str(flat, "user_id", where),
        geo=_geo(flat, where),
        created=time_range(flat.get("created_at"), f"{where}.created_at"),
        last_updated=time_range(
            flat.get("last_updated_time_range"), f"{where}.last_updated_time_range"
        ),
        negate=flag(flat.get("negate", False), f"{where}.negate"),
    )


def _geo(flat: dict[str, Any], where: str) -> GeoArea | None:
    point, box = flat.get("geo_point"), flat.get("geo_box")
    if point is not None and box is not None:
        raise AppError(f"{where}: give geo_point or geo_box, not both", code=_BAD)
    if point is not None:
        if not isinstance(point, dict) or set(point) - {"latitude", "longitude", "geo_limit"}:
            raise AppError(
                f"{where}.geo_point must be {{longitude, latitude, geo_limit}}", code=_BAD
            )
        lat, lon = lat_lon(point, f"{where}.geo_point")
        limit = point.get("geo_limit")
        km = geo_limit_km(limit, f"{where}.geo_point.geo_limit")
        return GeoArea(latitude=lat, longitude=lon, radius_km=km)
    if box is not None:
        if not isinstance(box, list | tuple) or len(box) != 2:
            raise AppError(
                f"{where}.geo_box must be two corners [{{longitude, latitude}}, {{...}}]",
                code=_BAD,
            )
        (lat1, lon1), (lat2, lon2) = (
            lat_lon(c, f"{where}.geo_box[{j}]") for j, c in enumerate(box)
        )
        return GeoArea(box=(min(lat1, lat2), max(lat1, lat2), min(lon1, lon2), max(lon1, lon2)))
    return None


def _concepts(value: Any, where: str) -> tuple[ConceptTerm, ...]:
    if value is None:
        return ()
    if not isinstance(value, list | tuple):
        raise AppError(f"{where}.concepts must be a list of {{id, value}}", code=_BAD)
    terms = []
    for j, c in enumerate(value):
        at = f"{where}.concepts[{j}]"
        if not isinstance(c, dict) or set(c) - {"id", "name", "value", "language"}:
            raise AppError(f"{at} must be {{id or name, value}}", code=_BAD)
        cid, name = c.get("id") or None, c.get("name") or None
        key = cid or name
        if not isinstance(key, str):
            raise AppError(f"{at} needs a non-empty id or name", code=_BAD)
        v = c.get("value", 1)
        if isinstance(v, bool) or v not in (0, 1):
            raise AppError(f"{at}.value must be 1 (present) or 0 (absent), got {v!r}", code=_BAD)
        terms.append(ConceptTerm(id=key, value=float(v), by_name=cid is None))
    return tuple(terms)

"""``opgraph app search``: Clarifai's query language; prints a ``MultiSearchResponse``.

Ranks and filters are given as JSON (``--rank '{"text_raw": "bucket"}'``, ``--filter
'{"metadata": {"room": "shed"}}'``, each repeatable, in the SDK's form or the V2 API's) or
as small flags: ``--text/--image/--concept/--input-id`` (one rank each) and
``--dataset/--metadata/--input-type/--status/--geo-point/--geo-box`` (one filter).
Without a rank the inputs the filters keep are listed newest first.
"""

from __future__ import annotations

import argparse
import json
from typing import Any

from engine.app import App
from engine.cli_app._output import EXIT_OK, emit
from engine.cli_app._registry import command
from engine.errors import AppError
from engine.proto import StatusCode
from engine.store._app_support import parse_metadata

__all__: list[str] = []

_BAD = StatusCode.SEARCH_INVALID_REQUEST


def _search_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--rank", action="append", default=[], metavar="JSON", help="a rank (repeat)")
    p.add_argument(
        "--filter", action="append", default=[], metavar="JSON", help="a filter (repeatable)"
    )
    p.add_argument("--text", action="append", default=[], metavar="TEXT", help="rank by text")
    p.add_argument("--image", action="append", default=[], metavar="FILE", help="rank by image")
    p.add_argument("--concept", action="append", default=[], metavar="ID", help="rank by concept")
    p.add_argument(
        "--input-id", action="append", default=[], metavar="ID", help="rank by its embedding"
    )
    p.add_argument(
        "--dataset", action="append", default=[], metavar="D", help="only inputs in D (repeat)"
    )
    p.add_argument("--metadata", metavar="JSON", help="only inputs whose metadata has these")
    p.add_argument(
        "--input-type", action="append", default=[], choices=["image", "video", "text", "audio"]
    )
    p.add_argument("--status", type=int, metavar="CODE", help="only inputs with this status")
    p.add_argument("--geo-point", metavar="LON,LAT,KM", help="only inputs within KM of a point")
    p.add_argument("--geo-box", metavar="LON1,LAT1,LON2,LAT2", help="only inputs in this box")
    p.add_argument("--negate", action="store_true", help="invert the flags' filter")
    p.add_argument("--page", type=int, default=1, metavar="N")
    p.add_argument("--per-page", type=int, metavar="N", help="hits per page (default 20)")
    p.add_argument("--max-results", type=int, metavar="N", help="same as --per-page")
    p.add_argument("--metric", default="cosine", choices=["cosine", "euclidean"])
    p.add_argument("--min-score", type=float, default=0.0, metavar="S")


@command(
    "search",
    "search with ranks and filters (Clarifai's query language); prints hits JSON",
    arguments=_search_args,
)
def _search(app: App, args: argparse.Namespace) -> int:
    ranks = [_json(r, "--rank") for r in args.rank]
    ranks += [{"text_raw": t} for t in args.text]
    ranks += [{"image_path": i} for i in args.image]
    ranks += [{"concepts": [{"id": c, "value": 1}]} for c in args.concept]
    ranks += [{"input_id": i} for i in args.input_id]
    filters = [_json(f, "--filter") for f in args.filter]
    flags = _flag_filter(args)
    if flags:
        filters.append(flags)
    response = app.search(
        ranks,
        filters,
        page=args.page,
        per_page=args.per_page if args.per_page is not None else args.max_results,
        metric=args.metric,
        min_score=args.min_score,
    )
    emit(response.to_dict())
    return EXIT_OK


def _flag_filter(args: argparse.Namespace) -> dict[str, Any]:
    f: dict[str, Any] = {}
    if args.dataset:
        f["input_dataset_ids"] = args.dataset
    if args.metadata is not None:
        f["metadata"] = parse_metadata(args.metadata)  # bounded in size and depth
    if args.input_type:
        f["input_types"] = args.input_type
    if args.status is not None:
        f["input_status_code"] = args.status
    if args.geo_point:
        lon, lat, km = _numbers(args.geo_point, 3, "--geo-point")
        f["geo_point"] = {"longitude": lon, "latitude": lat, "geo_limit": km}
    if args.geo_box:
        lon1, lat1, lon2, lat2 = _numbers(args.geo_box, 4, "--geo-box")
        corners = [(lon1, lat1), (lon2, lat2)]
        f["geo_box"] = [{"longitude": lon, "latitude": lat} for lon, lat in corners]
    if args.negate:
        if not f:
            raise AppError("--negate inverts the filter flags: give at least one", code=_BAD)
        f["negate"] = True
    return f


def _json(text: str, flag: str) -> Any:
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise AppError(f"{flag} is not JSON: {exc}", code=_BAD) from None
    except RecursionError:  # nested past Python's own limit
        raise AppError(f"{flag} is nested too deeply", code=_BAD) from None


def _numbers(text: str, n: int, flag: str) -> list[float]:
    try:
        values = [float(x) for x in text.split(",")]
    except ValueError:
        values = []
    if len(values) != n:
        raise AppError(f"{flag} takes {n} comma-separated numbers, got {text!r}", code=_BAD)
    return values

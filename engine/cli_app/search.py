"""``opgraph app search``: rank stored inputs; prints a ``MultiSearchResponse``."""

from __future__ import annotations

import argparse

from engine.app import App
from engine.cli_app._output import EXIT_OK, emit
from engine.cli_app._registry import command
from engine.proto import MultiSearchResponse

__all__: list[str] = []


def _search_args(p: argparse.ArgumentParser) -> None:
    query = p.add_mutually_exclusive_group(required=True)
    query.add_argument("--text", metavar="TEXT")
    query.add_argument("--image", metavar="FILE")
    query.add_argument("--concept", metavar="ID")
    query.add_argument("--input-id", metavar="ID")
    p.add_argument(
        "--dataset",
        action="append",
        default=[],
        metavar="D",
        help="only inputs in this dataset (repeatable)",
    )
    p.add_argument("--metadata", metavar="JSON", help="only inputs whose metadata has these")
    p.add_argument("--min-score", type=float, default=0.0, metavar="S")
    p.add_argument("--max-results", type=int, default=10, metavar="N")


@command("search", "rank stored inputs by similarity; prints hits JSON", arguments=_search_args)
def _search(app: App, args: argparse.Namespace) -> int:
    hits = app.search(
        text=args.text,
        image=args.image,
        concept=args.concept,
        input_id=args.input_id,
        dataset_ids=args.dataset or None,
        metadata=args.metadata,
        min_score=args.min_score,
        max_results=args.max_results,
    )
    emit(MultiSearchResponse(hits=hits).to_dict())
    return EXIT_OK

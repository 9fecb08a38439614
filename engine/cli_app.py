"""``opgraph app ...``: create an app, add inputs, search, list annotations, reindex.

``search`` and ``annotations`` print Clarifai JSON (``MultiSearchResponse``,
``MultiAnnotationResponse``); ``add`` prints the stored inputs with their statuses.  User
errors raise ``OpgraphError``s, which ``opgraph`` turns into one line on stderr and exit 2.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

from engine.errors import InputError, StoreError
from engine.proto import MultiAnnotationResponse, MultiSearchResponse, Status, StatusCode

__all__ = ["add_app_parser", "run_app_command"]

_EXIT_OK, _EXIT_FAILED = 0, 1


def add_app_parser(subparsers: Any) -> None:
    """Add ``app`` and its subcommands to the ``opgraph`` subparsers."""
    app = subparsers.add_parser("app", help="apps: stored, indexed, searchable inputs")
    sub = app.add_subparsers(dest="app_command", required=True)

    c = sub.add_parser("create", help="create an app (a directory holding app.db)")
    c.add_argument("path", metavar="PATH")
    c.add_argument(
        "--base-workflow",
        default="text",
        metavar="FILE|NAME",
        help="workflow YAML, or text | image | empty (default: text)",
    )

    a = sub.add_parser("add", help="store inputs and index them with the base workflow")
    a.add_argument("path", metavar="PATH")
    a.add_argument("files", nargs="*", metavar="FILE", help="image, video or text files")
    a.add_argument(
        "--text", action="append", default=[], metavar="TEXT", help="a text input (repeatable)"
    )
    a.add_argument("--dataset", metavar="D", help="add the inputs to this dataset")
    a.add_argument("--metadata", metavar="JSON", help="a JSON object stored with each input")

    s = sub.add_parser("search", help="rank stored inputs by similarity; prints hits JSON")
    s.add_argument("path", metavar="PATH")
    query = s.add_mutually_exclusive_group(required=True)
    query.add_argument("--text", metavar="TEXT")
    query.add_argument("--image", metavar="FILE")
    query.add_argument("--concept", metavar="ID")
    query.add_argument("--input-id", metavar="ID")
    s.add_argument(
        "--dataset",
        action="append",
        default=[],
        metavar="D",
        help="only inputs in this dataset (repeatable)",
    )
    s.add_argument("--metadata", metavar="JSON", help="only inputs whose metadata has these")
    s.add_argument("--min-score", type=float, default=0.0, metavar="S")
    s.add_argument("--max-results", type=int, default=10, metavar="N")

    n = sub.add_parser("annotations", help="list annotations; prints annotations JSON")
    n.add_argument("path", metavar="PATH")
    n.add_argument("--status", metavar="CODE|NAME", help="e.g. 24150 or ANNOTATION_SUCCESS")
    n.add_argument("--input-id", metavar="ID")

    r = sub.add_parser("reindex", help="set the base workflow and re-run it on every input")
    r.add_argument("path", metavar="PATH")
    r.add_argument("--base-workflow", required=True, metavar="FILE|NAME")

    app.set_defaults(func=run_app_command)


def run_app_command(args: argparse.Namespace) -> int:
    """Run one ``opgraph app`` subcommand; returns the exit code."""
    from engine.app import App

    if args.app_command == "create":
        with App(args.path, base_workflow=args.base_workflow) as app:
            _print({"status": _ok(), "app": {"path": str(app.path), "inputs": app.count_inputs()}})
        return _EXIT_OK
    _require_app(Path(args.path))
    with App(args.path) as app:
        handler = {
            "add": _add,
            "search": _search,
            "annotations": _annotations,
            "reindex": _reindex,
        }[args.app_command]
        return handler(app, args)


def _require_app(path: Path) -> None:
    db = path if path.is_file() else path / "app.db"
    if not db.is_file():
        raise StoreError(f"{path}: no app here; create one with `opgraph app create {path}`")


def _add(app: Any, args: argparse.Namespace) -> int:
    items: list[Any] = [*args.files, *({"text": {"raw": t}} for t in args.text)]
    if not items:
        raise InputError("opgraph app add: give FILES or --text")
    ids = app.add_inputs(items, dataset_id=args.dataset, metadata=args.metadata)
    inputs = [i.to_dict() for i in app.get_inputs(ids)]
    for inp in inputs:  # the listing names the inputs; it does not echo their media
        data = inp.get("data", {})
        for media in ("image", "video"):
            data.pop(media, None)
    failed = sum(i["status"]["code"] != StatusCode.INPUT_SUCCESS for i in inputs)
    status = (
        _ok()
        if not failed
        else Status(
            code=StatusCode.MIXED_STATUS if failed < len(inputs) else StatusCode.FAILURE,
            description=f"{failed} input(s) failed in the base workflow",
        ).to_dict()
    )
    _print({"status": status, "inputs": inputs})
    return _EXIT_FAILED if failed else _EXIT_OK


def _search(app: Any, args: argparse.Namespace) -> int:
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
    _print(MultiSearchResponse(hits=hits).to_dict())
    return _EXIT_OK


def _annotations(app: Any, args: argparse.Namespace) -> int:
    annotations = app.annotations(input_id=args.input_id, status=args.status)
    _print(MultiAnnotationResponse(annotations=annotations).to_dict())
    return _EXIT_OK


def _reindex(app: Any, args: argparse.Namespace) -> int:
    app.set_base_workflow(args.base_workflow, reindex=True)
    failed = app.count_inputs(status=StatusCode.INPUT_FAILED)
    _print({"status": _ok(), "reindexed": app.count_inputs(), "failed": failed})
    return _EXIT_FAILED if failed else _EXIT_OK


def _ok() -> dict[str, Any]:
    return Status(code=StatusCode.SUCCESS, description="Ok").to_dict()


def _print(doc: dict[str, Any]) -> None:
    print(json.dumps(doc, indent=2))

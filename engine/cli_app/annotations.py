"""``opgraph app annotations add|list|patch|delete``: prints ``MultiAnnotationResponse``."""

from __future__ import annotations

import argparse
from typing import Any

from engine.app import App
from engine.app.annotations import status_code
from engine.cli_app._args import add_paging, box_arg, concept_arg, json_arg
from engine.cli_app._output import EXIT_OK, emit, ok_status
from engine.cli_app._registry import command, group
from engine.errors import InputError
from engine.proto import Annotation, MultiAnnotationResponse

__all__: list[str] = []

group("annotations", "annotations: add, list, patch, delete")


def _emit(annotations: list[Annotation]) -> int:
    emit(MultiAnnotationResponse(annotations=annotations).to_dict())
    return EXIT_OK


def _add_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--input-id", metavar="ID", help="the input the annotation labels")
    p.add_argument("--id", metavar="ID", help="the annotation's id (default: a new one)")
    p.add_argument("--concept", action="append", default=[], metavar="ID[:VALUE]")
    p.add_argument(
        "--box",
        action="append",
        default=[],
        metavar="CONCEPT:TOP,LEFT,BOTTOM,RIGHT",
        help="a region: a box in fractions of the image, with its concept (repeatable)",
    )
    p.add_argument("--text", metavar="TEXT", help="a text annotation")
    p.add_argument("--user-id", metavar="U")
    p.add_argument("--task-id", metavar="T")
    p.add_argument("--status", metavar="CODE|NAME", help="default ANNOTATION_SUCCESS")
    p.add_argument("--json", metavar="JSON|@FILE", help="annotations as Clarifai JSON")


@command("annotations add", "add hand-written annotations", arguments=_add_args)
def _add(app: App, args: argparse.Namespace) -> int:
    if args.json is not None:
        body = json_arg(args.json, "--json")
        return _emit(app.upload_annotations(body if isinstance(body, list) else [body]))
    if not args.input_id:
        raise InputError("opgraph app annotations add: give --input-id (or --json)")
    data: dict[str, Any] = {}
    if args.concept:
        data["concepts"] = [concept_arg(c) for c in args.concept]
    if args.box:
        data["regions"] = [box_arg(b) for b in args.box]
    if args.text is not None:
        data["text"] = {"raw": args.text}
    annotation: dict[str, Any] = {"input_id": args.input_id, "data": data}
    for key in ("id", "user_id", "task_id"):
        if getattr(args, key) is not None:
            annotation[key] = getattr(args, key)
    if args.status is not None:
        annotation["status"] = {"code": status_code(args.status)}
    return _emit(app.upload_annotations([annotation]))


def _list_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--input-id", action="append", default=[], metavar="ID")
    p.add_argument("--user-id", action="append", default=[], metavar="U")
    p.add_argument("--status", action="append", default=[], metavar="CODE|NAME")
    p.add_argument("--concept", action="append", default=[], metavar="ID")
    p.add_argument("--task-id", metavar="T")
    add_paging(p)


@command("annotations list", "list annotations (all filters repeatable)", arguments=_list_args)
def _list(app: App, args: argparse.Namespace) -> int:
    if args.input_id:
        app.get_inputs(args.input_id)  # an unknown input is an error, not an empty list
    return _emit(
        app.list_annotations(
            input_ids=args.input_id,
            user_ids=args.user_id,
            statuses=args.status,
            concept_ids=args.concept,
            task_id=args.task_id,
            page=args.page,
            per_page=args.per_page,
        )
    )


def _patch_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--json", required=True, metavar="JSON|@FILE", help="annotations with ids")
    p.add_argument("--action", default="merge", choices=("merge", "overwrite", "remove"))


@command("annotations patch", "patch annotations by id", arguments=_patch_args)
def _patch(app: App, args: argparse.Namespace) -> int:
    body = json_arg(args.json, "--json")
    return _emit(app.patch_annotations(body if isinstance(body, list) else [body], args.action))


def _delete_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--id", action="append", default=[], metavar="ID", help="an annotation")
    p.add_argument("--input-id", action="append", default=[], metavar="ID", help="all of it")


@command("annotations delete", "delete annotations by id or by input", arguments=_delete_args)
def _delete(app: App, args: argparse.Namespace) -> int:
    app.delete_annotations(input_ids=args.input_id, annotation_ids=args.id)
    emit({"status": ok_status()})
    return EXIT_OK

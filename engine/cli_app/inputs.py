"""``opgraph app add`` and ``opgraph app inputs list|get|patch|delete|count``."""

from __future__ import annotations

import argparse
from typing import Any

from engine.app import App
from engine.app.inputs import file_input_id
from engine.cli_app._args import add_paging, concept_arg, json_arg
from engine.cli_app._output import EXIT_FAILED, EXIT_OK, emit, input_json, ok_status
from engine.cli_app._registry import command, group
from engine.errors import InputError
from engine.inputs import to_input
from engine.proto import (
    Concept,
    Input,
    MultiInputResponse,
    SingleInputCountResponse,
    SingleInputResponse,
    Status,
    StatusCode,
)

__all__ = ["engine_args", "workers_arg"]

group("inputs", "inputs: list, get, patch, delete, count")


def _add_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("files", nargs="*", metavar="FILE", help="image, video or text files")
    p.add_argument(
        "--text", action="append", default=[], metavar="TEXT", help="a text input (repeatable)"
    )
    p.add_argument("--dataset", metavar="D", help="add the inputs to this dataset")
    p.add_argument("--metadata", metavar="JSON", help="a JSON object stored with each input")
    p.add_argument(
        "--concept",
        action="append",
        default=[],
        metavar="ID[:VALUE]",
        help="label every input with this concept (repeatable)",
    )
    p.add_argument(
        "--skip-existing",
        action="store_true",
        help="leave inputs whose id is already stored as they are and add the others "
        "(resumes an interrupted add)",
    )
    p.add_argument(
        "--workers",
        type=workers_arg,
        metavar="N",
        help="run the base workflow in N worker processes, or N Ray actors with --engine ray "
        "(default: chosen as `opgraph run` does; refused when the base workflow reads or "
        "writes the app)",
    )
    engine_args(p)


def engine_args(p: argparse.ArgumentParser) -> None:
    """``--engine local|ray`` and ``--address``, for the commands that run the base workflow."""
    p.add_argument(
        "--engine",
        choices=("local", "ray"),
        default="local",
        help="run the base workflow here, or in Ray actors (pip install 'opgraph[ray]'); "
        "this process writes the app either way",
    )
    p.add_argument(
        "--address",
        metavar="auto|ray://HOST:PORT",
        help="with --engine ray: the Ray cluster (default: start one on this machine)",
    )


def workers_arg(text: str) -> int:
    from engine.run.workers import MAX_WORKERS

    if not text.isdigit() or not 1 <= int(text) <= MAX_WORKERS:
        raise argparse.ArgumentTypeError(f"a whole number from 1 to {MAX_WORKERS}, not {text!r}")
    return int(text)


@command("add", "store inputs and index them with the base workflow", arguments=_add_args)
def _add(app: App, args: argparse.Namespace) -> int:
    items: list[Any] = [*args.files, *({"text": {"raw": t}} for t in args.text)]
    if not items:
        raise InputError("opgraph app add: give FILES or --text")
    if args.address and args.engine != "ray":
        raise InputError("--address is for --engine ray")
    if args.concept:
        labels = [concept_arg(c) for c in args.concept]
        items = [_labelled(item, i, labels) for i, item in enumerate(items)]
    ids = app.add_inputs(
        items,
        dataset_id=args.dataset,
        metadata=args.metadata,
        skip_existing=args.skip_existing,
        workers=args.workers,
        engine=args.engine,
        address=args.address,
    )
    inputs = [input_json(i) for i in app.get_inputs(ids)]
    failed = sum(i["status"]["code"] != StatusCode.INPUT_SUCCESS for i in inputs)
    status = (
        ok_status()
        if not failed
        else Status(
            code=StatusCode.MIXED_STATUS if failed < len(inputs) else StatusCode.FAILURE,
            description=f"{failed} input(s) failed in the base workflow",
        ).to_dict()
    )
    emit({"status": status, "inputs": inputs})
    return EXIT_FAILED if failed else EXIT_OK


def _labelled(item: Any, index: int, labels: list[dict[str, Any]]) -> Input:
    inp = to_input(item, index)
    if isinstance(item, str):  # a file keeps the id it gets when added as a path
        inp = inp.model_copy(update={"id": file_input_id(item)})
    concepts = [*inp.data.concepts, *(Concept.model_validate(c) for c in labels)]
    return inp.model_copy(update={"data": inp.data.model_copy(update={"concepts": concepts})})


def _list_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--dataset", metavar="D", help="only inputs of this dataset")
    p.add_argument("--type", dest="input_type", metavar="T", help="image, video, text or audio")
    p.add_argument("--status", metavar="CODE|NAME", help="e.g. 30002 or INPUT_FAILED")
    add_paging(p)


@command("inputs list", "list inputs; prints MultiInputResponse", arguments=_list_args)
def _list(app: App, args: argparse.Namespace) -> int:
    inputs = app.list_inputs(
        dataset_id=args.dataset,
        page=args.page,
        per_page=args.per_page,
        input_type=args.input_type,
        status=args.status,
    )
    emit({**MultiInputResponse().to_dict(), "inputs": [input_json(i) for i in inputs]})
    return EXIT_OK


def _id_arg(p: argparse.ArgumentParser) -> None:
    p.add_argument("input_id", metavar="ID")


@command("inputs get", "one input; prints SingleInputResponse", arguments=_id_arg)
def _get(app: App, args: argparse.Namespace) -> int:
    inp = app.get_input(args.input_id)
    emit({**SingleInputResponse().to_dict(), "input": input_json(inp)})
    return EXIT_OK


def _patch_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("input_id", nargs="?", metavar="ID", help="the input (or give --json)")
    p.add_argument("--metadata", metavar="JSON", help="metadata to merge, overwrite or remove")
    p.add_argument("--concept", action="append", default=[], metavar="ID[:VALUE]")
    p.add_argument("--json", metavar="JSON|@FILE", help="inputs to patch, as Clarifai JSON")
    p.add_argument("--action", default="merge", choices=("merge", "overwrite", "remove"))


@command(
    "inputs patch", "patch metadata and concepts; prints MultiInputResponse", arguments=_patch_args
)
def _patch(app: App, args: argparse.Namespace) -> int:
    if args.json is not None:
        if args.input_id or args.metadata or args.concept:
            raise InputError(
                "opgraph app inputs patch: give --json, or ID with --metadata/--concept"
            )
        body = json_arg(args.json, "--json")
        inputs = body if isinstance(body, list) else [body]
    elif args.input_id:
        data: dict[str, Any] = {}
        if args.metadata is not None:
            data["metadata"] = json_arg(args.metadata, "--metadata")
        if args.concept:
            data["concepts"] = [concept_arg(c) for c in args.concept]
        inputs = [{"id": args.input_id, "data": data}]
    else:
        raise InputError("opgraph app inputs patch: give ID, or --json")
    patched = app.patch_inputs(inputs, action=args.action)
    emit({**MultiInputResponse().to_dict(), "inputs": [input_json(i) for i in patched]})
    return EXIT_OK


def _delete_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("input_ids", nargs="+", metavar="ID")


@command(
    "inputs delete", "delete inputs with their annotations; all or none", arguments=_delete_args
)
def _delete(app: App, args: argparse.Namespace) -> int:
    app.delete_inputs(args.input_ids)
    emit({"status": ok_status()})
    return EXIT_OK


@command("inputs count", "inputs per processing state; prints SingleInputCountResponse")
def _count(app: App, args: argparse.Namespace) -> int:
    emit(SingleInputCountResponse(counts=app.get_input_count()).to_dict())
    return EXIT_OK

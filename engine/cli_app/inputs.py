"""``opgraph app add``: store inputs and index them with the base workflow."""

from __future__ import annotations

import argparse
from typing import Any

from engine.app import App
from engine.cli_app._output import EXIT_FAILED, EXIT_OK, emit, ok_status
from engine.cli_app._registry import command
from engine.errors import InputError
from engine.proto import Status, StatusCode

__all__: list[str] = []


def _add_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("files", nargs="*", metavar="FILE", help="image, video or text files")
    p.add_argument(
        "--text", action="append", default=[], metavar="TEXT", help="a text input (repeatable)"
    )
    p.add_argument("--dataset", metavar="D", help="add the inputs to this dataset")
    p.add_argument("--metadata", metavar="JSON", help="a JSON object stored with each input")


@command("add", "store inputs and index them with the base workflow", arguments=_add_args)
def _add(app: App, args: argparse.Namespace) -> int:
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
        ok_status()
        if not failed
        else Status(
            code=StatusCode.MIXED_STATUS if failed < len(inputs) else StatusCode.FAILURE,
            description=f"{failed} input(s) failed in the base workflow",
        ).to_dict()
    )
    emit({"status": status, "inputs": inputs})
    return EXIT_FAILED if failed else EXIT_OK

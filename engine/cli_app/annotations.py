"""``opgraph app annotations``: list annotations; prints a ``MultiAnnotationResponse``."""

from __future__ import annotations

import argparse

from engine.app import App
from engine.cli_app._output import EXIT_OK, emit
from engine.cli_app._registry import command
from engine.proto import MultiAnnotationResponse

__all__: list[str] = []


def _list_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--status", metavar="CODE|NAME", help="e.g. 24150 or ANNOTATION_SUCCESS")
    p.add_argument("--input-id", metavar="ID")


@command("annotations", "list annotations; prints annotations JSON", arguments=_list_args)
def _list(app: App, args: argparse.Namespace) -> int:
    annotations = app.annotations(input_id=args.input_id, status=args.status)
    emit(MultiAnnotationResponse(annotations=annotations).to_dict())
    return EXIT_OK

"""``opgraph app create`` and ``opgraph app reindex``: an app and its base workflow."""

from __future__ import annotations

import argparse

from engine.app import App
from engine.cli_app._output import EXIT_FAILED, EXIT_OK, emit, ok_status
from engine.cli_app._registry import command
from engine.errors import InputError
from engine.proto import StatusCode

__all__: list[str] = []


def _create_args(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--base-workflow",
        default="text",
        metavar="FILE|NAME",
        help="workflow YAML, or text | image | empty (default: text)",
    )


@command(
    "create", "create an app (a directory holding app.db)", arguments=_create_args, creates=True
)
def _create(app: App, args: argparse.Namespace) -> int:
    emit({"status": ok_status(), "app": {"path": str(app.path), "inputs": app.count_inputs()}})
    return EXIT_OK


def _reindex_args(p: argparse.ArgumentParser) -> None:
    from engine.cli_app.inputs import engine_args, workers_arg

    p.add_argument("--base-workflow", required=True, metavar="FILE|NAME")
    p.add_argument(
        "--workers",
        type=workers_arg,
        metavar="N",
        help="run the base workflow in N worker processes, or N Ray actors with --engine ray",
    )
    engine_args(p)


@command(
    "reindex",
    "set the base workflow and re-run it on every input",
    arguments=_reindex_args,
)
def _reindex(app: App, args: argparse.Namespace) -> int:
    if args.address and args.engine != "ray":
        raise InputError("--address is for --engine ray")
    app.set_base_workflow(
        args.base_workflow,
        reindex=True,
        workers=args.workers,
        engine=args.engine,
        address=args.address,
    )
    failed = app.count_inputs(status=StatusCode.INPUT_FAILED)
    emit({"status": ok_status(), "reindexed": app.count_inputs(), "failed": failed})
    return EXIT_FAILED if failed else EXIT_OK

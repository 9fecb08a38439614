"""``opgraph app workflows ...`` and ``opgraph app models ...``: stored workflows with
versions, and the app's models run alone.

``workflows add`` / ``list`` / ``patch`` print a ``MultiWorkflowResponse``, ``get`` a
``SingleWorkflowResponse``, ``versions`` a ``MultiWorkflowVersionResponse``, ``run`` a
``PostWorkflowResultsResponse``; ``models list`` a ``MultiModelResponse``, ``get`` a
``SingleModelResponse``, ``predict`` a ``MultiOutputResponse``.  ``run`` and ``predict``
exit 1 when an input failed.
"""

from __future__ import annotations

import argparse
from typing import Any

from engine.app import App
from engine.cli_app._output import EXIT_FAILED, EXIT_OK, emit, ok_status
from engine.cli_app._registry import command, group
from engine.errors import InputError
from engine.proto import StatusCode
from engine.proto_app import (
    MultiModelResponse,
    MultiWorkflowResponse,
    MultiWorkflowVersionResponse,
    SingleModelResponse,
    SingleWorkflowResponse,
)

__all__: list[str] = []

group("workflows", "workflows stored in the app, with versions")
group("models", "the app's models: list, get, run one alone")


def _paging(p: argparse.ArgumentParser) -> None:
    p.add_argument("--page", type=int, default=1, metavar="N")
    p.add_argument("--per-page", type=int, default=128, metavar="N", help="1..1000 (128)")


def _id(p: argparse.ArgumentParser) -> None:
    p.add_argument("--id", required=True, metavar="WORKFLOW")


def _inputs(p: argparse.ArgumentParser) -> None:
    p.add_argument("files", nargs="*", metavar="FILE", help="image, video or text files")
    p.add_argument("--text", action="append", default=[], metavar="TEXT", help="repeatable")


def _items(args: argparse.Namespace) -> list[Any]:
    items: list[Any] = [*args.files, *({"text": {"raw": t}} for t in args.text)]
    if not items:
        raise InputError("give FILES or --text")
    return items


def _add_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("workflow", metavar="FLOW.yml", help="workflow YAML")
    p.add_argument("--id", metavar="WORKFLOW", help="default: the YAML's workflow id")
    p.add_argument("--description", default="", metavar="TEXT")


@command("workflows add", "store a workflow (its first version)", arguments=_add_args)
def _add(app: App, args: argparse.Namespace) -> int:
    stored = app.create_workflow(args.workflow, args.id, args.description)
    emit(MultiWorkflowResponse(workflows=[stored]).to_dict())
    return EXIT_OK


@command("workflows list", "the base workflow, then stored ones", arguments=_paging)
def _list(app: App, args: argparse.Namespace) -> int:
    emit(MultiWorkflowResponse(workflows=app.list_workflows(args.page, args.per_page)).to_dict())
    return EXIT_OK


@command("workflows get", "one workflow with its newest version", arguments=_id)
def _get(app: App, args: argparse.Namespace) -> int:
    emit(SingleWorkflowResponse(workflow=app.get_workflow(args.id)).to_dict())
    return EXIT_OK


def _versions_args(p: argparse.ArgumentParser) -> None:
    _id(p)
    _paging(p)


@command("workflows versions", "a workflow's versions, newest first", arguments=_versions_args)
def _versions(app: App, args: argparse.Namespace) -> int:
    versions = app.list_workflow_versions(args.id, args.page, args.per_page)
    emit(MultiWorkflowVersionResponse(workflow_versions=versions).to_dict())
    return EXIT_OK


def _patch_args(p: argparse.ArgumentParser) -> None:
    _id(p)
    p.add_argument("--workflow", metavar="FLOW.yml", help="the new version's nodes")
    p.add_argument("--description", metavar="TEXT")
    p.add_argument("--metadata", metavar="JSON")
    p.add_argument("--action", default="merge", metavar="A", help="merge | overwrite | remove")


@command("workflows patch", "patch a workflow: a new version", arguments=_patch_args)
def _patch(app: App, args: argparse.Namespace) -> int:
    stored = app.patch_workflow(
        args.id, args.workflow, args.action, args.description, metadata=args.metadata
    )
    emit(MultiWorkflowResponse(workflows=[stored]).to_dict())
    return EXIT_OK


@command("workflows delete", "delete a workflow and its versions", arguments=_id)
def _delete(app: App, args: argparse.Namespace) -> int:
    app.delete_workflow(args.id)
    emit({"status": ok_status()})
    return EXIT_OK


def _run_args(p: argparse.ArgumentParser) -> None:
    _id(p)
    p.add_argument("--version-id", metavar="V", help="default: the newest version")
    _inputs(p)


@command("workflows run", "run a stored workflow's version in the app", arguments=_run_args)
def _run(app: App, args: argparse.Namespace) -> int:
    response = app.workflow(args.id, args.version_id).predict(_items(args))
    emit(response.to_dict())
    return EXIT_OK if response.status.code == StatusCode.SUCCESS else EXIT_FAILED


def _models_args(p: argparse.ArgumentParser) -> None:
    _paging(p)
    p.add_argument("--model-type-id", metavar="T", help="only models of this type")


@command("models list", "the app's models, by id", arguments=_models_args)
def _models(app: App, args: argparse.Namespace) -> int:
    models = app.list_models(args.page, args.per_page, args.model_type_id)
    emit(MultiModelResponse(models=models).to_dict())
    return EXIT_OK


def _model_id(p: argparse.ArgumentParser) -> None:
    p.add_argument("--id", required=True, metavar="MODEL")


@command("models get", "one model", arguments=_model_id)
def _model(app: App, args: argparse.Namespace) -> int:
    emit(SingleModelResponse(model=app.get_model(args.id)).to_dict())
    return EXIT_OK


def _predict_args(p: argparse.ArgumentParser) -> None:
    _model_id(p)
    p.add_argument("--params", metavar="JSON", help="override the model's params")
    _inputs(p)


@command("models predict", "run one model alone on inputs", arguments=_predict_args)
def _predict(app: App, args: argparse.Namespace) -> int:
    from engine.store._app_support import parse_metadata

    params = parse_metadata(args.params) if args.params else None
    response = app.model(args.id).predict(_items(args), params=params)
    emit(response.to_dict())
    return EXIT_OK if response.status.code == StatusCode.SUCCESS else EXIT_FAILED

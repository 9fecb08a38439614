"""``opgraph app models train`` and ``opgraph app models versions``: models trained in the app.

``train`` fits an ``embeddings-classifier`` (on the inputs labelled with ``--concept``) or
a ``clusterer`` on the base workflow's embeddings and prints the model with its new
version (a ``SingleModelResponse``, as ``PostModelVersions`` answers); ``versions`` prints
a model's versions, newest first (a ``MultiModelVersionResponse``).  Prediction is
``opgraph app models predict --id MODEL``, or any workflow run with ``--app``.
"""

from __future__ import annotations

import argparse

from engine.app import App
from engine.app._requests import DEFAULT_PER_PAGE
from engine.cli_app._args import add_paging, json_arg
from engine.cli_app._output import EXIT_OK, emit
from engine.cli_app._registry import command
from engine.proto_app import MultiModelVersionResponse, SingleModelResponse

__all__: list[str] = []


def _train_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--id", required=True, metavar="MODEL", help="created on first training")
    p.add_argument(
        "--type",
        default="embeddings-classifier",
        metavar="TYPE",
        help="embeddings-classifier (default) or clusterer",
    )
    p.add_argument(
        "--concept",
        action="append",
        default=[],
        metavar="ID",
        help="a concept to learn (repeatable; embeddings-classifier)",
    )
    p.add_argument(
        "--params",
        metavar="JSON",
        help="training params, JSON or @FILE: concepts_mutually_exclusive, regularization, "
        "max_iter; n_clusters, seed",
    )
    p.add_argument("--description", default="", metavar="TEXT")
    p.add_argument("--version-id", metavar="ID", help="the new version's id (default: new)")


@command(
    "models train", "train a model on the app's embeddings (a new version)", arguments=_train_args
)
def _train(app: App, args: argparse.Namespace) -> int:
    params = json_arg(args.params, "--params") if args.params else None
    model = app.train_model(
        args.id,
        args.type,
        args.concept,
        params=params,
        description=args.description,
        version_id=args.version_id,
    )
    emit(SingleModelResponse(model=model).to_dict())
    return EXIT_OK


def _versions_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--id", required=True, metavar="MODEL")
    add_paging(p)


@command("models versions", "a model's versions, newest first", arguments=_versions_args)
def _versions(app: App, args: argparse.Namespace) -> int:
    versions = app.list_model_versions(args.id, args.page, args.per_page or DEFAULT_PER_PAGE)
    emit(MultiModelVersionResponse(model_versions=versions).to_dict())
    return EXIT_OK

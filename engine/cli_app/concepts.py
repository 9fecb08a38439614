"""``opgraph app concepts list|add|get|patch|relate|relations|unrelate``."""

from __future__ import annotations

import argparse

from engine.app import App
from engine.cli_app._args import add_paging
from engine.cli_app._output import EXIT_OK, emit, ok_status
from engine.cli_app._registry import command, group
from engine.proto import (
    MultiConceptRelationResponse,
    MultiConceptResponse,
    SingleConceptResponse,
)
from engine.store import PREDICATES

__all__: list[str] = []

group("concepts", "concepts and their relations")


@command("concepts list", "list concepts; prints MultiConceptResponse", arguments=add_paging)
def _list(app: App, args: argparse.Namespace) -> int:
    emit(MultiConceptResponse(concepts=app.list_concepts(args.page, args.per_page)).to_dict())
    return EXIT_OK


def _add_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("concept_ids", nargs="+", metavar="ID")
    p.add_argument("--name", action="append", default=[], metavar="NAME", help="one per ID")


@command("concepts add", "add concepts; prints MultiConceptResponse", arguments=_add_args)
def _add(app: App, args: argparse.Namespace) -> int:
    emit(MultiConceptResponse(concepts=app.create_concepts(args.concept_ids, args.name)).to_dict())
    return EXIT_OK


def _id_arg(p: argparse.ArgumentParser) -> None:
    p.add_argument("concept_id", metavar="ID")


@command("concepts get", "one concept; prints SingleConceptResponse", arguments=_id_arg)
def _get(app: App, args: argparse.Namespace) -> int:
    emit(SingleConceptResponse(concept=app.get_concept(args.concept_id)).to_dict())
    return EXIT_OK


def _patch_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("concept_id", metavar="ID")
    p.add_argument("--name", required=True, metavar="NAME")


@command("concepts patch", "rename a concept; prints MultiConceptResponse", arguments=_patch_args)
def _patch(app: App, args: argparse.Namespace) -> int:
    concepts = app.patch_concepts([args.concept_id], [args.name])
    emit(MultiConceptResponse(concepts=concepts).to_dict())
    return EXIT_OK


def _relate_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("subject", metavar="SUBJECT")
    p.add_argument("objects", nargs="+", metavar="OBJECT")
    p.add_argument("--predicate", default="synonym", choices=PREDICATES)
    p.add_argument("--knowledge-graph-id", default="", metavar="KG")


@command(
    "concepts relate",
    "relate SUBJECT to each OBJECT; prints MultiConceptRelationResponse",
    arguments=_relate_args,
)
def _relate(app: App, args: argparse.Namespace) -> int:
    made = app.create_concept_relations(
        args.subject, args.objects, [args.predicate] * len(args.objects), args.knowledge_graph_id
    )
    emit(MultiConceptRelationResponse(concept_relations=made).to_dict())
    return EXIT_OK


def _relations_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("concept_id", metavar="ID")
    p.add_argument("--predicate", choices=PREDICATES, help="as seen from ID")
    p.add_argument("--knowledge-graph-id", metavar="KG", help="only this knowledge graph")
    add_paging(p)


@command(
    "concepts relations",
    "relations of a concept; prints MultiConceptRelationResponse",
    arguments=_relations_args,
)
def _relations(app: App, args: argparse.Namespace) -> int:
    found = app.search_concept_relations(
        args.concept_id, args.predicate, args.knowledge_graph_id, args.page, args.per_page
    )
    emit(MultiConceptRelationResponse(concept_relations=found).to_dict())
    return EXIT_OK


def _unrelate_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("concept_id", metavar="ID")
    p.add_argument("--id", action="append", default=[], metavar="RELATION", help="default: all")


@command("concepts unrelate", "delete relations of a concept", arguments=_unrelate_args)
def _unrelate(app: App, args: argparse.Namespace) -> int:
    app.delete_concept_relations(args.concept_id, args.id)
    emit({"status": ok_status()})
    return EXIT_OK

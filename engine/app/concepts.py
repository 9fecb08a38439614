"""Concepts and their relations (synonym, hypernym, hyponym, per knowledge graph)."""

from __future__ import annotations

from collections.abc import Sequence

from engine.app._core import AppCore
from engine.errors import InputError
from engine.store import PREDICATES, Relation

__all__ = ["Concepts"]


class Concepts:
    """The app's concepts; the one place their rules live."""

    def __init__(self, core: AppCore) -> None:
        self._core = core

    def add_relation(
        self, subject: str, object: str, predicate: str = "synonym", knowledge_graph_id: str = ""
    ) -> None:
        """Relate two concepts; the inverse is implied."""
        if predicate not in PREDICATES:
            raise InputError(f"predicate must be one of {', '.join(PREDICATES)}, got {predicate!r}")
        if not subject or not object or subject == object:
            raise InputError("a concept relation needs two different, non-empty concept ids")
        self._core.store.add_relation(Relation(subject, object, predicate, knowledge_graph_id))

    def relations(self, concept_ids: Sequence[str], knowledge_graph_id: str = "") -> list[Relation]:
        """Relations of ``concept_ids`` as seen from them (the inverse side included)."""
        return self._core.store.relations(list(concept_ids), knowledge_graph_id)

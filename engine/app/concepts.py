"""Concepts (id and name) and their relations (synonym, hypernym, hyponym, per knowledge
graph), with the SDK's calls: create, get, list, patch; create, search, delete relations.

A relation is stored once, as given; listed from either concept, the other side sees the
inverse predicate (a hypernym of ``dog`` is seen from ``animal`` as a hyponym).  Its id is
derived from what it relates, so it is the same from both sides and across listings.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from engine.app._core import AppCore
from engine.app._requests import page_window
from engine.errors import AppError
from engine.proto import Concept, ConceptRelation, StatusCode
from engine.store import PREDICATES, Relation

__all__ = ["Concepts", "relation_id"]

_BAD = StatusCode.CONCEPTS_INVALID_REQUEST
_INVERSE = {"synonym": "synonym", "hypernym": "hyponym", "hyponym": "hypernym"}
_RELATION_NS = uuid.UUID("0b5e3f7c-2d7a-4f0e-8f57-4a3c9e1d6b12")
_MAX_ID = 256


def relation_id(r: Relation) -> str:
    """The stable id of a stored relation (the same seen from either concept)."""
    key = f"{r.subject}\x00{r.object}\x00{r.predicate}\x00{r.knowledge_graph_id}"
    return uuid.uuid5(_RELATION_NS, key).hex


class Concepts:
    """The app's concepts; the one place their rules live."""

    def __init__(self, core: AppCore) -> None:
        self._core = core

    # ---- concepts -------------------------------------------------------------------------

    def create(self, concept_ids: Sequence[str], names: Sequence[str] = ()) -> list[Concept]:
        """Add new concepts (``names`` in the same order, optional); all or none."""
        pairs = _pairs(concept_ids, names)
        taken = self._core.store.add_concepts(pairs)
        if taken:
            raise AppError(f"concept id(s) already in the app: {', '.join(taken[:5])}", code=_BAD)
        return [_concept(i, n) for i, n in pairs]

    def get(self, concept_id: str) -> Concept:
        found = self._core.store.list_concepts([concept_id], 0, 1)
        if not found:
            raise AppError(f"unknown concept id: {concept_id}", code=StatusCode.CONN_DOES_NOT_EXIST)
        return _concept(*found[0])

    def list_page(self, page: int = 1, per_page: int | None = None) -> list[Concept]:
        """The app's concepts (given, labelled or related) in the order first seen."""
        offset, limit = page_window(page, per_page)
        return [_concept(i, n) for i, n in self._core.store.list_concepts([], offset, limit)]

    def patch(
        self, concept_ids: Sequence[str], names: Sequence[str], action: str = "overwrite"
    ) -> list[Concept]:
        """Rename existing concepts (Clarifai patches concepts with ``overwrite`` only)."""
        if action != "overwrite":
            raise AppError(
                f"concepts are patched with action 'overwrite', got {action!r}", code=_BAD
            )
        pairs = _pairs(concept_ids, names)
        missing = self._core.store.rename_concepts(pairs)
        if missing:
            raise AppError(
                f"unknown concept id(s): {', '.join(missing[:5])}; nothing was changed",
                code=StatusCode.CONN_DOES_NOT_EXIST,
            )
        return [_concept(i, n) for i, n in pairs]

    # ---- relations ------------------------------------------------------------------------

    def add_relation(
        self, subject: str, object: str, predicate: str = "synonym", knowledge_graph_id: str = ""
    ) -> None:
        """Relate two concepts; the inverse is implied."""
        self.create_relations(subject, [object], [predicate], knowledge_graph_id)

    def create_relations(
        self,
        subject_concept_id: str,
        object_concept_ids: Sequence[str],
        predicates: Sequence[str],
        knowledge_graph_id: str = "",
    ) -> list[ConceptRelation]:
        """Relate ``subject_concept_id`` to each object with the predicate at the same
        position; concepts not yet in the app are added."""
        if len(object_concept_ids) != len(predicates) or not predicates:
            raise AppError("give one predicate for each object concept", code=_BAD)
        relations = []
        for obj, predicate in zip(object_concept_ids, predicates, strict=True):
            if predicate not in PREDICATES:
                raise AppError(
                    f"predicate must be one of {', '.join(PREDICATES)}, got {predicate!r}",
                    code=_BAD,
                )
            if not subject_concept_id or not obj or subject_concept_id == obj:
                raise AppError(
                    "a concept relation needs two different, non-empty concept ids", code=_BAD
                )
            relations.append(Relation(subject_concept_id, obj, predicate, knowledge_graph_id))
        self._core.store.add_relations(relations)  # a relation added twice is kept once
        return [_relation(r, r.subject) for r in relations]

    def relations(self, concept_ids: Sequence[str], knowledge_graph_id: str = "") -> list[Relation]:
        """Relations of ``concept_ids`` as seen from them (the inverse side included)."""
        return self._core.store.relations(list(concept_ids), knowledge_graph_id)

    def search_relations(
        self,
        concept_id: str,
        predicate: str | None = None,
        knowledge_graph_id: str | None = None,
        page: int = 1,
        per_page: int | None = None,
    ) -> list[ConceptRelation]:
        """``ListConceptRelations``: relations of one concept seen from it, optionally of
        one predicate (as seen from it) and knowledge graph, in a stable order."""
        offset, limit = page_window(page, per_page)
        if predicate is not None and predicate not in PREDICATES:
            raise AppError(
                f"predicate must be one of {', '.join(PREDICATES)}, got {predicate!r}", code=_BAD
            )
        seen = [
            _relation(r, concept_id)
            for r in self._core.store.relations_of(concept_id)
            if knowledge_graph_id is None or r.knowledge_graph_id == knowledge_graph_id
        ]
        kept = [r for r in seen if predicate is None or r.predicate == predicate]
        return kept[offset : offset + limit]

    def delete_relations(self, concept_id: str, relation_ids: Sequence[str] = ()) -> None:
        """Delete relations of ``concept_id`` by id, or all of them; all or none."""
        stored = {relation_id(r): r for r in self._core.store.relations_of(concept_id)}
        unknown = [i for i in relation_ids if i not in stored]
        if unknown:
            raise AppError(
                f"unknown relation id(s) of concept {concept_id}: {', '.join(unknown[:5])}; "
                "nothing was deleted",
                code=StatusCode.CONN_DOES_NOT_EXIST,
            )
        chosen = [stored[i] for i in relation_ids] if relation_ids else list(stored.values())
        self._core.store.delete_relations(chosen)


def _pairs(concept_ids: Sequence[str], names: Sequence[str]) -> list[tuple[str, str | None]]:
    if isinstance(concept_ids, str) or not concept_ids:
        raise AppError("give a list of concept ids", code=_BAD)
    if names and len(names) != len(concept_ids):
        raise AppError("give one name for each concept id, or none", code=_BAD)
    if len(set(concept_ids)) != len(concept_ids):
        raise AppError("a concept id is given twice", code=_BAD)
    for cid in concept_ids:
        if not isinstance(cid, str) or not cid.strip() or len(cid) > _MAX_ID:
            raise AppError(
                f"a concept id is a non-empty string of at most {_MAX_ID} characters, got {cid!r}",
                code=_BAD,
            )
    return [(cid, names[i] if names else None) for i, cid in enumerate(concept_ids)]


def _concept(concept_id: str, name: str | None) -> Concept:
    return Concept(id=concept_id, name=name or concept_id, value=1.0)


def _relation(r: Relation, seen_from: str) -> ConceptRelation:
    """The stored relation as ``seen_from`` sees it (subject first)."""
    forward = r.subject == seen_from
    return ConceptRelation(
        id=relation_id(r),
        subject_concept=Concept(id=r.subject if forward else r.object),
        object_concept=Concept(id=r.object if forward else r.subject),
        predicate=r.predicate if forward else _INVERSE[r.predicate],
        knowledge_graph_id=r.knowledge_graph_id or None,
    )

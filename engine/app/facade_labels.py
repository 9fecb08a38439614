"""The annotations and concepts of ``App`` (``engine.app.facade``): each method is one call
of ``engine.app.annotations`` or ``engine.app.concepts``, which own their rules."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from engine.app.annotations import Annotations
from engine.app.concepts import Concepts
from engine.proto import Annotation, Concept, ConceptRelation

__all__ = ["LabelsFacade"]


class LabelsFacade:
    """``App``'s annotation and concept methods (``App`` sets the resources they call)."""

    _annotations: Annotations
    _concepts: Concepts

    # ---- annotations ---------------------------------------------------------------------

    def annotations(
        self, input_id: str | None = None, status: int | str | None = None
    ) -> list[Annotation]:
        """Stored annotations, optionally of one input and/or one status code (or name)."""
        return self._annotations.list_annotations(input_id, status)

    def upload_annotations(self, batch_annos: Any) -> list[Annotation]:
        """Store hand-written annotations of stored inputs (``PostAnnotations``): concepts,
        regions (box, polygon, point), text, with user id, task id and status; all or none."""
        return self._annotations.upload(batch_annos)

    def list_annotations(
        self,
        input_ids: Sequence[str] = (),
        user_ids: Sequence[str] = (),
        statuses: Sequence[int | str] = (),
        concept_ids: Sequence[str] = (),
        task_id: str | None = None,
        ids: Sequence[str] = (),
        page: int = 1,
        per_page: int | None = None,
    ) -> list[Annotation]:
        """One page of annotations, hand-written and written by workflows alike
        (``ListAnnotations``), in the order first written."""
        return self._annotations.list_page(
            input_ids, user_ids, statuses, concept_ids, task_id, ids, page, per_page
        )

    def patch_annotations(self, batch_annos: Any, action: str = "merge") -> list[Annotation]:
        """Patch annotations by id (``PatchAnnotations``): merge, overwrite or remove."""
        return self._annotations.patch(batch_annos, action)

    def delete_annotations(
        self, input_ids: Sequence[str] = (), annotation_ids: Sequence[str] = ()
    ) -> None:
        """Delete annotations by id, or all of some inputs (``DeleteAnnotations``)."""
        self._annotations.delete(input_ids, annotation_ids)

    # ---- concepts ------------------------------------------------------------------------

    def create_concepts(
        self, concept_ids: Sequence[str], concepts: Sequence[str] = ()
    ) -> list[Concept]:
        """Add concepts (``concepts``: their names, optional) (``PostConcepts``)."""
        return self._concepts.create(concept_ids, concepts)

    def get_concept(self, concept_id: str) -> Concept:
        return self._concepts.get(concept_id)

    def list_concepts(self, page: int = 1, per_page: int | None = None) -> list[Concept]:
        """One page of the app's concepts, in the order first seen (``ListConcepts``)."""
        return self._concepts.list_page(page, per_page)

    def patch_concepts(
        self, concept_ids: Sequence[str], labels: Sequence[str] = (), action: str = "overwrite"
    ) -> list[Concept]:
        """Rename concepts (``PatchConcepts``; ``labels`` are the new names)."""
        return self._concepts.patch(concept_ids, labels, action)

    def add_concept_relation(
        self,
        subject: str,
        object: str,
        predicate: str = "synonym",
        knowledge_graph_id: str = "",
    ) -> None:
        """Relate two concepts: ``synonym``, ``hypernym`` (subject is a parent of object)
        or ``hyponym`` (subject is a kind of object); the inverse is implied."""
        self._concepts.add_relation(subject, object, predicate, knowledge_graph_id)

    def create_concept_relations(
        self,
        subject_concept_id: str,
        object_concept_ids: Sequence[str],
        predicates: Sequence[str],
        knowledge_graph_id: str = "",
    ) -> list[ConceptRelation]:
        """Relate one concept to others (``PostConceptRelations``), one predicate each."""
        return self._concepts.create_relations(
            subject_concept_id, object_concept_ids, predicates, knowledge_graph_id
        )

    def search_concept_relations(
        self,
        concept_id: str,
        predicate: str | None = None,
        knowledge_graph_id: str | None = None,
        page: int = 1,
        per_page: int | None = None,
    ) -> list[ConceptRelation]:
        """Relations of one concept as seen from it (``ListConceptRelations``)."""
        return self._concepts.search_relations(
            concept_id, predicate, knowledge_graph_id, page, per_page
        )

    def delete_concept_relations(
        self, concept_id: str, concept_relation_ids: Sequence[str] = ()
    ) -> None:
        """Delete relations of a concept by id, or all of them (``DeleteConceptRelations``)."""
        self._concepts.delete_relations(concept_id, concept_relation_ids)

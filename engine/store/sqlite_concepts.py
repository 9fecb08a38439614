"""Concepts and their relations in SQLite (each relation also seen from its object)."""

from __future__ import annotations

from collections.abc import Sequence

from engine.store import Relation
from engine.store._conn import SqliteConnection

__all__ = ["ConceptsSql"]

_INVERSE = {"synonym": "synonym", "hypernym": "hyponym", "hyponym": "hypernym"}


class ConceptsSql(SqliteConnection):
    """The concepts part of ``SqliteStore``."""

    def add_relation(self, relation: Relation) -> None:
        with self._tx() as c:
            c.executemany(
                "INSERT OR IGNORE INTO concepts(id) VALUES (?)",
                [(relation.subject,), (relation.object,)],
            )
            c.execute(
                "INSERT OR IGNORE INTO concept_relations VALUES (?, ?, ?, ?)",
                (
                    relation.subject,
                    relation.object,
                    relation.predicate,
                    relation.knowledge_graph_id,
                ),
            )

    def relations(self, concept_ids: Sequence[str], knowledge_graph_id: str) -> list[Relation]:
        """Relations touching ``concept_ids``, each also seen from its object's side."""
        if not concept_ids:
            return []
        marks = ",".join("?" * len(concept_ids))
        rows = self._query(
            "SELECT subject, object, predicate FROM concept_relations "
            f"WHERE knowledge_graph_id = ? AND (subject IN ({marks}) OR object IN ({marks})) "
            "ORDER BY subject, object, predicate",
            [knowledge_graph_id, *concept_ids, *concept_ids],
        )
        wanted = set(concept_ids)
        out = []
        for s, o, p in rows:
            if s in wanted:
                out.append(Relation(s, o, p, knowledge_graph_id))
            if o in wanted:
                out.append(Relation(o, s, _INVERSE[p], knowledge_graph_id))
        return out

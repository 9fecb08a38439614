"""Concepts and their relations, SQLite and PostgreSQL (each relation also seen from its object)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from engine.store import Relation
from engine.store._base import StoreConnection

__all__ = ["ConceptsSql"]

_INVERSE = {"synonym": "synonym", "hypernym": "hyponym", "hyponym": "hypernym"}


class ConceptsSql(StoreConnection):
    """The concepts part of a store."""

    def add_relation(self, relation: Relation) -> None:
        self.add_relations([relation])

    def add_relations(self, relations: Sequence[Relation]) -> None:
        """Store relations (and concepts not seen yet) in one transaction; one kept twice."""
        with self._tx() as c:
            c.executemany(
                "INSERT INTO concepts(id) VALUES (?) ON CONFLICT DO NOTHING",
                [(x,) for x in dict.fromkeys(x for r in relations for x in (r.subject, r.object))],
            )
            c.executemany(
                "INSERT INTO concept_relations(subject, object, predicate, knowledge_graph_id) "
                "VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING",
                [(r.subject, r.object, r.predicate, r.knowledge_graph_id) for r in relations],
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

    def list_concepts(
        self, ids: Sequence[str], offset: int, limit: int
    ) -> list[tuple[str, str | None]]:
        """(id, name) of the app's concepts in the order they were first seen."""
        where = f" WHERE id IN ({','.join('?' * len(ids))})" if ids else ""
        rows = self._query(
            f"SELECT id, name FROM concepts{where} ORDER BY rowid LIMIT ? OFFSET ?",
            [*ids, limit, offset],
        )
        return [(r[0], r[1]) for r in rows]

    def add_concepts(self, concepts: Sequence[tuple[str, str | None]]) -> list[str]:
        """Add new concepts; the ids already in the app, with nothing written, if any."""
        with self._tx() as c:
            taken = [i for i, _ in concepts if _has_concept(c, i)]
            if taken:
                return taken
            c.executemany("INSERT INTO concepts(id, name) VALUES (?, ?)", list(concepts))
        return []

    def rename_concepts(self, concepts: Sequence[tuple[str, str | None]]) -> list[str]:
        """Set the names of existing concepts; the unknown ids, nothing written, if any."""
        with self._tx() as c:
            missing = [i for i, _ in concepts if not _has_concept(c, i)]
            if missing:
                return missing
            c.executemany(
                "UPDATE concepts SET name = ? WHERE id = ?", [(n, i) for i, n in concepts]
            )
        return []

    def relations_of(self, concept_id: str) -> list[Relation]:
        """Every stored relation with ``concept_id`` as subject or object, as stored."""
        rows = self._query(
            "SELECT subject, object, predicate, knowledge_graph_id FROM concept_relations "
            "WHERE subject = ? OR object = ? "
            "ORDER BY knowledge_graph_id, subject, object, predicate",
            (concept_id, concept_id),
        )
        return [Relation(*r) for r in rows]

    def delete_relations(self, relations: Sequence[Relation]) -> None:
        with self._tx() as c:
            c.executemany(
                "DELETE FROM concept_relations WHERE subject = ? AND object = ? "
                "AND predicate = ? AND knowledge_graph_id = ?",
                [(r.subject, r.object, r.predicate, r.knowledge_graph_id) for r in relations],
            )


def _has_concept(c: Any, concept_id: str) -> bool:
    return c.execute("SELECT 1 FROM concepts WHERE id = ?", (concept_id,)).fetchone() is not None

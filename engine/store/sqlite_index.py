"""The index of base-workflow outputs (SQLite and PostgreSQL), per generation (a reindex
builds the next)."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from engine.store._base import StoreConnection
from engine.store._rows import get_meta, put_meta

__all__ = ["IndexSql"]

_INPUT_OK, _INPUT_FAILED = 30000, 30002  # Clarifai's INPUT_SUCCESS / INPUT_FAILED
_ANNOTATION_SUCCESS = 24150


class IndexSql(StoreConnection):
    """The index part of a store."""

    def load_vectors(self, generation: int, after: int) -> tuple[int, list[str], np.ndarray]:
        rows = self._query(
            "SELECT id, input_id, vector FROM index_vectors "
            "WHERE generation = ? AND id > ? AND region IS NULL ORDER BY id",
            (generation, after),
        )
        if not rows:
            return after, [], np.empty((0, 0), dtype=np.float32)
        matrix = np.frombuffer(b"".join(r[2] for r in rows), dtype=np.float32)
        return int(rows[-1][0]), [r[1] for r in rows], matrix.reshape(len(rows), -1)

    def concept_scores(self, generation: int, concept_id: str) -> list[tuple[str, float]]:
        """Best score per input: predicted by the base workflow, or labelled (a successful
        annotation)."""
        d = self.dialect
        rows = self._query(
            "SELECT input_id, max(v) FROM ("
            " SELECT input_id, value AS v FROM index_concepts"
            " WHERE generation = ? AND concept_id = ?"
            " UNION ALL"
            f" SELECT a.input_id, {d.number('c.value', 'value')} FROM annotations AS a"
            f" CROSS JOIN {d.items('a.data', ['concepts'], 'c')}"
            f" WHERE a.status_code = ? AND {d.text('c.value', 'id')} = ?"
            ") AS x GROUP BY input_id",
            (generation, concept_id, _ANNOTATION_SUCCESS, concept_id),
        )
        return [(r[0], float(r[1])) for r in rows]

    def new_generation(self) -> int:
        with self._tx() as c:
            active = int(get_meta(c, "generation") or 1)  # a new app indexes into generation 1
            for table in ("index_vectors", "index_concepts", "index_regions"):
                # rows above the active generation are a reindex that never finished
                c.execute(f"DELETE FROM {table} WHERE generation > ?", (active,))
            return active + 1

    def switch_generation(
        self,
        generation: int,
        meta: dict[str, str],
        failed: Sequence[tuple[str, str]],
        indexed_upto: int,
    ) -> bool:
        with self._tx() as c:
            newer = c.execute("SELECT 1 FROM inputs WHERE seq > ? LIMIT 1", (indexed_upto,))
            if newer.fetchone() is not None:
                return False  # another writer added inputs meanwhile: index them first
            for table in ("index_vectors", "index_concepts", "index_regions"):
                c.execute(f"DELETE FROM {table} WHERE generation != ?", (generation,))
            # input statuses follow the index in use: all good, then the new failures
            c.execute(
                "UPDATE inputs SET status_code = ?, status_description = ?",
                (_INPUT_OK, "Input successfully processed"),
            )
            c.executemany(
                "UPDATE inputs SET status_code = ?, status_description = ? WHERE id = ?",
                [(_INPUT_FAILED, reason, iid) for iid, reason in failed],
            )
            put_meta(c, {**meta, "generation": str(generation)})
        return True

    def drop_generation(self, generation: int) -> None:
        with self._tx() as c:
            for table in ("index_vectors", "index_concepts", "index_regions"):
                c.execute(f"DELETE FROM {table} WHERE generation = ?", (generation,))

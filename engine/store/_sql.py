"""``SqlStore``: the ``Store`` protocol over any ``StoreConnection``, SQLite or PostgreSQL.

Each resource's SQL is one module (``sqlite_inputs``, ``sqlite_annotations``,
``sqlite_concepts``, ``sqlite_index``, ``datasets``, ``workflows``, ``models``, ``search``),
written once for both databases; this class combines them and adds what spans resources
(an add's batch: inputs, index rows and annotations in one transaction).  A concrete store
puts its connection first among its bases: ``SqliteStore(SqliteConnection, SqlStore)``.
"""

from __future__ import annotations

from engine.store import WriteBatch
from engine.store._rows import get_meta, insert_index, insert_inputs, upsert_annotations
from engine.store.datasets import SqliteDatasets
from engine.store.models import SqliteModels
from engine.store.search import SqliteSearch
from engine.store.sqlite_annotations import AnnotationsSql
from engine.store.sqlite_concepts import ConceptsSql
from engine.store.sqlite_index import IndexSql
from engine.store.sqlite_inputs import InputsSql
from engine.store.workflows import SqliteWorkflows

__all__ = ["SqlStore"]


class SqlStore(InputsSql, AnnotationsSql, ConceptsSql, IndexSql):
    """Every resource's SQL over the connection a subclass provides."""

    search: SqliteSearch

    def _start_search(self) -> None:
        self.search = SqliteSearch(self)

    @property
    def datasets(self) -> SqliteDatasets:
        """Datasets, their inputs and frozen versions (``engine.store.datasets``)."""
        return SqliteDatasets(self)

    @property
    def workflows(self) -> SqliteWorkflows:
        """Workflows stored in the app, with versions (``engine.store.workflows``)."""
        return SqliteWorkflows(self)

    @property
    def models(self) -> SqliteModels:
        """Models created in the app, with versions (``engine.store.models``)."""
        return SqliteModels(self)

    def write(self, batch: WriteBatch) -> bool:
        with self._tx() as c:
            # checked inside the write transaction: a reindex cannot switch in between
            if not batch.building and int(get_meta(c, "generation") or 1) != batch.generation:
                return False
            insert_inputs(c, batch.inputs)
            c.executemany(
                "UPDATE inputs SET status_code = ?, status_description = ? WHERE id = ?",
                [(code, desc, iid) for iid, code, desc in batch.statuses],
            )
            insert_index(c, batch)
            upsert_annotations(c, batch.annotations)
        return True

"""An app's persistence, behind one small interface.

``Store`` is everything ``App`` asks of a database: stored inputs, datasets, concepts and
their relations, annotations, and the index of base-workflow outputs (embeddings,
concepts, regions), kept per *generation* so a reindex can build a new index beside the
old one and switch in one step.  ``SqliteStore`` (``engine.store.sqlite``) is the embedded
default; a server database implements the same protocol and nothing above it changes.

The records are plain dataclasses of JSON-ready values: a store never sees pydantic
models, numpy beyond the float32 vectors, or decoded pixels.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol

import numpy as np

if TYPE_CHECKING:
    from engine.store.datasets import SqliteDatasets
    from engine.store.models import SqliteModels
    from engine.store.search import SqliteSearch
    from engine.store.workflows import SqliteWorkflows

__all__ = [
    "PREDICATES",
    "AnnotationQuery",
    "AnnotationRecord",
    "IndexRecord",
    "InputChange",
    "InputQuery",
    "InputRecord",
    "Relation",
    "Store",
    "WriteBatch",
]

PREDICATES = ("synonym", "hypernym", "hyponym")


@dataclass
class InputRecord:
    """One stored input: its Data as Clarifai JSON, its media bytes, metadata, datasets."""

    id: str
    data: dict[str, Any]
    content: bytes | None = None  # encoded media (an image file's bytes) when it has pixels
    metadata: dict[str, Any] | None = None
    dataset_ids: list[str] = field(default_factory=list)
    status_code: int = 30000
    status_description: str = "Input successfully processed"
    created_at: str = ""
    modified_at: str = ""


@dataclass
class IndexRecord:
    """What the base workflow produced for one input, as the index keeps it."""

    input_id: str
    vector: np.ndarray | None = None  # the search embedding (float32, unit length)
    vector_node: str = ""
    concepts: list[tuple[str, str, float]] = field(default_factory=list)  # (node, id, value)
    regions: list[tuple[str, dict[str, Any]]] = field(default_factory=list)  # (node, region)
    # (node, region JSON, vector): regions the base workflow embedded (region-level search)
    region_vectors: list[tuple[str, dict[str, Any], np.ndarray]] = field(default_factory=list)


@dataclass
class AnnotationRecord:
    id: str
    input_id: str
    data: dict[str, Any]
    status_code: int
    user_id: str | None = None
    task_id: str | None = None
    annotation_info: dict[str, Any] | None = None
    workflow_id: str | None = None
    node_id: str | None = None
    created_at: str = ""
    modified_at: str = ""


@dataclass(frozen=True)
class InputQuery:
    """Which inputs a listing returns (every given field must match)."""

    ids: tuple[str, ...] = ()
    status: int | None = None
    dataset_id: str | None = None
    input_type: str | None = None  # "image", "video", "text" or "audio"


@dataclass
class InputChange:
    """What a patch makes of one stored input: the new record and its annotation changes."""

    record: InputRecord
    put_annotations: list[AnnotationRecord] = field(default_factory=list)
    delete_annotations: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class AnnotationQuery:
    """Which annotations a listing returns (each non-empty field must match one value)."""

    ids: tuple[str, ...] = ()
    input_ids: tuple[str, ...] = ()
    user_ids: tuple[str, ...] = ()
    statuses: tuple[int, ...] = ()
    concept_ids: tuple[str, ...] = ()
    task_id: str | None = None


@dataclass(frozen=True)
class Relation:
    subject: str
    object: str
    predicate: str
    knowledge_graph_id: str = ""


@dataclass
class WriteBatch:
    """Everything one ``add_inputs`` batch writes; a store commits it whole or not at all."""

    generation: int
    inputs: list[InputRecord] = field(default_factory=list)
    index: list[IndexRecord] = field(default_factory=list)
    annotations: list[AnnotationRecord] = field(default_factory=list)
    # (input id, status code, description) for inputs that exist already (a reindex)
    statuses: list[tuple[str, int, str]] = field(default_factory=list)
    # a reindex writes into the generation it is building; an add, into the active one
    building: bool = False


class Store(Protocol):
    """The persistence an ``App`` needs; every write method is one transaction."""

    location: str
    search: SqliteSearch  # the reads of Clarifai's search: filters, vectors, concept scores

    @property
    def datasets(self) -> SqliteDatasets:
        """Datasets, their inputs and frozen versions."""
        ...

    @property
    def workflows(self) -> SqliteWorkflows:
        """Workflows stored in the app, with versions."""
        ...

    @property
    def models(self) -> SqliteModels:
        """Models created in the app, with versions."""
        ...

    def close(self) -> None: ...

    def epoch(self) -> int | None:
        """Equal to an earlier epoch only if nothing was committed between; None: unknown."""
        ...

    def get_meta(self, key: str) -> str | None: ...

    def set_meta(self, items: dict[str, str]) -> None: ...

    def write(self, batch: WriteBatch) -> bool:
        """Store the batch in one transaction; False (nothing written) if an add's
        ``batch.generation`` is no longer the active index (a reindex switched meanwhile)."""
        ...

    def put_annotations(self, records: Sequence[AnnotationRecord]) -> None: ...

    def get_inputs(self, ids: Sequence[str]) -> list[InputRecord]: ...

    def missing_ids(self, ids: Sequence[str]) -> list[str]: ...

    def iter_inputs(
        self, batch_size: int, after: int = 0
    ) -> Iterator[tuple[int, list[InputRecord]]]:
        """Stored inputs in insertion order after cursor ``after``: (cursor, batch)."""
        ...

    def count_inputs(self, status: int | None = None) -> int: ...

    # inputs: listing, counting, patching, deleting
    def list_inputs(self, query: InputQuery, offset: int, limit: int) -> list[InputRecord]:
        """Matching inputs in insertion order, ``limit`` of them from ``offset``."""
        ...

    def input_counts(self) -> dict[int, int]:
        """How many inputs have each status code."""
        ...

    def modify_inputs(
        self, ids: Sequence[str], change: Callable[[InputRecord], InputChange]
    ) -> list[str]:
        """Apply ``change`` to each stored input in one transaction (reading them inside
        it); the unknown ids, with nothing written, if any id is unknown."""
        ...

    def delete_inputs(self, ids: Sequence[str]) -> list[str]:
        """Delete inputs with their annotations, dataset links and index rows in one
        transaction; the unknown ids, with nothing deleted, if any id is unknown."""
        ...

    def filter_input_ids(
        self, dataset_ids: Sequence[str] | None, metadata: dict[str, Any] | None
    ) -> list[str]: ...

    def load_vectors(self, generation: int, after: int) -> tuple[int, list[str], np.ndarray]:
        """Search vectors added since cursor ``after``: (new cursor, input ids, matrix)."""
        ...

    def concept_scores(self, generation: int, concept_id: str) -> list[tuple[str, float]]: ...

    def annotations(self, input_id: str | None, status: int | None) -> list[AnnotationRecord]: ...

    # annotations: adding, listing, patching, deleting
    def insert_annotations(
        self, records: Sequence[AnnotationRecord]
    ) -> tuple[list[str], list[str]]:
        """Add new annotations in one transaction; (unknown input ids, annotation ids
        already taken), with nothing written, when either is not empty."""
        ...

    def list_annotations(
        self, query: AnnotationQuery, offset: int, limit: int
    ) -> list[AnnotationRecord]: ...

    def modify_annotations(
        self, ids: Sequence[str], change: Callable[[AnnotationRecord], AnnotationRecord]
    ) -> list[str]: ...

    def delete_annotations(self, ids: Sequence[str], input_ids: Sequence[str]) -> list[str]: ...

    # concepts and relations
    def list_concepts(
        self, ids: Sequence[str], offset: int, limit: int
    ) -> list[tuple[str, str | None]]: ...

    def add_concepts(self, concepts: Sequence[tuple[str, str | None]]) -> list[str]: ...

    def rename_concepts(self, concepts: Sequence[tuple[str, str | None]]) -> list[str]: ...

    def relations_of(self, concept_id: str) -> list[Relation]: ...

    def delete_relations(self, relations: Sequence[Relation]) -> None: ...

    def add_relation(self, relation: Relation) -> None: ...

    def add_relations(self, relations: Sequence[Relation]) -> None: ...

    def relations(self, concept_ids: Sequence[str], knowledge_graph_id: str) -> list[Relation]: ...

    def new_generation(self) -> int: ...

    def switch_generation(
        self,
        generation: int,
        meta: dict[str, str],
        failed: Sequence[tuple[str, str]],
        indexed_upto: int,
    ) -> bool:
        """Make ``generation`` the index in use, drop every other, set ``meta`` and the
        inputs' statuses (``failed``: (input id, reason)), all in one transaction; or do
        nothing and return False when inputs past cursor ``indexed_upto`` exist."""
        ...

    def drop_generation(self, generation: int) -> None: ...

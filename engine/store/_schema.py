"""The SQLite schema, as migrations: ``MIGRATIONS[i]`` takes version i to version i+1.

Never edit a released step; append a new one (``ALTER TABLE``, new tables, backfills), so
an app written by an older opgraph opens and upgrades in place.
"""

from __future__ import annotations

from engine.store._search_schema import SEARCH_STEP

__all__ = ["MIGRATIONS", "SCHEMA_VERSION"]

_V1 = [
    "CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)",
    "CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)",
    # seq keeps insertion order for reindexing; id is the user-facing input id
    """CREATE TABLE inputs (
        seq INTEGER PRIMARY KEY AUTOINCREMENT,
        id TEXT NOT NULL UNIQUE,
        data TEXT NOT NULL,
        content BLOB,
        metadata TEXT,
        status_code INTEGER NOT NULL,
        status_description TEXT NOT NULL,
        created_at TEXT NOT NULL,
        modified_at TEXT NOT NULL)""",
    "CREATE TABLE datasets (id TEXT PRIMARY KEY, created_at TEXT NOT NULL)",
    """CREATE TABLE dataset_inputs (
        dataset_id TEXT NOT NULL REFERENCES datasets(id),
        input_id TEXT NOT NULL REFERENCES inputs(id),
        PRIMARY KEY (dataset_id, input_id)) WITHOUT ROWID""",
    "CREATE INDEX dataset_inputs_by_input ON dataset_inputs(input_id)",
    "CREATE TABLE concepts (id TEXT PRIMARY KEY, name TEXT)",
    """CREATE TABLE concept_relations (
        subject TEXT NOT NULL REFERENCES concepts(id),
        object TEXT NOT NULL REFERENCES concepts(id),
        predicate TEXT NOT NULL CHECK (predicate IN ('synonym', 'hypernym', 'hyponym')),
        knowledge_graph_id TEXT NOT NULL DEFAULT '',
        PRIMARY KEY (subject, object, predicate, knowledge_graph_id)) WITHOUT ROWID""",
    "CREATE INDEX concept_relations_by_object ON concept_relations(object)",
    """CREATE TABLE annotations (
        id TEXT PRIMARY KEY,
        input_id TEXT NOT NULL REFERENCES inputs(id),
        data TEXT NOT NULL,
        status_code INTEGER NOT NULL,
        user_id TEXT,
        task_id TEXT,
        annotation_info TEXT,
        workflow_id TEXT,
        node_id TEXT,
        created_at TEXT NOT NULL,
        modified_at TEXT NOT NULL)""",
    "CREATE INDEX annotations_by_input ON annotations(input_id)",
    # the index of base-workflow outputs, per generation (a reindex builds the next one)
    # AUTOINCREMENT: ids are never reused, so "rows after id N" is a safe reload cursor
    """CREATE TABLE index_vectors (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        generation INTEGER NOT NULL,
        input_id TEXT NOT NULL,
        node_id TEXT NOT NULL,
        vector BLOB NOT NULL)""",
    "CREATE INDEX index_vectors_by_generation ON index_vectors(generation)",
    """CREATE TABLE index_concepts (
        generation INTEGER NOT NULL,
        concept_id TEXT NOT NULL,
        input_id TEXT NOT NULL,
        node_id TEXT NOT NULL,
        value REAL NOT NULL,
        PRIMARY KEY (generation, concept_id, input_id, node_id)) WITHOUT ROWID""",
    """CREATE TABLE index_regions (
        generation INTEGER NOT NULL,
        input_id TEXT NOT NULL,
        node_id TEXT NOT NULL,
        data TEXT NOT NULL)""",
    "CREATE INDEX index_regions_by_generation ON index_regions(generation, input_id)",
]

# datasets as Clarifai has them, their frozen versions, and workflows stored with versions
_V2 = [
    "ALTER TABLE datasets ADD COLUMN description TEXT NOT NULL DEFAULT ''",
    "ALTER TABLE datasets ADD COLUMN notes TEXT NOT NULL DEFAULT ''",
    "ALTER TABLE datasets ADD COLUMN metadata TEXT",
    "ALTER TABLE datasets ADD COLUMN modified_at TEXT NOT NULL DEFAULT ''",
    "UPDATE datasets SET modified_at = created_at",
    "ALTER TABLE dataset_inputs ADD COLUMN created_at TEXT NOT NULL DEFAULT ''",
    # seq orders versions newest first, as Clarifai lists them
    """CREATE TABLE dataset_versions (
        seq INTEGER PRIMARY KEY AUTOINCREMENT,
        dataset_id TEXT NOT NULL REFERENCES datasets(id),
        id TEXT NOT NULL,
        description TEXT NOT NULL DEFAULT '',
        metadata TEXT,
        metrics TEXT NOT NULL,
        created_at TEXT NOT NULL,
        UNIQUE (dataset_id, id))""",
    # a frozen copy of each input (media included) and its annotations, as they were
    """CREATE TABLE dataset_version_inputs (
        version_seq INTEGER NOT NULL REFERENCES dataset_versions(seq),
        input_seq INTEGER NOT NULL,
        input_id TEXT NOT NULL,
        data TEXT NOT NULL,
        content BLOB,
        metadata TEXT,
        created_at TEXT NOT NULL,
        annotations TEXT NOT NULL,
        PRIMARY KEY (version_seq, input_seq)) WITHOUT ROWID""",
    """CREATE TABLE workflows (
        id TEXT PRIMARY KEY,
        description TEXT NOT NULL DEFAULT '',
        notes TEXT NOT NULL DEFAULT '',
        metadata TEXT,
        created_at TEXT NOT NULL,
        modified_at TEXT NOT NULL)""",
    """CREATE TABLE workflow_versions (
        seq INTEGER PRIMARY KEY AUTOINCREMENT,
        workflow_id TEXT NOT NULL REFERENCES workflows(id),
        id TEXT NOT NULL,
        yaml TEXT NOT NULL,
        description TEXT NOT NULL DEFAULT '',
        created_at TEXT NOT NULL,
        UNIQUE (workflow_id, id))""",
]

# models created in the app (PostModels), with immutable versions (PostModelVersions)
_MODELS = [
    """CREATE TABLE app_models (
        id TEXT PRIMARY KEY,
        model_type_id TEXT NOT NULL,
        name TEXT NOT NULL DEFAULT '',
        description TEXT NOT NULL DEFAULT '',
        notes TEXT NOT NULL DEFAULT '',
        metadata TEXT,
        created_at TEXT NOT NULL,
        modified_at TEXT NOT NULL)""",
    """CREATE TABLE app_model_versions (
        seq INTEGER PRIMARY KEY AUTOINCREMENT,
        model_id TEXT NOT NULL REFERENCES app_models(id),
        id TEXT NOT NULL,
        output_info TEXT NOT NULL,
        description TEXT NOT NULL DEFAULT '',
        created_at TEXT NOT NULL,
        UNIQUE (model_id, id))""",
]

# what a model trained in the app learnt (embeddings-classifier weights, clusterer
# centroids): one numpy array per row, as raw little-endian bytes with its dtype and shape
_V_TRAIN = [
    """CREATE TABLE app_model_arrays (
        model_id TEXT NOT NULL,
        version_id TEXT NOT NULL,
        name TEXT NOT NULL,
        dtype TEXT NOT NULL,
        shape TEXT NOT NULL,
        data BLOB NOT NULL,
        PRIMARY KEY (model_id, version_id, name))""",
]

MIGRATIONS: list[list[str]] = [_V1, _V2, SEARCH_STEP, _MODELS, _V_TRAIN]
SCHEMA_VERSION = len(MIGRATIONS)

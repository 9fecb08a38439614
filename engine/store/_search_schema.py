"""The schema step behind fast filtered search: side tables kept by triggers.

Every filter of Clarifai's query language becomes "the set of input ``seq``s it keeps".  The
cheap ones read an indexed side table instead of parsing each input's JSON:

- ``search_meta``: every leaf of every input's metadata (path, kind, value), so a metadata
  subset match is one index range per leaf;
- ``search_datasets``: dataset membership by ``seq``;
- ``search_types`` / ``search_geo``: the input's media kind and geo point;
- ``search_deleted``: a log of deleted inputs, so an in-memory vector index drops them
  incrementally instead of reloading.

Triggers on ``inputs`` and ``dataset_inputs`` keep them exact, whatever code writes those
tables (add, patch, delete, dataset edits): nothing else has to remember them.
"""

from __future__ import annotations

__all__ = ["LEAVES_SQL", "SEARCH_STEP"]

# the leaves of a metadata object X of input S: members whose parent is an object, not
# themselves non-empty objects; lists are leaves (matched whole), numbers share one kind
LEAVES_SQL = """SELECT {seq}, c.fullkey,
    CASE WHEN c.type IN ('integer', 'real') THEN 'number' ELSE c.type END,
    CASE WHEN c.type IN ('array', 'object') THEN json(c.value)
         WHEN c.type IN ('integer', 'real', 'text') THEN c.atom END
  FROM json_tree({doc}) AS c JOIN json_tree({doc}) AS p ON p.id = c.parent
  WHERE p.type = 'object' AND (c.type != 'object' OR json(c.value) = '{{}}')"""

_TYPES = ("image", "video", "text", "audio")


def _types_sql(seq: str, data: str, source: str = "") -> str:
    """Insert statements (``;``-joined) of an input's media kinds into ``search_types``."""
    return "; ".join(
        f"INSERT INTO search_types SELECT '{t}', {seq}{source} "
        f"WHERE json_type({data}, '$.{t}') IS NOT NULL"
        for t in _TYPES
    )


_GEO_SQL = """SELECT {seq}, json_extract({data}, '$.geo.geo_point.latitude'),
    json_extract({data}, '$.geo.geo_point.longitude')
  WHERE json_type({data}, '$.geo.geo_point.latitude') IN ('integer', 'real')
    AND json_type({data}, '$.geo.geo_point.longitude') IN ('integer', 'real')"""


def _from_row(sql: str, **names: str) -> str:
    return sql.format(**names)


_NEW = {"seq": "new.seq", "doc": "new.metadata", "data": "new.data"}

SEARCH_STEP = [
    """CREATE TABLE search_meta (
        seq INTEGER NOT NULL, path TEXT NOT NULL, kind TEXT NOT NULL, value)""",
    "CREATE INDEX search_meta_by_leaf ON search_meta(path, kind, value, seq)",
    "CREATE INDEX search_meta_by_seq ON search_meta(seq)",
    """CREATE TABLE search_datasets (
        dataset_id TEXT NOT NULL, seq INTEGER NOT NULL,
        PRIMARY KEY (dataset_id, seq)) WITHOUT ROWID""",
    "CREATE INDEX search_datasets_by_seq ON search_datasets(seq)",
    """CREATE TABLE search_types (
        type TEXT NOT NULL, seq INTEGER NOT NULL, PRIMARY KEY (type, seq)) WITHOUT ROWID""",
    """CREATE TABLE search_geo (
        seq INTEGER PRIMARY KEY, latitude REAL NOT NULL, longitude REAL NOT NULL)""",
    "CREATE INDEX search_geo_by_place ON search_geo(latitude, longitude)",
    "CREATE TABLE search_deleted (id INTEGER PRIMARY KEY AUTOINCREMENT, seq INTEGER NOT NULL)",
    "CREATE INDEX inputs_by_status ON inputs(status_code)",
    "CREATE INDEX inputs_by_created ON inputs(created_at)",
    # a vector of a region (a crop the base workflow embedded): the region's JSON
    "ALTER TABLE index_vectors ADD COLUMN region TEXT",
    # backfill what an older app already holds
    "INSERT INTO search_meta "
    + _from_row(LEAVES_SQL, seq="i.seq", doc="i.metadata").replace(
        "FROM json_tree", "FROM inputs AS i, json_tree", 1
    )
    + " AND i.metadata IS NOT NULL",
    """INSERT OR IGNORE INTO search_datasets SELECT d.dataset_id, i.seq
        FROM dataset_inputs AS d JOIN inputs AS i ON i.id = d.input_id""",
    *_types_sql("seq", "data", " FROM inputs").split("; "),
    "INSERT INTO search_geo "
    + _GEO_SQL.format(seq="i.seq", data="i.data").replace("WHERE", "FROM inputs AS i WHERE", 1),
    f"""CREATE TRIGGER search_inputs_added AFTER INSERT ON inputs BEGIN
        INSERT INTO search_meta {_from_row(LEAVES_SQL, **_NEW)} AND new.metadata IS NOT NULL;
        {_types_sql("new.seq", "new.data")};
        INSERT INTO search_geo {_from_row(_GEO_SQL, **_NEW)};
    END""",
    f"""CREATE TRIGGER search_inputs_metadata AFTER UPDATE OF metadata ON inputs BEGIN
        DELETE FROM search_meta WHERE seq = old.seq;
        INSERT INTO search_meta {_from_row(LEAVES_SQL, **_NEW)} AND new.metadata IS NOT NULL;
    END""",
    f"""CREATE TRIGGER search_inputs_data AFTER UPDATE OF data ON inputs BEGIN
        DELETE FROM search_types WHERE seq = old.seq;
        DELETE FROM search_geo WHERE seq = old.seq;
        {_types_sql("new.seq", "new.data")};
        INSERT INTO search_geo {_from_row(_GEO_SQL, **_NEW)};
    END""",
    """CREATE TRIGGER search_inputs_deleted AFTER DELETE ON inputs BEGIN
        DELETE FROM search_meta WHERE seq = old.seq;
        DELETE FROM search_types WHERE seq = old.seq;
        DELETE FROM search_geo WHERE seq = old.seq;
        DELETE FROM search_datasets WHERE seq = old.seq;
        INSERT INTO search_deleted(seq) VALUES (old.seq);
    END""",
    """CREATE TRIGGER search_dataset_added AFTER INSERT ON dataset_inputs BEGIN
        INSERT OR IGNORE INTO search_datasets
            SELECT new.dataset_id, seq FROM inputs WHERE id = new.input_id;
    END""",
    """CREATE TRIGGER search_dataset_removed AFTER DELETE ON dataset_inputs BEGIN
        DELETE FROM search_datasets WHERE dataset_id = old.dataset_id
            AND seq = (SELECT seq FROM inputs WHERE id = old.input_id);
    END""",
]

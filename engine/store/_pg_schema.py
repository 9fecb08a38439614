"""The PostgreSQL schema of an app, as migrations: ``PG_MIGRATIONS[i]`` takes version i to i+1.

It holds the same tables and columns as the SQLite schema (``_schema``; a test compares
the two), so the shared SQL of ``_sql.SqlStore`` reads and writes both.  The differences:
``BIGSERIAL`` for SQLite's ``AUTOINCREMENT`` keys, an explicit ``rowid`` column where the
shared SQL orders by SQLite's implicit one, ``BYTEA`` for blobs, text compared byte-wise
(``COLLATE "C"``, as SQLite compares), and the search side tables kept by PL/pgSQL
triggers instead of SQLite's.  JSON stays text, as in SQLite, and is cast to ``jsonb``
where it is read.  An app is one schema of a database; these statements run inside it.

Never edit a released step; append one (and the matching SQLite step in ``_schema``).
"""

from __future__ import annotations

__all__ = ["PG_MIGRATIONS", "PG_SCHEMA_VERSION"]

_T = 'TEXT COLLATE "C"'

_TABLES = [
    f"CREATE TABLE meta (key {_T} PRIMARY KEY, value TEXT NOT NULL)",
    f"""CREATE TABLE inputs (
        seq BIGSERIAL PRIMARY KEY,
        id {_T} NOT NULL UNIQUE,
        data TEXT NOT NULL,
        content BYTEA,
        metadata TEXT,
        status_code INTEGER NOT NULL,
        status_description TEXT NOT NULL,
        created_at {_T} NOT NULL,
        modified_at {_T} NOT NULL)""",
    "CREATE INDEX inputs_by_status ON inputs(status_code)",
    "CREATE INDEX inputs_by_created ON inputs(created_at)",
    f"""CREATE TABLE datasets (
        rowid BIGSERIAL UNIQUE,
        id {_T} PRIMARY KEY,
        created_at {_T} NOT NULL,
        description TEXT NOT NULL DEFAULT '',
        notes TEXT NOT NULL DEFAULT '',
        metadata TEXT,
        modified_at {_T} NOT NULL DEFAULT '')""",
    f"""CREATE TABLE dataset_inputs (
        dataset_id {_T} NOT NULL REFERENCES datasets(id),
        input_id {_T} NOT NULL REFERENCES inputs(id),
        created_at {_T} NOT NULL DEFAULT '',
        PRIMARY KEY (dataset_id, input_id))""",
    "CREATE INDEX dataset_inputs_by_input ON dataset_inputs(input_id)",
    f"CREATE TABLE concepts (rowid BIGSERIAL UNIQUE, id {_T} PRIMARY KEY, name {_T})",
    f"""CREATE TABLE concept_relations (
        subject {_T} NOT NULL REFERENCES concepts(id),
        object {_T} NOT NULL REFERENCES concepts(id),
        predicate {_T} NOT NULL CHECK (predicate IN ('synonym', 'hypernym', 'hyponym')),
        knowledge_graph_id {_T} NOT NULL DEFAULT '',
        PRIMARY KEY (subject, object, predicate, knowledge_graph_id))""",
    "CREATE INDEX concept_relations_by_object ON concept_relations(object)",
    f"""CREATE TABLE annotations (
        rowid BIGSERIAL UNIQUE,
        id {_T} PRIMARY KEY,
        input_id {_T} NOT NULL REFERENCES inputs(id),
        data TEXT NOT NULL,
        status_code INTEGER NOT NULL,
        user_id {_T},
        task_id {_T},
        annotation_info TEXT,
        workflow_id {_T},
        node_id {_T},
        created_at {_T} NOT NULL,
        modified_at {_T} NOT NULL)""",
    "CREATE INDEX annotations_by_input ON annotations(input_id)",
    f"""CREATE TABLE index_vectors (
        id BIGSERIAL PRIMARY KEY,
        generation INTEGER NOT NULL,
        input_id {_T} NOT NULL,
        node_id {_T} NOT NULL,
        vector BYTEA NOT NULL,
        region TEXT)""",
    "CREATE INDEX index_vectors_by_generation ON index_vectors(generation)",
    "CREATE INDEX index_vectors_by_input ON index_vectors(input_id)",
    f"""CREATE TABLE index_concepts (
        generation INTEGER NOT NULL,
        concept_id {_T} NOT NULL,
        input_id {_T} NOT NULL,
        node_id {_T} NOT NULL,
        value DOUBLE PRECISION NOT NULL,
        PRIMARY KEY (generation, concept_id, input_id, node_id))""",
    "CREATE INDEX index_concepts_by_input ON index_concepts(input_id)",
    f"""CREATE TABLE index_regions (
        generation INTEGER NOT NULL,
        input_id {_T} NOT NULL,
        node_id {_T} NOT NULL,
        data TEXT NOT NULL)""",
    "CREATE INDEX index_regions_by_generation ON index_regions(generation, input_id)",
    "CREATE INDEX index_regions_by_input ON index_regions(input_id)",
    f"""CREATE TABLE dataset_versions (
        seq BIGSERIAL PRIMARY KEY,
        dataset_id {_T} NOT NULL REFERENCES datasets(id),
        id {_T} NOT NULL,
        description TEXT NOT NULL DEFAULT '',
        metadata TEXT,
        metrics TEXT NOT NULL,
        created_at {_T} NOT NULL,
        UNIQUE (dataset_id, id))""",
    f"""CREATE TABLE dataset_version_inputs (
        version_seq BIGINT NOT NULL REFERENCES dataset_versions(seq),
        input_seq BIGINT NOT NULL,
        input_id {_T} NOT NULL,
        data TEXT NOT NULL,
        content BYTEA,
        metadata TEXT,
        created_at {_T} NOT NULL,
        annotations TEXT NOT NULL,
        PRIMARY KEY (version_seq, input_seq))""",
    f"""CREATE TABLE workflows (
        rowid BIGSERIAL UNIQUE,
        id {_T} PRIMARY KEY,
        description TEXT NOT NULL DEFAULT '',
        notes TEXT NOT NULL DEFAULT '',
        metadata TEXT,
        created_at {_T} NOT NULL,
        modified_at {_T} NOT NULL)""",
    f"""CREATE TABLE workflow_versions (
        seq BIGSERIAL PRIMARY KEY,
        workflow_id {_T} NOT NULL REFERENCES workflows(id),
        id {_T} NOT NULL,
        yaml TEXT NOT NULL,
        description TEXT NOT NULL DEFAULT '',
        created_at {_T} NOT NULL,
        UNIQUE (workflow_id, id))""",
    f"""CREATE TABLE app_models (
        rowid BIGSERIAL UNIQUE,
        id {_T} PRIMARY KEY,
        model_type_id {_T} NOT NULL,
        name TEXT NOT NULL DEFAULT '',
        description TEXT NOT NULL DEFAULT '',
        notes TEXT NOT NULL DEFAULT '',
        metadata TEXT,
        created_at {_T} NOT NULL,
        modified_at {_T} NOT NULL)""",
    f"""CREATE TABLE app_model_versions (
        seq BIGSERIAL PRIMARY KEY,
        model_id {_T} NOT NULL REFERENCES app_models(id),
        id {_T} NOT NULL,
        output_info TEXT NOT NULL,
        description TEXT NOT NULL DEFAULT '',
        created_at {_T} NOT NULL,
        UNIQUE (model_id, id))""",
]

# the search side tables (see _search_schema): the same rows, kept by PL/pgSQL triggers
_SEARCH_TABLES = [
    f"""CREATE TABLE search_meta (
        seq BIGINT NOT NULL, path {_T} NOT NULL, kind {_T} NOT NULL, value JSONB)""",
    "CREATE INDEX search_meta_by_leaf ON search_meta(path, kind, value, seq)",
    "CREATE INDEX search_meta_by_seq ON search_meta(seq)",
    f"""CREATE TABLE search_datasets (
        dataset_id {_T} NOT NULL, seq BIGINT NOT NULL, PRIMARY KEY (dataset_id, seq))""",
    "CREATE INDEX search_datasets_by_seq ON search_datasets(seq)",
    f"""CREATE TABLE search_types (
        type {_T} NOT NULL, seq BIGINT NOT NULL, PRIMARY KEY (type, seq))""",
    "CREATE INDEX search_types_by_seq ON search_types(seq)",
    """CREATE TABLE search_geo (
        seq BIGINT PRIMARY KEY, latitude DOUBLE PRECISION NOT NULL,
        longitude DOUBLE PRECISION NOT NULL)""",
    "CREATE INDEX search_geo_by_place ON search_geo(latitude, longitude)",
    "CREATE TABLE search_deleted (id BIGSERIAL PRIMARY KEY, seq BIGINT NOT NULL)",
]

_FUNCTIONS = [
    # the leaves of a metadata object: members of objects that are not non-empty objects
    """CREATE FUNCTION opgraph_leaves(doc JSONB)
    RETURNS TABLE (path TEXT, kind TEXT, value JSONB) LANGUAGE sql IMMUTABLE AS $$
    WITH RECURSIVE t(path, v) AS (
        SELECT '$.' || to_json(e.key)::text, e.value FROM jsonb_each(
            CASE WHEN jsonb_typeof(doc) = 'object' THEN doc ELSE '{}'::jsonb END) AS e
        UNION ALL
        SELECT t.path || '.' || to_json(e.key)::text, e.value FROM t, jsonb_each(
            CASE WHEN jsonb_typeof(t.v) = 'object' THEN t.v ELSE '{}'::jsonb END) AS e
    )
    SELECT t.path, jsonb_typeof(t.v), t.v FROM t
    WHERE jsonb_typeof(t.v) <> 'object' OR t.v = '{}'::jsonb
    $$""",
    # great-circle (haversine) distance within km, as GeoArea.distance_km
    """CREATE FUNCTION search_km(lat0 DOUBLE PRECISION, lon0 DOUBLE PRECISION,
        lat DOUBLE PRECISION, lon DOUBLE PRECISION, km DOUBLE PRECISION)
    RETURNS BOOLEAN LANGUAGE sql IMMUTABLE AS $$
    SELECT 2 * 6371.0088 * asin(least(1.0, sqrt(
        sin(radians(lat - lat0) / 2) ^ 2
        + cos(radians(lat0)) * cos(radians(lat)) * sin(radians(lon - lon0) / 2) ^ 2))) <= km
    $$""",
    """CREATE FUNCTION opgraph_data_rows(s BIGINT, data TEXT) RETURNS void
    LANGUAGE plpgsql AS $$
    DECLARE d JSONB := data::jsonb;
    BEGIN
        INSERT INTO search_types SELECT t, s FROM unnest(ARRAY['image', 'video', 'text',
            'audio']) AS t WHERE jsonb_exists(d, t);
        IF jsonb_typeof(d #> '{geo,geo_point,latitude}') = 'number'
           AND jsonb_typeof(d #> '{geo,geo_point,longitude}') = 'number' THEN
            INSERT INTO search_geo VALUES (s, (d #>> '{geo,geo_point,latitude}')::float8,
                (d #>> '{geo,geo_point,longitude}')::float8);
        END IF;
    END $$""",
    """CREATE FUNCTION opgraph_meta_rows(s BIGINT, metadata TEXT) RETURNS void
    LANGUAGE plpgsql AS $$
    BEGIN
        IF metadata IS NOT NULL THEN
            INSERT INTO search_meta SELECT s, l.path, l.kind, l.value
                FROM opgraph_leaves(metadata::jsonb) AS l;
        END IF;
    END $$""",
    """CREATE FUNCTION opgraph_inputs_changed() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        IF TG_OP = 'INSERT' THEN
            PERFORM opgraph_meta_rows(NEW.seq, NEW.metadata);
            PERFORM opgraph_data_rows(NEW.seq, NEW.data);
        ELSIF TG_OP = 'UPDATE' THEN
            DELETE FROM search_meta WHERE seq = OLD.seq;
            PERFORM opgraph_meta_rows(NEW.seq, NEW.metadata);
            DELETE FROM search_types WHERE seq = OLD.seq;
            DELETE FROM search_geo WHERE seq = OLD.seq;
            PERFORM opgraph_data_rows(NEW.seq, NEW.data);
        ELSE
            DELETE FROM search_meta WHERE seq = OLD.seq;
            DELETE FROM search_types WHERE seq = OLD.seq;
            DELETE FROM search_geo WHERE seq = OLD.seq;
            DELETE FROM search_datasets WHERE seq = OLD.seq;
            INSERT INTO search_deleted(seq) VALUES (OLD.seq);
        END IF;
        RETURN NULL;
    END $$""",
    """CREATE TRIGGER search_inputs AFTER INSERT OR DELETE OR UPDATE OF data, metadata
        ON inputs FOR EACH ROW EXECUTE FUNCTION opgraph_inputs_changed()""",
    """CREATE FUNCTION opgraph_datasets_changed() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        IF TG_OP = 'INSERT' THEN
            INSERT INTO search_datasets SELECT NEW.dataset_id, seq FROM inputs
                WHERE id = NEW.input_id ON CONFLICT DO NOTHING;
        ELSE
            DELETE FROM search_datasets WHERE dataset_id = OLD.dataset_id
                AND seq = (SELECT seq FROM inputs WHERE id = OLD.input_id);
        END IF;
        RETURN NULL;
    END $$""",
    """CREATE TRIGGER search_dataset_inputs AFTER INSERT OR DELETE ON dataset_inputs
        FOR EACH ROW EXECUTE FUNCTION opgraph_datasets_changed()""",
]

# what a model trained in the app learnt (as SQLite's _V_TRAIN)
_TRAIN = [
    f"""CREATE TABLE app_model_arrays (
        model_id {_T} NOT NULL,
        version_id {_T} NOT NULL,
        name {_T} NOT NULL,
        dtype TEXT NOT NULL,
        shape TEXT NOT NULL,
        data BYTEA NOT NULL,
        PRIMARY KEY (model_id, version_id, name))""",
]

PG_MIGRATIONS: list[list[str]] = [
    [
        "CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)",
        *_TABLES,
        *_SEARCH_TABLES,
        *_FUNCTIONS,
    ],
    _TRAIN,
]
PG_SCHEMA_VERSION = len(PG_MIGRATIONS)

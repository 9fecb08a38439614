"""The SQL that differs between SQLite and PostgreSQL, as small functions of one ``Dialect``.

The store's SQL is written once, in the subset both databases share: ``?`` placeholders
(PostgreSQL's connection rewrites them), ``INSERT ... ON CONFLICT``, ``RETURNING``, a
``rowid`` column (SQLite's own, a ``BIGSERIAL`` column in PostgreSQL), JSON kept as text.
What cannot be shared is asked of ``store.dialect``: reading into a JSON document (SQLite's
``json_extract`` / ``json_each``, PostgreSQL's ``jsonb`` operators), aggregating rows into
JSON or into a list of numbers, and the leaves of a metadata query.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from engine.store._search_schema import LEAVES_SQL

__all__ = ["POSTGRES", "SQLITE", "Dialect"]

_Sql = tuple[str, list[Any]]


def _sqlite_path(keys: Sequence[str]) -> str:
    return "$." + ".".join('"' + k.replace('"', '\\"') + '"' for k in keys)


def _pg_path(keys: Sequence[str]) -> str:
    """A text[] literal for ``#>``: each key double-quoted, quotes and backslashes escaped."""
    quoted = ('"' + k.replace("\\", "\\\\").replace('"', '\\"') + '"' for k in keys)
    return "'{" + ",".join(quoted).replace("'", "''") + "}'"


class Dialect:
    """SQLite's SQL for what differs; ``PostgresDialect`` overrides each method."""

    name = "sqlite"

    def has(self, doc: str, key: str) -> str:
        """True when JSON text ``doc`` has member ``key`` (a literal key, e.g. ``image``)."""
        return f"json_type({doc}, '$.{key}') IS NOT NULL"

    def items(self, doc: str, keys: Sequence[str], alias: str) -> str:
        """A FROM item: one row per element of the array at ``keys`` (alias.value)."""
        return f"json_each({doc}, '{_sqlite_path(keys)}') AS {alias}"

    def text(self, value: str, key: str) -> str:
        """Member ``key`` of an ``items`` row, as text."""
        return f"json_extract({value}, '$.{key}')"

    def number(self, value: str, key: str) -> str:
        """Member ``key`` of an ``items`` row, as a number."""
        return f"json_extract({value}, '$.{key}')"

    def array_length(self, doc: str, key: str) -> str:
        """Length of the array at member ``key`` of ``doc`` (NULL when absent)."""
        return f"json_array_length({doc}, '$.{key}')"

    def json_rows(self, columns: str, source: str) -> str:
        """JSON text of the rows of ``source`` (a subquery) as arrays of ``columns``."""
        return f"(SELECT json_group_array(json_array({columns})) FROM ({source}) AS j)"

    def int_list(self, column: str) -> str:
        """An aggregate: the column's integers as one comma-separated text (or NULL)."""
        return f"group_concat({column})"

    def concept_ids_in(self, doc: str, n: int) -> str:
        """True when a concept of ``doc`` (its own, a region's, a frame's) is one of n ids."""
        return (
            f"EXISTS (SELECT 1 FROM json_tree({doc}) AS t WHERE t.key = 'id' "
            f"AND t.path LIKE '%concepts[%]' AND t.value IN ({','.join('?' * n)}))"
        )

    def json_equals(self, doc: str, keys: Sequence[str], value: Any) -> _Sql:
        """True when the JSON at ``keys`` of ``doc`` equals ``value``."""
        path = _sqlite_path(keys)
        if value is None:
            return f"json_type({doc}, ?) = 'null'", [path]
        if isinstance(value, bool):
            return f"json_type({doc}, ?) = ?", [path, "true" if value else "false"]
        if isinstance(value, list | dict):
            # json_extract gives containers back as minified JSON text; json() minifies ours
            return f"json_extract({doc}, ?) = json(?)", [path, json.dumps(value)]
        return f"json_extract({doc}, ?) = ?", [path, value]

    def leaves(self, doc: str) -> _Sql:
        """(0, path, kind, value) of each leaf of a metadata query, as the side table
        ``search_meta`` keeps them."""
        return LEAVES_SQL.format(seq="0", doc="?"), [doc, doc]

    def leaf_value(self) -> str:
        """The comparison of ``search_meta.value`` with one leaf's value."""
        return "value = ?"


class PostgresDialect(Dialect):
    """PostgreSQL: JSON text is cast to ``jsonb`` where it is read."""

    name = "postgresql"

    def has(self, doc: str, key: str) -> str:
        return f"jsonb_exists(({doc})::jsonb, '{key}')"

    def items(self, doc: str, keys: Sequence[str], alias: str) -> str:
        at = f"(({doc})::jsonb #> {_pg_path(keys)})"
        return (
            f"jsonb_array_elements(CASE WHEN jsonb_typeof({at}) = 'array' THEN {at} "
            f"ELSE '[]'::jsonb END) AS {alias}(value)"
        )

    def text(self, value: str, key: str) -> str:
        return f"({value} ->> '{key}')"

    def number(self, value: str, key: str) -> str:
        return (
            f"(CASE WHEN jsonb_typeof({value} -> '{key}') = 'number' "
            f"THEN ({value} ->> '{key}')::float8 END)"
        )

    def array_length(self, doc: str, key: str) -> str:
        at = f"(({doc})::jsonb -> '{key}')"
        return f"(CASE WHEN jsonb_typeof({at}) = 'array' THEN jsonb_array_length({at}) END)"

    def json_rows(self, columns: str, source: str) -> str:
        return (
            f"(SELECT coalesce(json_agg(json_build_array({columns})), '[]')::text "
            f"FROM ({source}) AS j)"
        )

    def int_list(self, column: str) -> str:
        return f"string_agg(({column})::text, ',')"

    def concept_ids_in(self, doc: str, n: int) -> str:
        return (
            "EXISTS (SELECT 1 FROM jsonb_path_query("
            f"({doc})::jsonb, 'lax $.**.concepts[*].id') AS t(v) "
            f"WHERE t.v #>> '{{}}' IN ({','.join('?' * n)}))"
        )

    def json_equals(self, doc: str, keys: Sequence[str], value: Any) -> _Sql:
        return f"(({doc})::jsonb #> {_pg_path(keys)}) = ?::jsonb", [json.dumps(value)]

    def leaves(self, doc: str) -> _Sql:
        return "SELECT 0, path, kind, value::text FROM opgraph_leaves(?::jsonb)", [doc]

    def leaf_value(self) -> str:
        return "value = ?::jsonb"


SQLITE = Dialect()
POSTGRES = PostgresDialect()

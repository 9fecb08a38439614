"""What ``App`` needs besides the store: opening it, resolving base workflows, parsing
requests (metadata, status names), timestamps and a progress bar."""

from __future__ import annotations

import json
from collections.abc import Iterable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from engine import progress
from engine.errors import AppError, InputError, StoreError
from engine.proto import StatusCode
from engine.store import Store
from engine.store._pg_conn import is_postgres_url
from engine.store.sqlite import SqliteStore
from engine.workflow import Workflow

__all__ = [
    "BUILTIN_BASE_WORKFLOWS",
    "Progress",
    "annotation_status",
    "as_list",
    "builtin",
    "is_postgres_url",
    "now",
    "open_store",
    "parse_metadata",
    "refuse_rag",
    "resolve",
    "resolve_stored",
]

BUILTIN_BASE_WORKFLOWS = ("text", "image", "empty")
_DB_NAME = "app.db"
_DB_SUFFIXES = (".db", ".sqlite", ".sqlite3")
_PROGRESS_MIN = 2  # a single input needs no bar


def open_store(
    path: Path | str, initial_meta: dict[str, str] | None = None, *, create: bool = True
) -> Store:
    """The app's store at ``path`` (a folder, a ``.db`` file, or a ``postgresql://`` URL);
    a new app gets ``initial_meta`` with its schema."""
    if is_postgres_url(path):
        from engine.store.postgres import PostgresStore

        return PostgresStore(str(path), initial_meta=initial_meta, create=create)
    path = Path(path)
    if path.suffix.lower() in _DB_SUFFIXES or path.is_file():
        db = path
    else:
        try:
            path.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise StoreError(f"{path}: cannot create the app directory ({exc})") from None
        db = path / _DB_NAME
    return SqliteStore(db, initial_meta=initial_meta)


def resolve(spec: Any, *, allow_rag: bool = False) -> tuple[Workflow | None, str]:
    """A workflow (None for ``empty``) and the text that stores it, from any accepted form."""
    if isinstance(spec, Workflow):
        # the app stores YAML alone: bindings from the user's catalog go into it
        wf = spec.with_catalog_resolved()
        text = wf.to_yaml()
    elif isinstance(spec, str) and spec in BUILTIN_BASE_WORKFLOWS:
        return builtin(spec), f"builtin:{spec}"
    elif isinstance(spec, str | Path):
        wf = Workflow.from_yaml(spec)
        text = wf.to_yaml()
    else:
        raise TypeError(
            f"a base workflow is a Workflow, YAML path or text, or one of "
            f"{BUILTIN_BASE_WORKFLOWS}; got {type(spec).__name__}"
        )
    if not allow_rag:
        refuse_rag(wf)
    return wf, text


def resolve_stored(text: str) -> tuple[Workflow | None, str]:
    if text.startswith("builtin:"):
        return builtin(text.removeprefix("builtin:")), text
    return Workflow.from_yaml(text), text


def builtin(name: str) -> Workflow | None:
    if name == "empty":
        return None
    wf = Workflow(f"{name}-base")
    wf.add("text-embedder" if name == "text" else "visual-embedder", id="embed")
    return wf


def refuse_rag(wf: Workflow) -> None:
    from engine.errors import GraphError
    from engine.graph import compile_spec

    for node in compile_spec(wf.spec, models=wf.models).nodes:
        if node.type_id == "rag-prompter":
            pos = node.spec.pos("model_type_id", "model")
            raise GraphError(
                f"node '{node.id}' is a rag-prompter, which cannot be in a base workflow: it "
                "would search the index the base workflow builds",
                file=wf.file,
                line=pos.line,
                col=pos.col,
                node_id=node.id,
            )


def as_list(inputs: Any) -> list[Any]:
    """One input or many (a list, tuple or any other iterable, e.g. a generator)."""
    if isinstance(inputs, str | bytes | bytearray | dict | Path) or hasattr(inputs, "shape"):
        return [inputs]  # iterable, but one input: text, a path, JSON, a numpy image
    if isinstance(inputs, Iterable) and not hasattr(inputs, "model_dump"):
        return list(inputs)
    return [inputs]


def parse_metadata(value: dict[str, Any] | str | None) -> dict[str, Any] | None:
    """Metadata as a JSON object (``InputError`` for anything else, including bad JSON)."""
    from engine.app._requests import MAX_JSON_BYTES, MAX_JSON_DEPTH, check_json

    if value is None:
        return None
    if isinstance(value, str):
        if len(value) > MAX_JSON_BYTES:
            raise AppError(
                f"metadata is larger than {MAX_JSON_BYTES // 1024} KiB",
                code=StatusCode.INPUT_INVALID_ARGUMENT,
            )
        try:
            value = json.loads(value)
        except json.JSONDecodeError as exc:
            raise InputError(f"metadata is not JSON: {exc}") from None
        except RecursionError:  # nested past Python's own limit
            raise AppError(
                f"metadata is nested more than {MAX_JSON_DEPTH} levels deep",
                code=StatusCode.INPUT_INVALID_ARGUMENT,
            ) from None
    if not isinstance(value, dict):
        raise InputError(f"metadata must be a JSON object, got {type(value).__name__}")
    check_json(value, "metadata")
    return value


def annotation_status(status: int | str | None) -> int | None:
    if status is None or isinstance(status, int):
        return status
    if status.isdigit():
        return int(status)
    name = status.upper()
    name = name if name.startswith("ANNOTATION_") else f"ANNOTATION_{name}"
    try:
        return int(StatusCode[name])
    except KeyError:
        raise InputError(f"unknown annotation status {status!r}") from None


def now() -> str:
    return datetime.now(UTC).isoformat(timespec="microseconds").replace("+00:00", "Z")


class Progress:
    """A progress bar with an ETA on stderr (``engine.progress``), for adds to a terminal."""

    def __init__(self, total: int, enabled: bool | None, *, label: str = "indexing") -> None:
        if enabled is None:
            enabled = total >= _PROGRESS_MIN and progress.shown()
        self.total, self.done, self.label = total, 0, label
        self._bar = progress.Bar(total, label, unit="input", enabled=enabled)
        self.enabled = self._bar.enabled

    def __enter__(self) -> Progress:
        return self

    def advance(self, n: int) -> None:
        self.done += n
        self._bar.update(n)

    def __exit__(self, *exc: object) -> None:
        self._bar.close()

"""What every resource module of an app shares: the store, the lock, the running scope.

One ``AppCore`` per ``App``.  A resource module (``inputs``, ``annotations``, ...) is a
class built with the core; it reads and writes through ``core.store`` (every store write is
one transaction), takes ``core.lock`` around anything that must not interleave with another
call on the same ``App`` object, and reads ``core.scope`` to know which workflow run of
this app an operator is calling from.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from engine.errors import AppError
from engine.proto import StatusCode
from engine.store import AnnotationRecord, Store

__all__ = ["AppCore", "Scope"]


@dataclass
class Scope:
    """What app-bound operators see during one workflow run of this app."""

    mode: str  # "add" (writes join the batch), "predict" (writes commit now), "query"
    workflow_id: str
    input_ids: list[str | None]
    known: set[str] = field(default_factory=set)  # ids being stored in this batch
    pending: list[AnnotationRecord] = field(default_factory=list)


class AppCore:
    """The store, the lock and the scope of one ``App`` object."""

    def __init__(self, path: Path | str, store: Store, batch_size: int) -> None:
        self.path = path
        self.store = store
        self.batch_size = batch_size
        self.lock = threading.RLock()
        self.scope: Scope | None = None

    @contextmanager
    def scoped(self, scope: Scope) -> Iterator[Scope]:
        outer, self.scope = self.scope, scope
        try:
            yield scope
        finally:
            self.scope = outer

    def require(self, ids: Sequence[str]) -> None:
        """``InputError`` naming the first unknown input ids, if any."""
        missing = self.store.missing_ids(list(ids))
        if missing:
            raise AppError(
                f"unknown input id(s): {', '.join(missing[:5])}",
                code=StatusCode.INPUT_DOES_NOT_EXIST,
            )

    def generation(self) -> int:
        """The index generation in use (a reindex builds the next one)."""
        return int(self.store.get_meta("generation") or 1)

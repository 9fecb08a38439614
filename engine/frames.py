"""A video's per-frame results, kept small: frames stored serialised, objects on access.

``Workflow.predict`` on a video keeps one ``Frame`` per node per processed frame.  As live
pydantic objects a frame of a detector -> tracker -> counter graph over 12 regions holds
about 60 KB, so an hour of video would hold gigabytes.  A ``FrameList`` keeps a node's
frames as objects only until ``BLOCK_FRAMES`` of them are in, then pickles that block and
compresses it with zlib: a few hundred bytes per frame.

A ``FrameList`` is the ``data.frames`` users see in a video's result: a read-only sequence
(``len``, indexing, slices, iteration, ``==`` with a list, ``+``) that decodes a block when
one of its frames is read and keeps the last block decoded, so iterating every frame once
decodes each block once.  A frame read twice may be two equal objects, not the same one;
like every result, treat it as read-only.  JSON (``to_dict``, ``model_dump``) serialises it
as the list it stands for (``engine.proto``), a block at a time.  Pickling (worker
processes) carries the compressed blocks, not the objects.
"""

from __future__ import annotations

import gc
import pickle
import zlib
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any, cast, overload

from engine._gcpause import paused_gc, settle

if TYPE_CHECKING:
    from engine.proto import Frame

__all__ = ["BLOCK_FRAMES", "FrameList", "FrameRecorder"]

# frames per compressed block: 32 compress nearly as well as 256 (keys, ids and concepts
# repeat within a block) while a decoded block stays small
BLOCK_FRAMES = 32
_LEVEL = 6  # zlib: ~10% smaller than level 1 for ~1 us more per region


@contextmanager
def _untracked() -> Iterator[None]:
    """No collection while the body makes many objects that stay (a decoded block, a
    block's JSON), and those objects go straight to the oldest generation: otherwise each
    block triggers young collections that scan it, and full ones that scan the whole heap,
    block after block."""
    enabled = gc.isenabled()
    with paused_gc():
        gc.disable()
        try:
            yield
            settle()  # what the body made is not scanned until the next full collection
        finally:
            if enabled:
                gc.enable()


class FrameList(Sequence["Frame"]):
    """One node's frames of a video result: a read-only list, stored in compressed blocks."""

    __slots__ = ("_blocks", "_cache", "_count", "_open")

    def __init__(self) -> None:
        self._blocks: list[bytes] = []
        self._open: list[Frame] = []
        self._count = 0  # frames in sealed blocks
        self._cache: tuple[int, list[Frame]] = (-1, [])

    def _add(self, frame: Frame) -> None:
        self._open.append(frame)
        if len(self._open) == BLOCK_FRAMES:
            self._seal()

    def _seal(self) -> None:
        if self._open:
            frames, self._open = self._open, []
            self._blocks.append(zlib.compress(pickle.dumps(frames, protocol=5), _LEVEL))
            self._count += len(frames)

    @property
    def nbytes(self) -> int:
        """Bytes held by the compressed blocks."""
        return sum(len(b) for b in self._blocks)

    def _block(self, b: int) -> list[Frame]:
        at, frames = self._cache
        if at == b:
            return frames
        if b == len(self._blocks):  # still being filled
            return self._open
        with _untracked():
            frames = cast("list[Frame]", pickle.loads(zlib.decompress(self._blocks[b])))
        self._cache = (b, frames)
        return frames

    def serialise(self, dump: Callable[[list[Frame]], list[Any]]) -> list[Any]:
        """``dump`` (pydantic's serializer of a list of frames) applied a block at a time:
        what the frames stand for as plain data, without every frame alive at once."""
        out: list[Any] = []
        for chunk in self.chunks():
            with _untracked():
                out += dump(chunk)
        return out

    def chunks(self) -> Iterator[list[Frame]]:
        """The frames a block at a time (a list of up to ``BLOCK_FRAMES``)."""
        for b in range(len(self._blocks)):
            yield self._block(b)
        if self._open:
            yield self._open

    def __len__(self) -> int:
        return self._count + len(self._open)

    @overload
    def __getitem__(self, i: int) -> Frame: ...
    @overload
    def __getitem__(self, i: slice) -> list[Frame]: ...
    def __getitem__(self, i: int | slice) -> Frame | list[Frame]:
        if isinstance(i, slice):
            return [self[j] for j in range(*i.indices(len(self)))]
        n = len(self)
        j = i + n if i < 0 else i
        if not 0 <= j < n:
            raise IndexError("frame index out of range")
        # every sealed block but the last is full, so block and offset are a division
        return self._block(j // BLOCK_FRAMES)[j % BLOCK_FRAMES]

    def __iter__(self) -> Iterator[Frame]:
        for frames in self.chunks():
            yield from frames

    def __eq__(self, other: object) -> bool:
        if other is self:
            return True
        if not isinstance(other, Sequence) or isinstance(other, str | bytes):
            return NotImplemented
        return len(other) == len(self) and all(a == b for a, b in zip(self, other, strict=True))

    __hash__ = None  # type: ignore[assignment]  # as a list's

    def __add__(self, other: Sequence[Frame]) -> list[Frame]:
        return [*self, *other]

    def __radd__(self, other: Sequence[Frame]) -> list[Frame]:
        return [*other, *self]

    def __repr__(self) -> str:
        return repr(list(self))

    def __copy__(self) -> FrameList:
        return self  # read-only: a copy is the same frames

    def __deepcopy__(self, memo: dict[int, Any]) -> FrameList:
        return self

    def __getstate__(self) -> dict[str, Any]:
        self._seal()
        return {"blocks": self._blocks, "count": self._count}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self._blocks, self._count = state["blocks"], state["count"]
        self._open, self._cache = [], (-1, [])


class FrameRecorder:
    """Collects a video's frames for ``width`` nodes, one row (a ``Frame`` per node) per
    processed frame; ``finish()`` seals them and gives each node's ``FrameList``."""

    __slots__ = ("_lists",)

    def __init__(self, width: int) -> None:
        self._lists = [FrameList() for _ in range(width)]

    def add(self, row: Sequence[Frame]) -> None:
        """One processed frame: node k's ``Frame`` at ``row[k]``."""
        if len(row) != len(self._lists):
            raise ValueError(f"a row of {len(row)} frames for {len(self._lists)} nodes")
        for frames, frame in zip(self._lists, row, strict=True):
            frames._add(frame)

    def finish(self) -> list[FrameList]:
        """Each node's frames, in node order; nothing may be added after."""
        for frames in self._lists:
            frames._seal()
        return self._lists

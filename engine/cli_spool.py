"""A video's frames on disk while ``opgraph run --out`` runs it, so memory stays flat.

The results file keeps its layout: a video's result lists each node's frames in turn (all of
the first node's frames, then the second's), so no frame can go into the file before the
video ends.  Instead of keeping them in memory until then, ``FrameSpool`` appends each
processed frame's outputs (without pixels, as a kept result holds them) to one file per
input and node, in pickled blocks compressed as ``engine.frames`` keeps them, and reads them
back a block at a time while the results are written.  The spool lives in a private
temporary folder removed on ``close``.
"""

from __future__ import annotations

import os
import pickle
import shutil
import struct
import tempfile
import zlib
from collections.abc import Iterator
from typing import Any

from engine.frames import BLOCK_FRAMES
from engine.proto import Frame, FrameInfo, trusted

__all__ = ["FrameSpool"]

_LENGTH = struct.Struct("<I")  # a block's compressed size, before the block
_LEVEL = 1  # the spool is read once, soon: speed over size


class _NodeFrames:
    """One input's frames of one node: a file of compressed blocks, and the open block (the
    file is opened only to append a block: many videos x nodes hold no file handles)."""

    __slots__ = ("count", "open", "path")

    def __init__(self, path: str) -> None:
        self.path = path
        with open(path, "xb"):  # created here, never a file that was there
            pass
        self.open: list[Frame] = []
        self.count = 0

    def add(self, frame: Frame) -> None:
        self.open.append(frame)
        self.count += 1
        if len(self.open) == BLOCK_FRAMES:
            self.seal()

    def seal(self) -> None:
        if self.open:
            block = zlib.compress(pickle.dumps(self.open, protocol=5), _LEVEL)
            with open(self.path, "ab") as f:
                f.write(_LENGTH.pack(len(block)) + block)
            self.open = []

    def blocks(self) -> Iterator[list[Frame]]:
        self.seal()
        with open(self.path, "rb") as f:
            while head := f.read(_LENGTH.size):
                (size,) = _LENGTH.unpack(head)
                # our own file, in a folder only this user can enter
                yield pickle.loads(zlib.decompress(f.read(size)))


class FrameSpool:
    """Each processed frame of each video, by input and node id, kept on disk."""

    def __init__(self, nodes: list[str]) -> None:
        self.nodes = nodes  # the node ids whose frames a result shows, in graph order
        self._folder = tempfile.mkdtemp(prefix="opgraph-frames-")  # mode 0700
        self._files: dict[tuple[int, str], _NodeFrames] = {}

    def add(self, index: int, info: FrameInfo, outputs: dict[str, Any]) -> None:
        """One frame of input ``index``: each node's output (``None``: filtered away)."""
        from engine.executor_video import strip_pixels

        for node_id in self.nodes:
            frames = self._files.get((index, node_id))
            if frames is None:
                name = os.path.join(self._folder, f"{index}-{len(self._files)}")
                frames = self._files[index, node_id] = _NodeFrames(name)
            data = strip_pixels(outputs.get(node_id))
            frames.add(trusted(Frame, id=None, frame_info=info, data=data))

    def count(self, index: int, node_id: str) -> int:
        """How many frames of input ``index`` node ``node_id`` has here."""
        frames = self._files.get((index, node_id))
        return 0 if frames is None else frames.count

    def blocks(self, index: int, node_id: str) -> Iterator[list[Frame]]:
        """The frames of input ``index`` for ``node_id``, in order, a block at a time."""
        frames = self._files.get((index, node_id))
        if frames is not None:
            yield from frames.blocks()

    def frames(self, index: int, node_id: str) -> Iterator[Frame]:
        """The same frames one by one."""
        for block in self.blocks(index, node_id):
            yield from block

    def close(self) -> None:
        """Remove the spool (idempotent)."""
        self._files.clear()
        shutil.rmtree(self._folder, ignore_errors=True)

    def __enter__(self) -> FrameSpool:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

"""Files the corpus is built from, generated into the run's work folder (never committed)."""

from __future__ import annotations

import base64
import json
import os
import struct
import zlib
from pathlib import Path
from typing import Any

from tests.hostile.servers import _png, small_png

__all__ = [
    "SECRET",
    "Files",
]

SECRET = "SECRET-TOKEN-4242"

_TEXT_FLOW = """workflow:
  id: hostile-text
  nodes:
    - id: words
      model:
        model_id: words
        model_type_id: regex-based-classifier
        output_info:
          params: {regex: "\\\\w+", concepts: [{id: word}]}
"""

_IMAGE_FLOW = """workflow:
  id: hostile-image
  nodes:
    - id: colours
      model:
        model_id: colours
        model_type_id: image-color-recognizer
        output_info:
          params: {max_colors: 2}
"""


class Files:
    """The corpus's files under ``work/files``; heavy ones are made once, on first use."""

    def __init__(self, work: Path) -> None:
        self.dir = work / "files"
        self.dir.mkdir(parents=True, exist_ok=True)
        self.text_flow = self.write("text.yml", _TEXT_FLOW)
        self.image_flow = self.write("image.yml", _IMAGE_FLOW)
        self.video_flow = self.image_flow  # the graph runs on every sampled frame
        self.secret = self.write("secret.txt", f"{SECRET} 1 2 3\n{SECRET}\n")
        self.png = self.write("small.png", small_png())
        self.secret_png = self.write("secret.png", small_png(5, 5))
        self.clip = self._clip()
        self.sparse = self._sparse()
        self.fifo = self._fifo()

    def write(self, name: str, content: str | bytes) -> Path:
        path = self.dir / name
        if isinstance(content, str):
            path.write_text(content, encoding="utf-8")
        else:
            path.write_bytes(content)
        return path

    def json(self, name: str, doc: Any) -> Path:
        return self.write(name, json.dumps(doc))

    def _clip(self) -> Path:
        import cv2
        import numpy as np

        path = self.dir / "clip.avi"
        writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"MJPG"), 10.0, (64, 48))
        for k in range(10):
            writer.write(np.full((48, 64, 3), 20 * k, np.uint8))
        writer.release()
        return path

    def _sparse(self) -> Path:
        path = self.dir / "sparse.bin"
        with path.open("wb") as f:
            f.truncate(1536 << 20)  # 1.5 GB of zeros that take no disk
        return path

    def _fifo(self) -> Path:
        path = self.dir / "fifo"
        os.mkfifo(path)
        return path

    def clip_b64(self) -> str:
        return base64.b64encode(self.clip.read_bytes()).decode()

    def avi_timing(self, name: str, scale: int, rate: int, length: int | None = None) -> Path:
        """The clip with its stream header's frame rate (rate/scale) and length rewritten."""
        data = bytearray(self.clip.read_bytes())
        strh = data.find(b"strh") + 8
        struct.pack_into("<II", data, strh + 20, scale, rate)
        if length is not None:
            struct.pack_into("<I", data, strh + 32, length)
            avih = data.find(b"avih") + 8
            struct.pack_into("<I", data, avih + 16, length)
        if rate and scale:
            avih = data.find(b"avih") + 8
            struct.pack_into("<I", data, avih, min(0xFFFFFFFF, 10**6 * scale // rate))
        return self.write(name, bytes(data))

    def huge_png(self, name: str, width: int, height: int, depth: int, colour: int) -> Path:
        """A valid PNG of zeros with ``width x height`` pixels (compresses ~250:1)."""
        path = self.dir / name
        if path.exists():
            return path
        channels = {0: 1, 2: 3, 4: 2, 6: 4}[colour]
        row = b"\0" * (width * channels * depth // 8 + 1)
        c = zlib.compressobj(1)
        idat = b"".join(c.compress(row) for _ in range(height)) + c.flush()
        tmp = path.with_name(f".{name}.{os.getpid()}")
        tmp.write_bytes(_png(width, height, depth, colour, idat))
        os.replace(tmp, path)  # cases running side by side may both make it
        return path

    def png_header_only(self, name: str, width: int, height: int) -> Path:
        """A PNG that declares a size and carries almost no pixels."""
        return self.write(name, _png(width, height, 8, 2, zlib.compress(b"\0" * 64)))

"""Peak memory of decoding one large image: opgraph's decode_image_bytes beside cv2.imdecode.

Each measurement runs in a fresh process (peak RSS only grows), on PNGs this script draws
in a temporary folder: 40 MP 8-bit RGBA and 20 MP 16-bit RGBA, and the 99 MP 16-bit RGBA
header that opgraph refuses before decoding.

    .venv/bin/python benchmarks/decode_memory.py
"""

from __future__ import annotations

import os
import struct
import subprocess
import sys
import tempfile
import zlib
from pathlib import Path

import cv2
import numpy as np

ROOT = Path(__file__).resolve().parents[1]

PROBE = """
import resource, sys
sys.path.insert(0, sys.argv[1])
raw = open(sys.argv[3], "rb").read()
import cv2, numpy as np
from engine import InputError, media
before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
try:
    if sys.argv[2] == "opgraph":
        out = media.decode_image_bytes(raw)
    else:
        out = cv2.imdecode(np.frombuffer(raw, np.uint8), cv2.IMREAD_UNCHANGED)
    note = "decoded" if sys.argv[2] == "opgraph" or out is not None else "not decoded"
except InputError as exc:
    note = "refused: " + str(exc)[:60]
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
print(f"{(peak - before) / 1024:.0f}\\t{note}")
"""


def _images(folder: Path) -> dict[str, Path]:
    rgba8 = np.zeros((5000, 8000, 4), np.uint8)
    rgba8[..., 3] = 128
    rgba8[:, :4000, 2] = 255
    rgba16 = np.zeros((4000, 5000, 4), np.uint16)
    rgba16[..., 3] = 40000
    paths = {"40 MP RGBA 8-bit": folder / "a.png", "20 MP RGBA 16-bit": folder / "b.png"}
    cv2.imwrite(str(paths["40 MP RGBA 8-bit"]), rgba8)
    cv2.imwrite(str(paths["20 MP RGBA 16-bit"]), rgba16)
    ihdr = b"IHDR" + struct.pack(">IIBBBBB", 9950, 9950, 16, 6, 0, 0, 0)
    bomb = b"\x89PNG\r\n\x1a\n" + struct.pack(">I", 13) + ihdr + struct.pack(">I", zlib.crc32(ihdr))
    paths["99 MP RGBA 16-bit (header)"] = folder / "c.png"
    paths["99 MP RGBA 16-bit (header)"].write_bytes(bomb)
    return paths


def _named(folder: Path) -> dict[str, Path]:
    names = ["40 MP RGBA 8-bit", "20 MP RGBA 16-bit", "99 MP RGBA 16-bit (header)"]
    return {n: folder / f for n, f in zip(names, ("a.png", "b.png", "c.png"), strict=True)}


def _peak(who: str, path: Path) -> str:
    out = subprocess.run(
        [sys.executable, "-c", PROBE, str(ROOT), who, str(path)],
        capture_output=True, text=True, check=True,
    )
    return out.stdout.strip()


def main() -> None:
    print(f"load average: {os.getloadavg()[0]:.2f}")
    print("image\topgraph MB\tcv2.imdecode MB")
    with tempfile.TemporaryDirectory() as tmp:
        # drawn in a child: a process's peak RSS carries over into the children it starts
        subprocess.run([sys.executable, __file__, "--make", tmp], check=True)
        for name, path in _named(Path(tmp)).items():
            ours, peer = _peak("opgraph", path), _peak("cv2", path)
            print(f"{name}\t{ours}\t{peer}")


if __name__ == "__main__":
    if sys.argv[1:2] == ["--make"]:
        _images(Path(sys.argv[2]))
    else:
        main()

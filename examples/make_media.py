"""Draws the sample media the README's example and the bundled graphs run on.

    .venv/bin/python examples/make_media.py [OUT_DIR]      # the same as: opgraph samples OUT_DIR

The drawing lives in the package (``engine.samples``), so an installed opgraph makes the same
files; this script keeps the examples' old entry point.
"""

from __future__ import annotations

import sys
from pathlib import Path

from engine.samples import moving_boxes, shelf_label, write_samples

__all__ = ["main", "moving_boxes", "shelf_label"]

HERE = Path(__file__).resolve().parent


def main(out: Path) -> None:
    for path in write_samples(out):
        print(path)


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else HERE / "media")

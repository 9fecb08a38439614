"""OCR accuracy and speed: optical-character-recognizer on rendered text, beside RapidOCR.

Pages of 3-5 lines are drawn with the TrueType fonts matplotlib ships (DejaVu Sans, Serif,
Mono, bold and italic faces), at 18-44 px, turned by up to 3 degrees, with Gaussian noise
and a slight blur.  Accuracy is the share of characters right: 1 - (Levenshtein distance
between the lines read, top to bottom, and the lines drawn) / (characters drawn), over
all pages, with and without spaces (PP-OCR's recogniser sometimes drops the space
between words).  The peer is RapidOCR's own pipeline over the same ONNX models (when
``rapidocr_onnxruntime`` and its dependencies import); timings interleave the two.

    .venv/bin/python benchmarks/ocr.py [--pages 40]
"""

from __future__ import annotations

import argparse
import os
import statistics
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from engine import Context, Data, Image
from operators.models.optical_character_recognizer import OpticalCharacterRecognizer

FONTS = (
    "DejaVuSans.ttf",
    "DejaVuSerif.ttf",
    "DejaVuSansMono.ttf",
    "DejaVuSans-Bold.ttf",
    "DejaVuSerif-Italic.ttf",
)
SIZES = (18, 24, 32, 44)
_WORDS = (
    "the quick brown fox jumps over lazy dog invoice total amount due date order number "
    "shipping address customer account balance payment received thank you for your "
    "business please pay within thirty days reference page report summary delivery "
    "window street avenue city north south east west open closed monday friday"
).split()


@dataclass(frozen=True)
class Page:
    image: np.ndarray  # BGR
    lines: tuple[str, ...]


def _line(rng: np.random.Generator) -> str:
    words = [str(rng.choice(_WORDS)) for _ in range(int(rng.integers(3, 7)))]
    words[0] = words[0].capitalize()
    if rng.random() < 0.6:  # digits and punctuation, as on real documents
        words.insert(int(rng.integers(1, len(words))), f"{rng.integers(1, 9999)}")
    mark = str(rng.choice([".", ",", ":", "", "!", "?"]))
    return " ".join(words) + mark


def font_dir() -> Path:
    import matplotlib

    return Path(matplotlib.__file__).parent / "mpl-data" / "fonts" / "ttf"


def render(
    lines: Sequence[str], font: str, size: int, angle: float = 0.0, noise: float = 0.0,
    seed: int = 0,
) -> np.ndarray:
    """Black lines on white, turned by ``angle`` degrees, with Gaussian noise; BGR."""
    import cv2
    from PIL import Image as PilImage
    from PIL import ImageDraw, ImageFont

    face = ImageFont.truetype(str(font_dir() / font), size)
    width = max(int(face.getlength(t)) for t in lines) + 4 * size
    height = int(len(lines) * size * 1.9) + 2 * size
    page = PilImage.new("L", (width, height), 255)
    draw = ImageDraw.Draw(page)
    for i, text in enumerate(lines):
        draw.text((2 * size, size + int(i * size * 1.9)), text, fill=0, font=face)
    gray = np.asarray(page.rotate(angle, resample=PilImage.BICUBIC, expand=True, fillcolor=255))
    if noise > 0:
        rng = np.random.default_rng(seed)
        gray = np.clip(gray + rng.normal(0, noise, gray.shape), 0, 255).astype(np.uint8)
        gray = cv2.GaussianBlur(gray, (3, 3), 0.6)
    return cv2.cvtColor(np.ascontiguousarray(gray), cv2.COLOR_GRAY2BGR)


def make_pages(n: int, seed: int = 0) -> list[Page]:
    rng = np.random.default_rng(seed)
    pages = []
    for i in range(n):
        lines = tuple(_line(rng) for _ in range(int(rng.integers(3, 6))))
        font, size = FONTS[i % len(FONTS)], SIZES[(i // len(FONTS)) % len(SIZES)]
        angle = float(rng.uniform(-3, 3))
        pages.append(Page(render(lines, font, size, angle, noise=8.0, seed=i), lines))
    return pages


def levenshtein(a: str, b: str) -> int:
    """Edit distance (insertions, deletions, substitutions), one row at a time."""
    prev = np.arange(len(b) + 1)
    codes = np.frombuffer(b.encode("utf-32-le"), dtype=np.uint32)
    for i, ch in enumerate(a, 1):
        cur = np.empty_like(prev)
        cur[0] = i
        sub = prev[:-1] + (codes != ord(ch))
        best = np.minimum(sub, prev[1:] + 1)
        for j in range(1, len(b) + 1):  # insertions chain left to right
            cur[j] = min(best[j - 1], cur[j - 1] + 1)
        prev = cur
    return int(prev[-1])


def char_accuracy(
    read: Sequence[str], truth: Sequence[str], spaces: bool = True
) -> tuple[int, int]:
    """(edit distance, characters drawn) between the lines read and the lines drawn."""
    def norm(lines: Sequence[str]) -> str:
        text = "\n".join(line.strip() for line in lines)
        return text if spaces else text.replace(" ", "")

    got, want = norm(read), norm(truth)
    return levenshtein(got, want), len(want)


def ours() -> Callable[[np.ndarray], list[str]]:
    op = OpticalCharacterRecognizer(OpticalCharacterRecognizer.Params())

    def read(bgr: np.ndarray) -> list[str]:
        data = Data(image=Image.from_array(bgr))
        out = op.process(data, Context(root=data))
        return [r.data.text.raw for r in out.regions] if out else []  # type: ignore[union-attr]

    return read


def peer() -> Callable[[np.ndarray], list[str]] | None:
    try:
        from rapidocr_onnxruntime import RapidOCR
    except ImportError:
        return None
    engine = RapidOCR()

    def read(bgr: np.ndarray) -> list[str]:
        result, _ = engine(bgr, use_cls=False)
        return [str(r[1]) for r in result or []]

    return read


def measure(pages: Sequence[Page], readers: dict[str, Callable[[np.ndarray], list[str]]]
            ) -> dict[str, dict[str, float]]:
    stats = {name: {"dist": 0.0, "dist_ns": 0.0, "chars": 0.0, "chars_ns": 0.0}
             for name in readers}
    times: dict[str, list[float]] = {name: [] for name in readers}
    for page in pages:
        for name, read in readers.items():  # interleaved: load swings hit both alike
            start = time.perf_counter()
            lines = read(page.image)
            times[name].append(time.perf_counter() - start)
            d, n = char_accuracy(lines, page.lines)
            d_ns, n_ns = char_accuracy(lines, page.lines, spaces=False)
            s = stats[name]
            s["dist"] += d
            s["chars"] += n
            s["dist_ns"] += d_ns
            s["chars_ns"] += n_ns
    return {
        name: {
            "accuracy": 1 - s["dist"] / s["chars"],
            "accuracy_no_spaces": 1 - s["dist_ns"] / s["chars_ns"],
            "median_ms": 1000 * statistics.median(times[name]),
        }
        for name, s in stats.items()
    }


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--pages", type=int, default=40)
    args = parser.parse_args(argv)
    pages = make_pages(args.pages)
    readers = {"opgraph": ours()}
    other = peer()
    if other is not None:
        readers["rapidocr"] = other
    for read in readers.values():
        read(pages[0].image)  # warm-up: sessions and first allocations
    result = measure(pages, readers)
    chars = sum(len("\n".join(p.lines)) for p in pages)
    print(f"{len(pages)} pages, {chars} characters, fonts {len(FONTS)}, sizes {SIZES}, "
          f"rotation +-3 deg, noise sigma 8; load average {os.getloadavg()[0]:.2f}")
    print("| reader | characters right | without spaces | median ms / page | goal |")
    print("|---|---:|---:|---:|---|")
    for name, r in result.items():
        print(f"| {name} | {100 * r['accuracy']:.2f}% | {100 * r['accuracy_no_spaces']:.2f}% "
              f"| {r['median_ms']:.0f} | >= 95% |")


if __name__ == "__main__":
    main()

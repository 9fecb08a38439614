"""``image-color-recognizer``: dominant colours with their W3C names and proportions."""

from __future__ import annotations

from typing import Any, ClassVar

import numpy as np
from pydantic import Field

from engine import BaseParams, Color, Context, Data, Operator, register

__all__ = ["ImageColorRecognizer"]

# The 140 CSS / W3C named colours.  Where two names share a value (Aqua and Cyan, Fuchsia and
# Magenta) the first one listed wins.
_W3C_TABLE = """
AliceBlue f0f8ff AntiqueWhite faebd7 Aqua 00ffff Aquamarine 7fffd4 Azure f0ffff Beige f5f5dc
Bisque ffe4c4 Black 000000 BlanchedAlmond ffebcd Blue 0000ff BlueViolet 8a2be2 Brown a52a2a
BurlyWood deb887 CadetBlue 5f9ea0 Chartreuse 7fff00 Chocolate d2691e Coral ff7f50
CornflowerBlue 6495ed Cornsilk fff8dc Crimson dc143c Cyan 00ffff DarkBlue 00008b
DarkCyan 008b8b DarkGoldenRod b8860b DarkGray a9a9a9 DarkGreen 006400 DarkKhaki bdb76b
DarkMagenta 8b008b DarkOliveGreen 556b2f DarkOrange ff8c00 DarkOrchid 9932cc DarkRed 8b0000
DarkSalmon e9967a DarkSeaGreen 8fbc8f DarkSlateBlue 483d8b DarkSlateGray 2f4f4f
DarkTurquoise 00ced1 DarkViolet 9400d3 DeepPink ff1493 DeepSkyBlue 00bfff DimGray 696969
DodgerBlue 1e90ff FireBrick b22222 FloralWhite fffaf0 ForestGreen 228b22 Fuchsia ff00ff
Gainsboro dcdcdc GhostWhite f8f8ff Gold ffd700 GoldenRod daa520 Gray 808080 Green 008000
GreenYellow adff2f HoneyDew f0fff0 HotPink ff69b4 IndianRed cd5c5c Indigo 4b0082 Ivory fffff0
Khaki f0e68c Lavender e6e6fa LavenderBlush fff0f5 LawnGreen 7cfc00 LemonChiffon fffacd
LightBlue add8e6 LightCoral f08080 LightCyan e0ffff LightGoldenRodYellow fafad2
LightGray d3d3d3 LightGreen 90ee90 LightPink ffb6c1 LightSalmon ffa07a LightSeaGreen 20b2aa
LightSkyBlue 87cefa LightSlateGray 778899 LightSteelBlue b0c4de LightYellow ffffe0 Lime 00ff00
LimeGreen 32cd32 Linen faf0e6 Magenta ff00ff Maroon 800000 MediumAquaMarine 66cdaa
MediumBlue 0000cd MediumOrchid ba55d3 MediumPurple 9370db MediumSeaGreen 3cb371
MediumSlateBlue 7b68ee MediumSpringGreen 00fa9a MediumTurquoise 48d1cc MediumVioletRed c71585
MidnightBlue 191970 MintCream f5fffa MistyRose ffe4e1 Moccasin ffe4b5 NavajoWhite ffdead
Navy 000080 OldLace fdf5e6 Olive 808000 OliveDrab 6b8e23 Orange ffa500 OrangeRed ff4500
Orchid da70d6 PaleGoldenRod eee8aa PaleGreen 98fb98 PaleTurquoise afeeee PaleVioletRed db7093
PapayaWhip ffefd5 PeachPuff ffdab9 Peru cd853f Pink ffc0cb Plum dda0dd PowderBlue b0e0e6
Purple 800080 Red ff0000 RosyBrown bc8f8f RoyalBlue 4169e1 SaddleBrown 8b4513 Salmon fa8072
SandyBrown f4a460 SeaGreen 2e8b57 SeaShell fff5ee Sienna a0522d Silver c0c0c0 SkyBlue 87ceeb
SlateBlue 6a5acd SlateGray 708090 Snow fffafa SpringGreen 00ff7f SteelBlue 4682b4 Tan d2b48c
Teal 008080 Thistle d8bfd8 Tomato ff6347 Turquoise 40e0d0 Violet ee82ee Wheat f5deb3
White ffffff WhiteSmoke f5f5f5 Yellow ffff00 YellowGreen 9acd32
""".split()
W3C_NAMES: tuple[str, ...] = tuple(_W3C_TABLE[0::2])
W3C_HEX: tuple[str, ...] = tuple(f"#{h}" for h in _W3C_TABLE[1::2])
# k-means runs on the image shrunk to at most this many pixels a side: colour proportions
# barely move, and the cost stays flat whatever the input size
_MAX_SIDE = 96


def _hex_to_bgr(hexes: tuple[str, ...]) -> np.ndarray:
    rgb = np.array([[int(h[i : i + 2], 16) for i in (1, 3, 5)] for h in hexes], np.float32)
    return rgb[:, ::-1].copy()


@register
class ImageColorRecognizer(Operator):
    """The dominant colours of the image, each with its nearest W3C colour name.

    Clusters the pixels (k-means in CIE Lab, on a thumbnail), names every cluster after the
    nearest of the 140 W3C/CSS named colours in Lab, merges clusters that get the same name
    and drops those covering less than ``min_value`` of the image.  Reads the image; writes
    ``colors``: ``raw_hex`` (the cluster's mean colour), ``w3c {hex, name}`` and ``value``
    (its share of the pixels), largest first.
    """

    type_id = "image-color-recognizer"

    class Params(BaseParams):
        max_colors: int = Field(
            8, ge=1, le=32, description="number of k-means clusters: the most colours reported"
        )
        min_value: float = Field(
            0.01, ge=0, le=1, description="colours covering less of the image are left out"
        )

    reads: ClassVar[tuple[str, ...]] = ("image",)
    writes: ClassVar[tuple[str, ...]] = ("colors",)

    def __init__(self, params: Params) -> None:
        import cv2

        super().__init__(params)
        self._cv2: Any = cv2
        self._k = params.max_colors
        self._min_value = params.min_value
        self._w3c_lab = self._to_lab(_hex_to_bgr(W3C_HEX))

    def _to_lab(self, bgr: np.ndarray) -> np.ndarray:
        """(N, 3) BGR in 0..255 -> (N, 3) float Lab (L 0..100)."""
        px = (np.asarray(bgr, np.float32) / 255.0).reshape(-1, 1, 3)
        lab: np.ndarray = self._cv2.cvtColor(px, self._cv2.COLOR_BGR2Lab)
        return lab.reshape(-1, 3)

    def _to_bgr(self, lab: np.ndarray) -> np.ndarray:
        px = lab.astype(np.float32).reshape(-1, 1, 3)
        bgr: np.ndarray = self._cv2.cvtColor(px, self._cv2.COLOR_Lab2BGR)
        out: np.ndarray = np.clip(np.rint(bgr.reshape(-1, 3) * 255), 0, 255)
        return out

    def process(self, data: Data, ctx: Context) -> Data | None:
        bgr = self._thumbnail(ctx.image(data))
        packed = (bgr[:, 0].astype(np.int32) << 16) | (bgr[:, 1].astype(np.int32) << 8) | bgr[:, 2]
        distinct = len(np.unique(packed))
        centres, shares = self._cluster(self._to_lab(bgr), min(self._k, distinct))
        names = np.argmin(((centres[:, None, :] - self._w3c_lab[None]) ** 2).sum(-1), axis=1)
        colors = []
        for name in np.unique(names):
            mine = names == name
            value = float(shares[mine].sum())
            if value < self._min_value:
                continue
            mean_lab = (centres[mine] * shares[mine, None]).sum(0) / value
            colors.append(
                Color.model_validate(
                    {
                        "raw_hex": _hex(self._to_bgr(mean_lab)[0]),
                        "w3c": {"hex": W3C_HEX[name], "name": W3C_NAMES[name]},
                        "value": value,
                    }
                )
            )
        colors.sort(key=lambda c: -c.value)
        return data.model_copy(update={"colors": colors})

    def _thumbnail(self, img: np.ndarray) -> np.ndarray:
        cv2 = self._cv2
        if img.ndim == 2 or img.shape[2] == 1:
            img = cv2.cvtColor(img, cv2.COLOR_GRAY2BGR)
        elif img.shape[2] == 4:
            img = cv2.cvtColor(img, cv2.COLOR_BGRA2BGR)
        h, w = img.shape[:2]
        scale = _MAX_SIDE / max(h, w)
        if scale < 1:
            # nearest neighbour, not area averaging: averaging would invent edge colours
            size = (max(1, round(w * scale)), max(1, round(h * scale)))
            img = cv2.resize(img, size, interpolation=cv2.INTER_NEAREST)
        return img.reshape(-1, 3)

    def _cluster(self, lab: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
        """Cluster centres (Lab) and the share of pixels in each, empty clusters dropped."""
        if k < 2:  # one distinct colour (or one pixel): it is the only cluster
            return lab[:1], np.ones(1)
        cv2 = self._cv2
        criteria = (cv2.TERM_CRITERIA_EPS + cv2.TERM_CRITERIA_MAX_ITER, 20, 0.5)
        # k-means++ seeded by a local generator, handed over as initial labels: the same
        # image always gives the same colours, without resetting OpenCV's process-wide RNG
        labels = _kmeans_pp_labels(lab, k).reshape(-1, 1)
        flags = cv2.KMEANS_USE_INITIAL_LABELS
        _, labels, centres = cv2.kmeans(lab, k, labels, criteria, 1, flags)
        counts = np.bincount(labels.ravel(), minlength=k)
        keep = counts > 0
        return centres[keep], counts[keep] / len(lab)


def _kmeans_pp_labels(points: np.ndarray, k: int) -> np.ndarray:
    """Nearest-centre labels for k-means++ centres drawn with a fixed local seed."""
    rng = np.random.default_rng(0)
    pts = points.astype(np.float64)
    chosen = [int(rng.integers(len(pts)))]
    d2 = ((pts - pts[chosen[0]]) ** 2).sum(1)
    for _ in range(k - 1):
        total = float(d2.sum())
        pick = rng.choice(len(pts), p=d2 / total) if total > 0 else rng.integers(len(pts))
        chosen.append(int(pick))
        d2 = np.minimum(d2, ((pts - pts[chosen[-1]]) ** 2).sum(1))
    dist = ((pts[:, None, :] - pts[chosen][None]) ** 2).sum(-1)
    labels: np.ndarray = dist.argmin(1).astype(np.int32)
    return labels

def _hex(bgr: np.ndarray) -> str:
    b, g, r = (int(v) for v in bgr)
    return f"#{r:02x}{g:02x}{b:02x}"

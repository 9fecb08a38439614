"""In-memory vector search: exact cosine in numpy, an IVF index (faiss) above a size.

Vectors are unit length, so cosine is the inner product.  They live in one contiguous
float32 matrix, loaded once and grown geometrically as inputs are added, so an exact
query is a single matrix-vector product (BLAS ``sgemv``, bound by memory bandwidth)
plus ``argpartition``: there is no per-vector Python work at any size.

Above ``ann_threshold`` vectors (and when faiss is installed: ``pip install
'opgraph[ann]'``) unfiltered queries go to a faiss ``IndexIVFFlat``.  It was chosen by
measurement on this class of machine (see benchmarks/README.md): HNSW builds took many
minutes at a million vectors, IVF trains on a sample in seconds.  Its ``nprobe`` is
calibrated at build time on a sample of the stored vectors until recall@10 against exact
search reaches ``target_recall``, so the speed/recall trade follows the data.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

__all__ = ["DEFAULT_ANN_THRESHOLD", "VectorIndex", "faiss_available", "top_k"]

DEFAULT_ANN_THRESHOLD = 200_000
_CALIBRATION_QUERIES = 200
_CALIBRATION_K = 10


class VectorIndex:
    """Unit vectors by input id; ``search`` returns (id, cosine) pairs, best first."""

    def __init__(
        self,
        *,
        ann_threshold: int = DEFAULT_ANN_THRESHOLD,
        target_recall: float = 0.98,
    ) -> None:
        self.ann_threshold = ann_threshold
        self.target_recall = target_recall
        self._matrix = np.empty((0, 0), dtype=np.float32)
        self._n = 0
        self.ids: list[str] = []
        self._row_of: dict[str, int] = {}
        self._ann: _IvfIndex | None = None

    def __len__(self) -> int:
        return self._n

    @property
    def dim(self) -> int:
        return int(self._matrix.shape[1])

    @property
    def uses_ann(self) -> bool:
        return self._ann is not None

    def add(self, ids: Sequence[str], vectors: np.ndarray) -> None:
        """Append rows; an id added again points at its newest vector."""
        if not len(ids):
            return
        vectors = np.ascontiguousarray(vectors, dtype=np.float32).reshape(len(ids), -1)
        if self._n and vectors.shape[1] != self.dim:
            raise ValueError(f"vectors of length {vectors.shape[1]} in an index of {self.dim}")
        self._reserve(self._n + len(ids), vectors.shape[1])
        self._matrix[self._n : self._n + len(ids)] = vectors
        for i, input_id in enumerate(ids, start=self._n):
            self._row_of[input_id] = i
        self.ids.extend(ids)
        self._n += len(ids)
        if self._ann is not None:
            self._ann.add(vectors)

    def _reserve(self, rows: int, dim: int) -> None:
        if rows <= self._matrix.shape[0]:
            return
        # grow by half again, not to the exact size: appends stay amortised O(1)
        capacity = max(rows, int(self._matrix.shape[0] * 1.5), 1024)
        grown = np.empty((capacity, dim), dtype=np.float32)
        if self._n:
            grown[: self._n] = self._matrix[: self._n]
        self._matrix = grown

    def vector_of(self, input_id: str) -> np.ndarray | None:
        row = self._row_of.get(input_id)
        return None if row is None else self._matrix[row].copy()

    def search(
        self,
        query: np.ndarray,
        k: int,
        candidates: Sequence[str] | None = None,
        *,
        exact: bool = False,
    ) -> list[tuple[str, float]]:
        """The ``k`` nearest stored vectors to ``query`` (among ``candidates`` if given)."""
        if self._n == 0 or k <= 0:
            return []
        q = np.ascontiguousarray(query, dtype=np.float32).reshape(-1)
        if q.size != self.dim:
            raise ValueError(f"query of length {q.size} against vectors of length {self.dim}")
        if candidates is not None:
            return self._search_subset(q, k, candidates)
        if not exact and self._n >= self.ann_threshold and self._ensure_ann():
            assert self._ann is not None
            rows, _ = self._ann.search(q, k)
            rows = rows[rows >= 0]
        else:
            rows = top_k(self._matrix[: self._n] @ q, k)
        return self._rescored(rows, q)

    def _rescored(self, rows: np.ndarray, q: np.ndarray) -> list[tuple[str, float]]:
        """The chosen rows scored again in float64, best first.

        float32 products pick the rows fast, but their rounding shows in the scores a user
        sees; the few rows returned are scored again in float64."""
        exact = self._matrix[rows].astype(np.float64) @ q.astype(np.float64)
        order = np.argsort(-exact, kind="stable")
        return [(self.ids[rows[i]], float(exact[i])) for i in order]

    def _search_subset(
        self, q: np.ndarray, k: int, candidates: Sequence[str]
    ) -> list[tuple[str, float]]:
        rows = np.fromiter(
            (r for c in candidates if (r := self._row_of.get(c)) is not None), dtype=np.int64
        )
        if rows.size == 0:
            return []
        rows = np.unique(rows)
        # a big subset is cheaper scored in place than gathered into a copy first
        scores = (
            (self._matrix[: self._n] @ q)[rows]
            if rows.size * 4 > self._n
            else (self._matrix[rows] @ q)
        )
        return self._rescored(rows[top_k(scores, k)], q)

    def _ensure_ann(self) -> bool:
        if self._ann is None and faiss_available():
            self._ann = _IvfIndex(self._matrix[: self._n], self.target_recall)
        return self._ann is not None


def top_k(scores: np.ndarray, k: int) -> np.ndarray:
    """Indices of the ``k`` largest scores, largest first (argpartition, then a small sort)."""
    if k >= scores.size:
        return np.argsort(-scores, kind="stable")
    part = np.argpartition(-scores, k - 1)[:k]
    return part[np.argsort(-scores[part], kind="stable")]


def faiss_available() -> bool:
    try:
        import faiss  # noqa: F401
    except ImportError:
        return False
    return True


class _IvfIndex:
    """faiss ``IndexIVFFlat`` (inner product) with ``nprobe`` calibrated on the data."""

    def __init__(self, matrix: np.ndarray, target_recall: float) -> None:
        import faiss

        n, d = matrix.shape
        self.nlist = int(min(4096, max(16, round(2 * np.sqrt(n)))))
        quantizer = faiss.IndexFlatIP(d)
        self.index: Any = faiss.IndexIVFFlat(quantizer, d, self.nlist, faiss.METRIC_INNER_PRODUCT)
        self._quantizer = quantizer  # the IVF index does not own it from Python
        rng = np.random.default_rng(0)
        # 40 points per centroid is what k-means needs; more only slows training
        sample = matrix[np.sort(rng.choice(n, min(n, self.nlist * 40), replace=False))]
        self.index.train(sample)
        self.index.add(matrix)
        self.nprobe = self._calibrate(matrix, target_recall, rng)
        self.index.nprobe = self.nprobe

    def _calibrate(self, matrix: np.ndarray, target: float, rng: np.random.Generator) -> int:
        """The smallest power-of-two nprobe whose recall@10 on stored vectors meets target."""
        n = matrix.shape[0]
        picks = rng.choice(n, min(n, _CALIBRATION_QUERIES), replace=False)
        queries = np.ascontiguousarray(matrix[picks])
        k = min(_CALIBRATION_K + 1, n)
        truth: list[set[int]] = []
        for start in range(0, len(picks), 16):  # 16 queries at a time bounds the memory
            scores = queries[start : start + 16] @ matrix.T
            for row, p in zip(scores, picks[start : start + 16], strict=True):
                truth.append(set(top_k(row, k).tolist()) - {int(p)})
        nprobe = 1
        while nprobe < self.nlist:
            self.index.nprobe = nprobe
            _, found = self.index.search(queries, k)
            hits = sum(len(t & set(f.tolist())) for t, f in zip(truth, found, strict=True))
            if hits / max(1, sum(len(t) for t in truth)) >= target:
                return nprobe
            nprobe *= 2
        return self.nlist

    def add(self, vectors: np.ndarray) -> None:
        self.index.add(vectors)

    def search(self, q: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
        scores, rows = self.index.search(q.reshape(1, -1), k)
        return rows[0], scores[0]

"""In-memory vector search: exact cosine in numpy, an IVF index (faiss) above a size.

Vectors are unit length, so cosine is the inner product.  They live in float32 blocks of
65,536 rows, loaded once and appended to as inputs are added (never copied), so an exact
query is one matrix-vector product per block (bound by memory bandwidth, so computed in
one thread) plus ``argpartition``: there is no per-vector Python work at any size.  The scores a hit
reports are recomputed in float64 for the few rows returned.

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
_BLOCK_ROWS = 1 << 16
_CALIBRATION_QUERIES = 200
_CALIBRATION_K = 10


class VectorIndex:
    """Unit vectors, one row per input or region; ``search`` gives (id, cosine), best first.

    Rows live in fixed-size blocks, so appending never copies the rows already loaded
    (the first search after an add costs the new rows only).  Each row carries its input's
    id and ``seq`` and, for a region vector, the region's JSON; ``drop`` hides the rows of
    deleted inputs.  ``scores`` / ``best`` are the primitives a search composes (several
    ranks, filter masks); ``search`` is the one-query shortcut.
    """

    def __init__(
        self,
        *,
        ann_threshold: int = DEFAULT_ANN_THRESHOLD,
        target_recall: float = 0.98,
        block_rows: int = _BLOCK_ROWS,
    ) -> None:
        self.ann_threshold = ann_threshold
        self.target_recall = target_recall
        self._block_rows = block_rows
        self._blocks: list[np.ndarray] = []
        self._dim = 0
        self._n = 0
        self.ids: list[str] = []
        self.regions: list[str | None] = []
        self._seqs = np.empty(0, dtype=np.int64)
        self._alive = np.empty(0, dtype=bool)
        self._dead = 0
        self._row_of: dict[str, int] = {}  # input id -> its input-level row (else first)
        self._ann: _IvfIndex | None = None

    def __len__(self) -> int:
        return self._n

    @property
    def dim(self) -> int:
        return self._dim

    @property
    def uses_ann(self) -> bool:
        return self._ann is not None

    @property
    def seqs(self) -> np.ndarray:
        return self._seqs[: self._n]

    @property
    def alive(self) -> np.ndarray:
        return self._alive[: self._n]

    def add(
        self,
        ids: Sequence[str],
        vectors: np.ndarray,
        *,
        seqs: np.ndarray | None = None,
        regions: Sequence[str | None] | None = None,
    ) -> None:
        """Append rows; an input id added again points at its newest input-level row."""
        m = len(ids)
        if not m:
            return
        vectors = np.ascontiguousarray(vectors, dtype=np.float32).reshape(m, -1)
        if self._n and vectors.shape[1] != self.dim:
            raise ValueError(f"vectors of length {vectors.shape[1]} in an index of {self.dim}")
        self._dim = vectors.shape[1]
        self._append_rows(vectors)
        regions = list(regions) if regions is not None else [None] * m
        given = np.arange(self._n, self._n + m) if seqs is None else np.asarray(seqs)
        self._seqs = _grow(self._seqs, self._n + m)
        self._alive = _grow(self._alive, self._n + m)
        self._seqs[self._n : self._n + m] = given
        self._alive[self._n : self._n + m] = True
        for row, (input_id, region) in enumerate(zip(ids, regions, strict=True), self._n):
            if region is None or input_id not in self._row_of:
                self._row_of[input_id] = row
        self.ids.extend(ids)
        self.regions.extend(regions)
        self._n += m
        if self._ann is not None:
            self._ann.add(vectors)

    def _append_rows(self, vectors: np.ndarray) -> None:
        pos = 0
        while pos < len(vectors):
            filled = self._n + pos - (len(self._blocks) - 1) * self._block_rows
            if not self._blocks or filled >= self._block_rows:
                # np.empty reserves address space; pages are only touched as rows are written
                self._blocks.append(np.empty((self._block_rows, self._dim), dtype=np.float32))
                filled = 0
            take = min(self._block_rows - filled, len(vectors) - pos)
            self._blocks[-1][filled : filled + take] = vectors[pos : pos + take]
            pos += take

    def drop(self, seqs: np.ndarray) -> None:
        """Hide the rows of these inputs (deleted) from every later search."""
        if self._n and len(seqs):
            hit = np.isin(self._seqs[: self._n], seqs) & self._alive[: self._n]
            self._alive[: self._n][hit] = False
            self._dead += int(hit.sum())

    def vector_of(self, input_id: str) -> np.ndarray | None:
        row = self._row_of.get(input_id)
        if row is None or not self._alive[row]:
            return None
        vector: np.ndarray = self._block_of(row)[row % self._block_rows].copy()
        return vector

    def _block_of(self, row: int) -> np.ndarray:
        return self._blocks[row // self._block_rows]

    def _check(self, query: np.ndarray) -> np.ndarray:
        q = np.ascontiguousarray(query, dtype=np.float32).reshape(-1)
        if q.size != self.dim:
            raise ValueError(f"query of length {q.size} against vectors of length {self.dim}")
        return q

    def scores(self, query: np.ndarray, rows: np.ndarray | None = None) -> np.ndarray:
        """Cosine (float32) of ``query`` with every row (one BLAS product per block), or
        with ``rows`` only (sorted row numbers, gathered per block)."""
        q = self._check(query)
        parts = []
        for b, block in enumerate(self._blocks):
            first = b * self._block_rows
            if rows is None:
                parts.append(_matvec(block[: min(self._block_rows, self._n - first)], q))
                continue
            lo, hi = np.searchsorted(rows, (first, first + self._block_rows))
            if hi > lo:
                parts.append(_matvec(block[rows[lo:hi] - first], q))
        return np.concatenate(parts) if parts else np.empty(0, dtype=np.float32)

    def exact(self, rows: np.ndarray, query: np.ndarray) -> np.ndarray:
        """Cosine of ``query`` with ``rows``, in float64 (the scores hits report)."""
        q = self._check(query).astype(np.float64)
        rows = np.asarray(rows, dtype=np.int64)
        out = np.empty(len(rows), dtype=np.float64)
        blocks = rows // self._block_rows
        for b in np.unique(blocks).tolist():
            sel = blocks == b
            out[sel] = self._blocks[b][rows[sel] % self._block_rows].astype(np.float64) @ q
        return out

    def best(self, scores: np.ndarray, k: int, mask: np.ndarray | None = None) -> np.ndarray:
        """Rows of the ``k`` best ``scores`` among live rows (and ``mask``), best first."""
        keep = self.alive if mask is None else (mask & self.alive)
        if keep.all():
            return top_k(scores, k)
        rows: np.ndarray = np.flatnonzero(keep)
        picked: np.ndarray = rows[top_k(scores[rows], k)]
        return picked

    def ann_rows(self, query: np.ndarray, k: int) -> np.ndarray | None:
        """Rows from the IVF index when it applies (big, nothing deleted), else None."""
        if self._n < self.ann_threshold or self._dead or not self._ensure_ann():
            return None
        assert self._ann is not None
        rows, _ = self._ann.search(self._check(query), k)
        return rows[rows >= 0]

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
        q = self._check(query)
        rows = None if exact or candidates is not None else self.ann_rows(q, k)
        if rows is None:
            mask = None
            if candidates is not None:
                mask = np.zeros(self._n, dtype=bool)
                mask[[r for c in candidates if (r := self._row_of.get(c)) is not None]] = True
            rows = self.best(self.scores(q), k, mask)
        # float32 picks the rows fast; the scores a user sees are float64, and so is their order
        cosine = self.exact(rows, q)
        order = np.argsort(-cosine, kind="stable")
        return [(self.ids[rows[i]], float(cosine[i])) for i in order]

    def matrix(self) -> np.ndarray:
        """Every row in one array (a copy; for building the IVF index)."""
        parts = [
            block[: min(self._block_rows, self._n - b * self._block_rows)]
            for b, block in enumerate(self._blocks)
        ]
        return np.concatenate(parts) if parts else np.empty((0, self._dim), dtype=np.float32)

    def _ensure_ann(self) -> bool:
        if self._ann is None and faiss_available():
            self._ann = _IvfIndex(self.matrix(), self.target_recall)
        return self._ann is not None


def _matvec(matrix: np.ndarray, q: np.ndarray) -> np.ndarray:
    """``matrix @ q`` in one thread: a matrix-vector product is bound by memory bandwidth,
    and BLAS's worker threads only add hand-off waits (2-40x slower on a busy machine)."""
    out: np.ndarray = np.einsum("ij,j->i", matrix, q)
    return out


def _grow(array: np.ndarray, rows: int) -> np.ndarray:
    """``array`` with room for ``rows`` (by half again: appends stay amortised O(1))."""
    if rows <= len(array):
        return array
    grown = np.empty(max(rows, int(len(array) * 1.5), 1024), dtype=array.dtype)
    grown[: len(array)] = array
    return grown


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

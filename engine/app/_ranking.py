"""Scoring for ranked search: Clarifai's [0, 1] scores, several ranks combined, masks.

A vector rank scores every row of the index (an input, or a region the base workflow
embedded) with the metric: cosine gives ``(1 + cos) / 2`` (0.5 unrelated, 1.0 the same
embedding); euclidean gives ``1 - d / 2`` for the distance ``d`` of the unit vectors (the
same order, 0 for opposite vectors).  A concept rank scores an input with the concept's
best value (predicted or labelled), and keeps only inputs holding it (or, for value 0,
not holding it).  Several ranks: an input must be kept by each, and its score is the mean;
``negate`` turns a rank's score ``s`` into ``1 - s``.  Candidate rows are picked on float32
sums; the scores reported are recomputed in float64 for the rows returned and clamped.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from engine.query import ConceptTerm, Rank
from engine.store.index import VectorIndex, top_k

__all__ = ["ConceptScores", "RankedRows", "metric_score", "rank_rows", "seq_mask"]


@dataclass
class ConceptScores:
    """One concept term over inputs: seqs holding it and their best value."""

    term: ConceptTerm
    seqs: np.ndarray
    values: np.ndarray


@dataclass
class RankedRows:
    rows: np.ndarray  # index rows, best first
    scores: np.ndarray  # float64 in [0, 1]


def metric_score(cosine: np.ndarray, metric: str) -> np.ndarray:
    """Clarifai's [0, 1] score from cosine similarity (same dtype in and out)."""
    if metric == "euclidean":
        distance = np.sqrt(np.maximum(0.0, 2.0 - 2.0 * cosine))
        return np.clip(1.0 - distance / 2.0, 0.0, 1.0)
    return np.clip((1.0 + cosine) / 2.0, 0.0, 1.0)


def seq_mask(seqs: np.ndarray, allowed: np.ndarray) -> np.ndarray:
    """Which of ``seqs`` are in ``allowed`` (both int64): a dense lookup table, O(n)."""
    if not len(seqs) or not len(allowed):
        return np.zeros(len(seqs), dtype=bool)
    table = np.zeros(int(max(seqs.max(), allowed.max())) + 1, dtype=bool)
    table[allowed] = True
    found: np.ndarray = table[seqs]
    return found


def _term_scores(index: VectorIndex, cs: ConceptScores) -> tuple[np.ndarray, np.ndarray]:
    """(score per row, kept per row) of one concept term."""
    seqs = index.seqs
    value = np.zeros(len(seqs), dtype=np.float64)
    if len(cs.seqs):
        table = np.zeros(int(max(seqs.max(initial=0), cs.seqs.max())) + 1, dtype=np.float64)
        table[cs.seqs] = cs.values
        value = table[seqs]
    present = value > 0
    if cs.term.value:
        return value, present
    return 1.0 - value, ~present


def rank_rows(
    index: VectorIndex,
    ranks: list[tuple[Rank, np.ndarray | list[ConceptScores]]],
    *,
    metric: str,
    window: int,
    mask: np.ndarray | None,
    min_score: float,
) -> RankedRows:
    """The best ``window`` rows for the combined ranks (each a query vector or concepts)."""
    if len(ranks) == 1 and mask is None and not min_score:
        rank, query = ranks[0]
        # one plain vector rank over a big index: the IVF index (faiss) when it applies
        rows = (
            None
            if rank.negate or not isinstance(query, np.ndarray)
            else index.ann_rows(query, window)
        )
        if rows is not None:
            return RankedRows(rows, _exact(index, ranks, [], rows, metric, min_score))
    n = len(index)
    keep = index.alive.copy() if mask is None else (mask & index.alive)
    concept_parts: list[tuple[Rank, np.ndarray]] = []
    for rank, query in ranks:
        if not isinstance(query, np.ndarray):
            s64, kept = _concept_rank(index, query)
            keep &= kept
            concept_parts.append((rank, s64))
    # a selective filter: score only the rows it keeps (a gather beats a full product)
    cand = np.flatnonzero(keep) if int(keep.sum()) * 4 < n else None
    total = np.zeros(n if cand is None else len(cand), dtype=np.float32)
    concepts = iter(concept_parts)
    for rank, query in ranks:
        if isinstance(query, np.ndarray):
            s = metric_score(index.scores(query, cand), metric)
        else:
            s64 = next(concepts)[1]
            s = (s64 if cand is None else s64[cand]).astype(np.float32)
        total += (1.0 - s) if rank.negate else s
    total /= len(ranks)
    ok = keep if cand is None else np.ones(len(cand), dtype=bool)
    if min_score > 0:
        ok &= total >= np.float32(min_score) - np.float32(1e-6)
    local = np.flatnonzero(ok)
    picked = local[top_k(total[local], window)]
    rows = picked if cand is None else cand[picked]
    return RankedRows(rows, _exact(index, ranks, concept_parts, rows, metric, min_score))


def _concept_rank(index: VectorIndex, terms: list[ConceptScores]) -> tuple[np.ndarray, np.ndarray]:
    score = np.zeros(len(index), dtype=np.float64)
    keep = np.ones(len(index), dtype=bool)
    for cs in terms:
        s, kept = _term_scores(index, cs)
        score += s
        keep &= kept
    return score / max(1, len(terms)), keep


def _exact(
    index: VectorIndex,
    ranks: list[tuple[Rank, np.ndarray | list[ConceptScores]]],
    concept_parts: list[tuple[Rank, np.ndarray]],
    rows: np.ndarray,
    metric: str,
    min_score: float,
) -> np.ndarray:
    """The combined score of ``rows`` in float64, clamped to [0, 1]."""
    total = np.zeros(len(rows), dtype=np.float64)
    concepts = iter(concept_parts)
    for rank, query in ranks:
        if isinstance(query, np.ndarray):
            s = metric_score(index.exact(rows, query), metric)
        else:
            s = next(concepts)[1][rows]
        total += (1.0 - s) if rank.negate else s
    scores: np.ndarray = np.clip(total / len(ranks), 0.0, 1.0)
    return scores

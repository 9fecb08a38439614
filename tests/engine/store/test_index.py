"""VectorIndex: exact search equals brute force; subsets; growth; the faiss IVF path."""

from __future__ import annotations

import numpy as np
import pytest

from engine.store.index import VectorIndex, faiss_available, top_k


def _unit(n: int, dim: int = 16, seed: int = 0) -> np.ndarray:
    v = np.random.default_rng(seed).standard_normal((n, dim)).astype(np.float32)
    return v / np.linalg.norm(v, axis=1, keepdims=True)


@pytest.mark.parametrize(
    ("scores", "k", "expected"),
    [
        ([0.1, 0.9, 0.5], 2, [1, 2]),
        ([0.1, 0.9, 0.5], 5, [1, 2, 0]),
        ([0.3], 1, [0]),
        ([], 3, []),
    ],
)
def test_top_k(scores: list[float], k: int, expected: list[int]) -> None:
    assert top_k(np.array(scores, dtype=np.float32), k).tolist() == expected


def test_exact_search_matches_brute_force_best_first() -> None:
    vecs = _unit(500)
    index = VectorIndex()
    index.add([f"i{i}" for i in range(500)], vecs)
    q = _unit(1, seed=9)[0]
    got = index.search(q, 10)
    truth = np.argsort(-(vecs @ q))[:10]
    assert [g[0] for g in got] == [f"i{i}" for i in truth]
    assert [g[1] for g in got] == sorted((g[1] for g in got), reverse=True)


def test_growing_keeps_earlier_rows() -> None:
    index = VectorIndex()
    vecs = _unit(3000)
    for start in range(0, 3000, 700):  # several appends past the first capacity
        index.add([str(i) for i in range(start, min(start + 700, 3000))], vecs[start : start + 700])
    assert len(index) == 3000
    np.testing.assert_array_equal(index.vector_of("5"), vecs[5])
    assert index.search(vecs[2999], 1)[0][0] == "2999"


def test_candidates_restrict_the_search() -> None:
    vecs = _unit(100)
    index = VectorIndex()
    index.add([str(i) for i in range(100)], vecs)
    got = index.search(vecs[0], 3, candidates=["7", "8", "nope"])
    assert {g[0] for g in got} == {"7", "8"}
    assert index.search(vecs[0], 3, candidates=[]) == []


def test_empty_index_and_wrong_dimensions() -> None:
    index = VectorIndex()
    assert index.search(np.ones(4, np.float32), 5) == []
    index.add(["a"], _unit(1, dim=4))
    with pytest.raises(ValueError, match="length 3"):
        index.search(np.ones(3, np.float32), 1)
    with pytest.raises(ValueError, match="length 5"):
        index.add(["b"], _unit(1, dim=5))


@pytest.mark.skipif(not faiss_available(), reason="faiss is an optional extra")
def test_the_ann_path_is_used_above_the_threshold_and_keeps_recall() -> None:
    rng = np.random.default_rng(1)
    centres = rng.standard_normal((50, 32)).astype(np.float32)
    vecs = centres[rng.integers(0, 50, 5000)] + 0.3 * rng.standard_normal((5000, 32)).astype(
        np.float32
    )
    vecs /= np.linalg.norm(vecs, axis=1, keepdims=True)
    index = VectorIndex(ann_threshold=1000)
    index.add([str(i) for i in range(5000)], vecs)
    queries = vecs[:50] + 0.05 * rng.standard_normal((50, 32)).astype(np.float32)
    hits = 0
    for q in queries:
        exact = {g[0] for g in index.search(q, 10, exact=True)}
        hits += len(exact & {g[0] for g in index.search(q, 10)})
    assert index.uses_ann
    assert hits / 500 >= 0.95
    index.add(["new"], vecs[:1])  # appends reach the IVF index too
    assert "new" in {g[0] for g in index.search(vecs[0], 5)}


def test_returned_scores_are_exact_float64_products() -> None:
    vecs = _unit(50, seed=3)
    index = VectorIndex()
    index.add([str(i) for i in range(50)], vecs)
    exact = vecs.astype(np.float64) @ vecs[0].astype(np.float64)
    for candidates in (None, ["0", "1", "2"]):
        got = index.search(vecs[0], 3, candidates)
        assert [s for _, s in got] == pytest.approx([exact[int(i)] for i, _ in got], rel=1e-12)
        assert got[0][0] == "0"


def test_scores_of_chosen_rows_equal_the_full_product_across_blocks() -> None:
    vecs = _unit(700, seed=5)
    index = VectorIndex(block_rows=256)  # three blocks
    index.add([str(i) for i in range(700)], vecs, seqs=np.arange(700) + 10)
    q = vecs[3]
    full = index.scores(q)
    rows = np.array([0, 5, 255, 256, 600, 699])
    np.testing.assert_allclose(index.scores(q, rows), full[rows], rtol=1e-6)
    index.drop(np.array([13]))  # the input with seq 13 is row 3
    assert index.best(full, 1)[0] != 3 and index.vector_of("3") is None

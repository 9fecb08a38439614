"""Vector search: exact numpy vs faiss IndexFlatIP, and the IVF (ANN) path, in one run.

    .venv/bin/python benchmarks/search.py                 # 100,000 and 1,000,000 vectors
    .venv/bin/python benchmarks/search.py --sizes 100000  # a quick run
    .venv/bin/python benchmarks/search.py app             # app search: filters, adds (search_app)

The vectors are synthetic 384-d unit vectors with the structure of sentence embeddings:
a 48-d latent mixture (1,000 topic centres, each point its centre plus Gaussian spread)
mapped into 384-d by a fixed random matrix, plus full-rank noise.  Their similarity
profile matches real ones: a query's 1st/10th/100th neighbour sits at cosine about
0.83/0.79/0.58, an unrelated vector near 0.  Queries are fresh draws from the same
distribution (never stored vectors).  Uniform random vectors would be the wrong test:
they have no neighbourhoods, and no index finds their "nearest" cheaply.
Recall@10 is measured
against exact search on the same queries.  Needs ``faiss-cpu`` (``pip install
'opgraph[ann]'``); without it only the numpy rows are printed.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time

import numpy as np

from engine.store.index import VectorIndex, faiss_available, top_k

DIM = 384
LATENT = 48
CENTRES = 1000
SPREAD = 0.6  # a point's latent distance from its centre, against centres ~N(0, 1)
NOISE = 0.3  # full-rank noise, relative to the latent signal
QUERIES = 200
K = 10


class Distribution:
    """The synthetic embedding distribution (see the module docstring)."""

    def __init__(self, rng: np.random.Generator) -> None:
        self.rng = rng
        self.mix = rng.standard_normal((LATENT, DIM), dtype=np.float32) / np.sqrt(LATENT)
        self.centres = rng.standard_normal((CENTRES, LATENT), dtype=np.float32)

    def draw(self, n: int) -> np.ndarray:
        """``n`` unit vectors, built in chunks to bound peak memory."""
        out = np.empty((n, DIM), dtype=np.float32)
        for start in range(0, n, 100_000):
            m = min(100_000, n - start)
            z = self.centres[self.rng.integers(0, CENTRES, m)]
            z += SPREAD * self.rng.standard_normal((m, LATENT), dtype=np.float32)
            x = z @ self.mix
            x += (NOISE * np.sqrt(LATENT / DIM)) * self.rng.standard_normal(
                (m, DIM), dtype=np.float32
            )
            x /= np.linalg.norm(x, axis=1, keepdims=True)
            out[start : start + m] = x
        return out


def _p50_ms(fn: object, queries: np.ndarray) -> float:
    times = []
    for q in queries:
        t = time.perf_counter()
        fn(q)  # type: ignore[operator]
        times.append((time.perf_counter() - t) * 1000)
    return statistics.median(times)


def run(n: int, rng: np.random.Generator) -> None:
    dist = Distribution(rng)
    t = time.perf_counter()
    base = dist.draw(n)
    queries = dist.draw(QUERIES)
    print(f"\n== {n:,} vectors x {DIM} d (made in {time.perf_counter() - t:.1f} s)")
    index = VectorIndex(ann_threshold=n)
    index.add([str(i) for i in range(n)], base)
    truth = [top_k(base @ q, K) for q in queries]
    exact = _p50_ms(lambda q: index.search(q, K, exact=True), queries)
    print(f"numpy exact (VectorIndex, exact)  p50 {exact:7.2f} ms/query")
    if not faiss_available():
        print("faiss not installed: no faiss rows")
        return
    import faiss

    flat = faiss.IndexFlatIP(DIM)
    flat.add(base)
    faiss_flat = _p50_ms(lambda q: flat.search(q.reshape(1, -1), K), queries)
    print(f"faiss IndexFlatIP                 p50 {faiss_flat:7.2f} ms/query")
    flat.reset()  # free its copy before the IVF index makes one
    t = time.perf_counter()
    index.search(queries[0], K)  # builds and calibrates the IVF index
    build = time.perf_counter() - t
    ann = _p50_ms(lambda q: index.search(q, K), queries)
    found = [[int(i) for i, _ in index.search(q, K)] for q in queries]
    recall = np.mean([len(set(f) & set(t.tolist())) / K for f, t in zip(found, truth, strict=True)])
    ivf = index._ann
    assert ivf is not None
    print(
        f"faiss IVF (ANN path)              p50 {ann:7.2f} ms/query  recall@10 {recall:.3f}  "
        f"build {build:.1f} s  (nlist {ivf.nlist}, nprobe {ivf.nprobe})"
    )


def main() -> None:
    if sys.argv[1:2] == ["app"]:  # the app-level benchmark: filtered search, search after adds
        from search_app import main as app_main

        app_main(sys.argv[2:])
        return
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[100_000, 1_000_000])
    args = parser.parse_args()
    rng = np.random.default_rng(0)
    for n in args.sizes:
        run(n, rng)


if __name__ == "__main__":
    main()

"""The maths of the models an app trains on its embeddings: fit (scikit-learn), apply (numpy).

What a fit learns is a few named arrays (``coef``/``intercept`` for a classifier,
``centroids`` for a clusterer), which the store keeps as raw bytes: applying a stored
version needs numpy alone, never scikit-learn and never a pickle.

- ``embeddings-classifier``: logistic regression on unit-length embeddings.  Concepts that
  are not mutually exclusive get one binary model each (a sigmoid per concept, as
  Clarifai's multi-label classifiers score); mutually exclusive ones, one multinomial model
  (a softmax over the concepts).
- ``clusterer``: k-means (scikit-learn; faiss for large apps when installed); an input's
  cluster is its nearest centroid, scored by cosine mapped to [0, 1] as search scores are.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

__all__ = [
    "CLASSIFIER",
    "CLUSTERER",
    "Examples",
    "apply",
    "fit_classifier",
    "fit_clusterer",
]

CLASSIFIER = "embeddings-classifier"
CLUSTERER = "clusterer"


@dataclass
class Examples:
    """Training rows: unit vectors and, per concept, +1 (positive), -1 (negative) or 0."""

    vectors: np.ndarray  # (n, d) float32
    labels: np.ndarray  # (n, k) int8, one column per concept
    concepts: list[str]


def _sklearn() -> object:
    try:
        import sklearn
    except ImportError:
        raise ImportError(
            "training a model in an app needs scikit-learn: pip install 'opgraph[train]'"
        ) from None
    return sklearn


def fit_classifier(
    ex: Examples, *, mutually_exclusive: bool, c: float, max_iter: int
) -> dict[str, np.ndarray]:
    """Logistic regression per concept (or one softmax); ``ValueError`` naming what is
    missing when a concept has no positive or no negative example."""
    _sklearn()
    from sklearn.linear_model import LogisticRegression

    x = ex.vectors.astype(np.float64)
    if mutually_exclusive:
        return _fit_softmax(ex, x, c, max_iter)
    coef = np.zeros((len(ex.concepts), x.shape[1]))
    intercept = np.zeros(len(ex.concepts))
    for j, concept in enumerate(ex.concepts):
        rows = ex.labels[:, j] != 0
        y = ex.labels[rows, j] > 0
        _need_both(concept, int(y.sum()), int((~y).sum()))
        model = LogisticRegression(C=c, max_iter=max_iter, class_weight="balanced")
        model.fit(x[rows], y)
        coef[j], intercept[j] = model.coef_[0], model.intercept_[0]
    return {"coef": coef, "intercept": intercept, "softmax": np.zeros(1, dtype=np.int64)}


def _fit_softmax(ex: Examples, x: np.ndarray, c: float, max_iter: int) -> dict[str, np.ndarray]:
    from sklearn.linear_model import LogisticRegression

    positive = ex.labels > 0
    single = positive.sum(axis=1) == 1  # an example of exactly one of the concepts
    counts = positive[single].sum(axis=0)
    for concept, n in zip(ex.concepts, counts.tolist(), strict=True):
        if n == 0:
            raise ValueError(
                f"concept '{concept}' has no input labelled with it alone; mutually exclusive "
                "concepts need at least one example each"
            )
    if len(ex.concepts) < 2:
        raise ValueError("mutually exclusive concepts: give at least two concepts")
    y = positive[single].argmax(axis=1)
    model = LogisticRegression(C=c, max_iter=max_iter, class_weight="balanced")
    model.fit(x[single], y)
    coef, intercept = np.asarray(model.coef_), np.asarray(model.intercept_)
    if coef.shape[0] == 1:  # two classes: sklearn keeps one row; softmax([-z/2, z/2]) = sigmoid(z)
        coef, intercept = np.vstack([-coef / 2, coef / 2]), np.array([-1, 1]) * intercept[0] / 2
    return {"coef": coef, "intercept": intercept, "softmax": np.ones(1, dtype=np.int64)}


def _need_both(concept: str, positives: int, negatives: int) -> None:
    if positives == 0:
        raise ValueError(f"concept '{concept}' has no positive example (an input labelled with it)")
    if negatives == 0:
        raise ValueError(
            f"concept '{concept}' has no negative example: label some inputs with another of "
            f"the model's concepts, or with '{concept}' at value 0"
        )


def fit_clusterer(
    vectors: np.ndarray, *, n_clusters: int, seed: int, use_faiss: bool = False
) -> dict[str, np.ndarray]:
    """k-means centroids (unit length) of ``vectors``: scikit-learn's (10 initialisations),
    or faiss's (one pass over every vector, for large apps) with ``use_faiss``."""
    if len(vectors) < n_clusters:
        raise ValueError(
            f"{n_clusters} clusters need at least {n_clusters} embedded inputs; the app has "
            f"{len(vectors)}"
        )
    if use_faiss:
        import faiss

        x = np.ascontiguousarray(vectors, dtype=np.float32)
        kmeans = faiss.Kmeans(x.shape[1], n_clusters, niter=25, nredo=3, seed=seed)
        kmeans.train(x)
        return {"centroids": _unit_rows(np.asarray(kmeans.centroids, dtype=np.float64))}
    _sklearn()
    from sklearn.cluster import KMeans

    model = KMeans(n_clusters=n_clusters, n_init=10, random_state=seed)
    model.fit(vectors.astype(np.float64))
    return {"centroids": _unit_rows(np.asarray(model.cluster_centers_))}


def apply(arrays: dict[str, np.ndarray], vectors: np.ndarray) -> np.ndarray:
    """Scores (n, k) in [0, 1] of unit ``vectors`` against a stored version's arrays: per
    concept for a classifier, per cluster for a clusterer."""
    x = np.asarray(vectors, dtype=np.float64)
    if "centroids" in arrays:
        centroids = arrays["centroids"]
        _check_dim(centroids.shape[1], x.shape[1])
        scores: np.ndarray = np.clip((1.0 + x @ centroids.T) / 2.0, 0.0, 1.0)
        return scores
    coef, intercept = arrays["coef"], arrays["intercept"]
    _check_dim(coef.shape[1], x.shape[1])
    z = x @ coef.T + intercept
    if int(arrays["softmax"][0]):
        e = np.exp(z - z.max(axis=1, keepdims=True))
        softmax: np.ndarray = e / e.sum(axis=1, keepdims=True)
        return softmax
    sigmoid: np.ndarray = 1.0 / (1.0 + np.exp(-z))
    return sigmoid


def _check_dim(trained: int, given: int) -> None:
    if trained != given:
        raise ValueError(
            f"the model was trained on {trained}-dimensional embeddings but got {given}: "
            "feed it the embedder it was trained with (the app's base workflow)"
        )


def _unit_rows(m: np.ndarray) -> np.ndarray:
    norms = np.linalg.norm(m, axis=1, keepdims=True)
    return m / np.where(norms > 0, norms, 1.0)

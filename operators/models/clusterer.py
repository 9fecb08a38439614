"""``clusterer``: the cluster (k-means, trained in the app) an input's embedding falls in."""

from __future__ import annotations

from typing import ClassVar

from pydantic import Field

from engine import Context, Data, Operator, register
from operators.models._trained import TrainedParams, score_data

__all__ = ["Clusterer"]


@register
class Clusterer(Operator):
    """Names the cluster of the input's embedding, from k-means trained in the app.

    ``app.train_model(model_id, "clusterer", params={"n_clusters": k})`` (or ``opgraph app
    models train --type clusterer``) runs k-means on the base workflow's embeddings of the
    app's inputs; this node outputs the nearest centroid (``max_concepts`` nearest) as a
    concept ``cluster-<i>``, and in ``clusters`` as Clarifai's clusterers give it, scored by
    cosine mapped to [0, 1] (as search scores are), for
    the embedding it receives (an embedder upstream, each embedded region) or the base
    workflow's embedding of the input.  Runs only in the app.

    Reads ``embeddings``; writes ``clusters`` and ``concepts`` (or in each region).
    """

    type_id = "clusterer"
    uses_app = True  # reads or writes the App through ctx.app: never in worker processes

    class Params(TrainedParams):
        max_concepts: int = Field(1, ge=1, le=1000, description="the nearest clusters output")

    reads: ClassVar[tuple[str, ...]] = ("embeddings",)
    writes: ClassVar[tuple[str, ...]] = (
        "clusters",
        "concepts",
        "regions[].data.clusters",
        "regions[].data.concepts",
    )

    def __init__(self, params: Params) -> None:
        super().__init__(params)
        self.params: Clusterer.Params = params

    def process(self, data: Data, ctx: Context) -> Data | None:
        return score_data(data, ctx, self.params, clusters=True)

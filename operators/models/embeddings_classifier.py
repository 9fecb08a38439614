"""``embeddings-classifier``: concepts from a classifier trained in the app on its embeddings."""

from __future__ import annotations

from typing import ClassVar

from engine import Context, Data, Operator, register
from operators.models._trained import TrainedParams, score_data

__all__ = ["EmbeddingsClassifier"]


@register
class EmbeddingsClassifier(Operator):
    """Scores the input's concepts with a model trained in the app (transfer learning).

    ``app.train_model(model_id, concepts=[...])`` (or ``opgraph app models train``) fits a
    logistic regression on the base workflow's embeddings of the inputs labelled with
    those concepts; this node runs the node's ``model_id`` (the version it names, else the
    newest) on the embedding it receives from an embedder upstream, on each embedded
    region's, or on the base workflow's embedding of the input.  Each concept gets its own
    score in [0, 1] (a softmax over them when trained mutually exclusive), best first,
    filtered by ``min_value``, ``max_concepts`` and ``concepts``.  Runs only in the app.

    Reads ``embeddings``; writes ``concepts`` (or ``regions[].data.concepts``).
    """

    type_id = "embeddings-classifier"
    uses_app = True  # reads or writes the App through ctx.app: never in worker processes

    class Params(TrainedParams):
        pass

    reads: ClassVar[tuple[str, ...]] = ("embeddings",)
    writes: ClassVar[tuple[str, ...]] = ("concepts", "regions[].data.concepts")

    def __init__(self, params: Params) -> None:
        super().__init__(params)
        self.params: EmbeddingsClassifier.Params = params

    def process(self, data: Data, ctx: Context) -> Data | None:
        return score_data(data, ctx, self.params)

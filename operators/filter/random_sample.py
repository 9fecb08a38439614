"""``random-sample``: let an input through with probability ``keep_fraction``."""

from __future__ import annotations

import random
from typing import ClassVar

from pydantic import Field

from engine import BaseParams, Context, Data, Operator, register

__all__ = ["RandomSample"]


@register
class RandomSample(Operator):
    """Passes each input (or video frame) on when ``keep_fraction > rand()``, as Clarifai does.

    The draw is independent per input.  With a ``seed`` it is a pure function of the seed,
    the node id, the input's index in the batch and the frame index, so a re-run of the
    same batch keeps exactly the same inputs, whatever the order the executor runs them in.

    Reads anything; writes nothing (the Data passes through unchanged or not at all).
    """

    type_id = "random-sample"

    class Params(BaseParams):
        keep_fraction: float = Field(
            default=0.5, ge=0.0, le=1.0, description="fraction of inputs kept on average"
        )
        seed: int | None = Field(
            default=None, description="makes the sample reproducible; None draws fresh each run"
        )

    reads: ClassVar[tuple[str, ...]] = ()
    writes: ClassVar[tuple[str, ...]] = ("*",)  # "*": the Data passes through

    def __init__(self, params: Params) -> None:
        super().__init__(params)
        self._keep = params.keep_fraction
        self._seed = params.seed
        self._rng = random.Random()

    def _draw(self, ctx: Context) -> float:
        if self._seed is None:
            return self._rng.random()
        # A str seed goes through SHA-512 in random.seed: stable across processes and
        # unaffected by PYTHONHASHSEED, unlike hash() of a tuple.
        key = f"{self._seed}:{ctx.node_id}:{ctx.input_index}:{ctx.frame_index}"
        return random.Random(key).random()

    def process(self, data: Data, ctx: Context) -> Data | None:
        return data if self._keep > self._draw(ctx) else None

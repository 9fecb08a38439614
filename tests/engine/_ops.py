"""Tiny operators that exist only for the engine's own tests."""

from __future__ import annotations

from pydantic import Field

from engine import BaseParams, Concept, ConceptSpec, Context, Data, Operator, register


@register
class KeepAbove(Operator):
    """Keeps concepts at or above ``min_value``; stops the branch when none is left."""

    type_id = "test-keep-above"
    reads = ("concepts",)
    writes = ("concepts",)

    class Params(BaseParams):
        min_value: float = Field(0.5, ge=0, le=1, description="lowest value kept")
        concepts: list[ConceptSpec] = Field(default_factory=list)

    def process(self, data: Data, ctx: Context) -> Data | None:
        assert isinstance(self.params, KeepAbove.Params)
        keep = [c for c in data.concepts if c.value >= self.params.min_value]
        return data.model_copy(update={"concepts": keep}) if keep else None


@register
class Upper(Operator):
    """Upper-cases text; raises on text 'boom' to test per-input failures."""

    type_id = "test-upper"
    reads = ("text",)
    writes = ("text",)

    def process(self, data: Data, ctx: Context) -> Data | None:
        raw = data.text.raw if data.text else None
        if raw is None:
            raise ValueError("no text")
        if raw == "boom":
            raise RuntimeError("exploded")
        return Data(text=data.text.model_copy(update={"raw": raw.upper()}))


@register
class ImageSize(Operator):
    """Tags an image with its width as a concept value (reads the image)."""

    type_id = "test-image-size"
    reads = ("image",)
    writes = ("concepts",)

    def process(self, data: Data, ctx: Context) -> Data | None:
        return Data(concepts=[Concept(id="width", value=float(ctx.image(data).shape[1]))])


@register
class Counter(Operator):
    """Counts the frames/inputs of its stream in ctx.state (a stateful node)."""

    type_id = "test-counter"
    writes = ("metadata",)

    def process(self, data: Data, ctx: Context) -> Data | None:
        ctx.state["n"] = ctx.state.get("n", 0) + 1
        return Data(metadata={"n": ctx.state["n"], "stream": ctx.stream_id})


@register
class Tiles(Operator):
    """Splits the image into left and right halves as regions carrying their images."""

    type_id = "test-halves"
    reads = ("image",)
    writes = ("regions", "regions[].data.image")

    def process(self, data: Data, ctx: Context) -> Data | None:
        from engine import Image, Region

        assert data.image is not None
        pixels = data.image.array
        half = pixels.shape[1] // 2
        return Data(
            regions=[
                Region(data=Data(image=Image.from_array(pixels[:, :half]))),
                Region(data=Data(image=Image.from_array(pixels[:, half:]))),
            ]
        )


@register
class RegionConcepts(Operator):
    """Reads the concepts of regions (to check that per-region writes reach downstream)."""

    type_id = "test-region-concepts"
    reads = ("regions[].data.concepts",)
    writes = ("*",)

    def process(self, data: Data, ctx: Context) -> Data | None:
        return data


@register
class OddFramesOnly(Operator):
    """Stops the branch on even frames."""

    type_id = "test-odd-frames"
    writes = ("*",)

    def process(self, data: Data, ctx: Context) -> Data | None:
        return data if (ctx.frame_index or 0) % 2 else None


@register
class EveryFrameCounter(Counter):
    """A counter that sees every frame of a stream, even when its branch stopped."""

    type_id = "test-every-frame-counter"
    every_frame = True


@register
class FrameRate(Operator):
    """Reports the stream's sampled frame rate."""

    type_id = "test-frame-rate"
    writes = ("metadata",)

    def process(self, data: Data, ctx: Context) -> Data | None:
        return Data(metadata={"fps": ctx.frame_rate})


@register
class BrokenSetUp(Operator):
    """Fails while setting up, as a model whose runtime refuses its file would."""

    type_id = "test-broken-set-up"

    def __init__(self, params: BaseParams) -> None:
        raise RuntimeError("the runtime refused the model")


@register
class AnyModel(Operator):
    """Stands in for a model that a test's catalog binds: reads nothing, writes anything a
    model may write (the conformance corpus binds Clarifai's own model ids to it)."""

    type_id = "test-any-model"
    writes = ("image", "video", "text", "concepts", "regions", "embeddings", "frames", "metadata")

    def process(self, data: Data, ctx: Context) -> Data | None:
        return data


@register
class Usage(Operator):
    """Passes its input on with token counts in ``metadata.usage`` (``counts_tokens``)."""

    type_id = "test-usage"
    writes = ("metadata", "*")
    counts_tokens = True

    def process(self, data: Data, ctx: Context) -> Data | None:
        usage = {"prompt_tokens": 11, "completion_tokens": 4, "total_tokens": 15,
                 "cached_tokens": 8}
        return data.model_copy(update={"metadata": {**(data.metadata or {}), "usage": usage}})

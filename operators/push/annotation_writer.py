"""``annotation-writer``: store what reaches it as an annotation of the input, in the app."""

from __future__ import annotations

from typing import Any, ClassVar

from pydantic import Field, field_validator

from engine import (
    BaseParams,
    Context,
    Data,
    Frame,
    FrameInfo,
    InputError,
    JsonObject,
    Operator,
    Region,
    StatusCode,
    register,
)

__all__ = ["AnnotationWriter"]

_STATUSES = {
    StatusCode.ANNOTATION_SUCCESS,
    StatusCode.ANNOTATION_PENDING,
    StatusCode.ANNOTATION_AWAITING_REVIEW,
    StatusCode.ANNOTATION_AWAITING_CONSENSUS_REVIEW,
}


@register
class AnnotationWriter(Operator):
    """Writes the concepts and regions of its input as an annotation of the workflow input.

    The annotation gets ``annotation_status`` as if ``annotation_user_id`` had made it
    (ANNOTATION_SUCCESS 24150, ANNOTATION_PENDING 24151, ANNOTATION_AWAITING_REVIEW 24157,
    ANNOTATION_AWAITING_CONSENSUS_REVIEW 24159), with ``annotation_info`` and ``task_id``.
    It is written in one transaction, and there is one annotation per input, workflow and
    node: running the workflow again on the same input replaces it, never duplicates it.
    In a base workflow the write commits together with the input it annotates (Clarifai's
    auto-annotation); through ``app.predict`` it commits at once, and the input must be
    one the app stores (give its id).  Input without concepts or regions writes nothing.
    Outside an app it is an error.  On a video the annotation keeps every labelled frame as
    ``data.frames`` (Frame with its frame_info): the first labelled frame is written at once
    (so a bad input id fails that frame, as for an image), the whole set when the stream ends.

    Reads anything; writes nothing new (its input passes through).
    """

    type_id = "annotation-writer"
    uses_app = True  # reads or writes the App through ctx.app: never in worker processes

    class Params(BaseParams):
        annotation_status: int = Field(
            default=int(StatusCode.ANNOTATION_SUCCESS),
            description="status of the written annotation: 24150, 24151, 24157 or 24159",
        )
        annotation_user_id: str = Field(
            default="", description="the user the annotation is written as (empty: none)"
        )
        annotation_info: JsonObject = Field(
            default_factory=dict, description="free JSON stored with the annotation"
        )
        task_id: str = Field(default="", description="the labeling task the annotation is for")

        @field_validator("annotation_status", mode="before")
        @classmethod
        def _known_status(cls, value: Any) -> Any:
            if isinstance(value, str):  # a name such as "ANNOTATION_PENDING", or digits
                name = value.strip().upper()
                value = StatusCode[name] if name in StatusCode.__members__ else value
                value = int(value) if str(value).isdigit() else value
            if value not in _STATUSES:
                names = ", ".join(f"{s.name} {int(s)}" for s in sorted(_STATUSES))
                raise ValueError(f"annotation_status must be one of {names}")
            return int(value)

    reads: ClassVar[tuple[str, ...]] = ()
    writes: ClassVar[tuple[str, ...]] = ("*",)

    def process(self, data: Data, ctx: Context) -> Data | None:
        if ctx.app is None:
            raise InputError(
                "annotation-writer writes to an app: run the workflow with app.predict(...), "
                "as an app's base workflow, or with `opgraph run --app PATH`"
            )
        if not data.concepts and not data.regions:
            return data  # an annotation without labels would only clutter the app
        if ctx.frame_index is None:
            self._write(ctx, data)
            return data
        frames: list[Frame] = ctx.state.setdefault("frames", [])
        info = FrameInfo(index=ctx.frame_index, time=ctx.frame_time_ms or 0)
        labels = Data(concepts=data.concepts, regions=[_no_pixels(r) for r in data.regions])
        frames.append(Frame(frame_info=info, data=labels))
        if len(frames) == 1:
            self._write(ctx, Data(frames=frames))
        return data

    def close(self, ctx: Context) -> None:
        frames = ctx.state.get("frames", [])
        if len(frames) > 1:  # the first one was written when it came
            self._write(ctx, Data(frames=frames))

    def _write(self, ctx: Context, data: Data) -> None:
        p = self.params
        assert isinstance(p, AnnotationWriter.Params)
        ctx.app.write_annotation(
            ctx,
            data,
            status=p.annotation_status,
            user_id=p.annotation_user_id or None,
            task_id=p.task_id or None,
            annotation_info=p.annotation_info or None,
        )


def _no_pixels(region: Region) -> Region:
    """The region without its crop: the kept frames must not pin every frame's pixels."""
    if region.data is None or region.data.image is None:
        return region
    return region.model_copy(update={"data": region.data.model_copy(update={"image": None})})

"""``prompter``: put the input text into a prompt template."""

from __future__ import annotations

from typing import ClassVar

from pydantic import Field, field_validator

from engine import BaseParams, Context, Data, InputError, Operator, Text, register

__all__ = ["Prompter"]

_PLACEHOLDER = "{data.text.raw}"


@register
class Prompter(Operator):
    """Replaces every ``{data.text.raw}`` in ``prompt_template`` with the input's text.

    The substitution is plain text replacement, one pass over the template: nothing else
    in the template is interpreted (so ``{data.__class__}`` or ``{0}`` stay as written),
    and placeholders inside the input text are never expanded.  The output text is the
    prompt, ready for a text-to-text node.

    Reads ``text``; writes ``text`` (the rest of the Data passes through).
    """

    type_id = "prompter"

    class Params(BaseParams):
        prompt_template: str = Field(
            description=f"prompt text; every {_PLACEHOLDER} is replaced by the input text"
        )

        @field_validator("prompt_template")
        @classmethod
        def _has_placeholder(cls, value: str) -> str:
            if _PLACEHOLDER not in value:
                raise ValueError(f"prompt_template must contain {_PLACEHOLDER}")
            return value

    reads: ClassVar[tuple[str, ...]] = ("text",)
    writes: ClassVar[tuple[str, ...]] = ("text", "*")  # "*": the rest passes through

    def __init__(self, params: Params) -> None:
        super().__init__(params)
        # Split once: joining the parts around the input is the whole substitution.
        self._parts = params.prompt_template.split(_PLACEHOLDER)

    def process(self, data: Data, ctx: Context) -> Data | None:
        if data.text is None or data.text.raw is None:
            raise InputError("prompter needs text.raw; this input has no text")
        prompt = data.text.raw.join(self._parts)
        return data.model_copy(update={"text": Text(raw=prompt)})

"""An operator for the worker tests: its process dies on one input (a native crash's stand-in)."""

from __future__ import annotations

import os

from engine import Context, Data, Operator, register


@register
class ExitOnText(Operator):
    """Ends its whole process (``os._exit``) on the text 'die'; passes other inputs on."""

    type_id = "test-exit-on-text"
    reads = ("text",)
    writes = ("*",)

    def process(self, data: Data, ctx: Context) -> Data | None:
        if data.text is not None and data.text.raw == "die":
            os._exit(3)
        import cv2

        meta = {"pid": os.getpid(), "index": ctx.input_index, "threads": cv2.getNumThreads()}
        return Data(metadata=meta)

"""Progress bars with an ETA, on stderr, only where a person is watching.

A bar shows when stderr is a terminal, ``CI`` is unset and the command line did not ask for
quiet (``opgraph -q``); otherwise every call is a no-op, so results on stdout (JSON, JSONL,
CSV) and logs in a file are never mixed with bar redraws.  The bars are tqdm's.
"""

from __future__ import annotations

import os
import sys
from types import TracebackType
from typing import Any

__all__ = ["Bar", "set_quiet", "shown"]

_state = {"quiet": False}


def set_quiet(quiet: bool) -> None:
    """Turn every bar off (``opgraph -q``) or back on where a terminal shows them."""
    _state["quiet"] = quiet


def shown() -> bool:
    """Whether a bar would show now: stderr is a terminal, not CI, not quiet."""
    if _state["quiet"] or os.environ.get("CI"):
        return False
    isatty = getattr(sys.stderr, "isatty", None)
    return bool(isatty and isatty())


def _width() -> int:
    try:
        return os.get_terminal_size(sys.stderr.fileno()).columns
    except (OSError, ValueError, AttributeError):
        return 0


class Bar:
    """``with Bar(total, "frames") as bar: bar.update()``; ``total`` may be unknown (None)."""

    def __init__(
        self, total: float | None, desc: str, unit: str = "it", enabled: bool | None = None
    ) -> None:
        self.done: float = 0  # stays a whole number while updates are
        self._bar: Any = None
        if not (shown() if enabled is None else enabled):
            return
        from tqdm import tqdm

        self._bar = tqdm(
            total=total,
            desc=desc,
            unit=unit,
            file=sys.stderr,
            leave=True,
            # a terminal that reports no width (0) would get an empty bar: 80 columns then
            ncols=None if _width() else 80,
            mininterval=0.2,
        )

    @property
    def enabled(self) -> bool:
        return self._bar is not None

    def set_total(self, total: float | None) -> None:
        if self._bar is not None:
            self._bar.total = total
            self._bar.refresh()

    def update(self, n: float = 1) -> None:
        self.done += n
        if self._bar is not None:
            self._bar.update(n)

    def close(self) -> None:
        if self._bar is not None:
            self._bar.close()
            self._bar = None

    def __enter__(self) -> Bar:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

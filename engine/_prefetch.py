"""A generator's items produced ahead in a thread (video frames decode while nodes run)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any, TypeVar

__all__ = ["prefetched"]

_T = TypeVar("_T")

_END = object()
_GIVE_UP_S = 2.0


def prefetched(make: Callable[[], Iterator[_T]], depth: int) -> Iterator[_T]:
    """``make()``'s items, produced in a daemon thread at most ``depth`` items ahead."""
    import queue
    import threading

    slots: queue.Queue[tuple[bool, Any]] = queue.Queue(maxsize=depth)
    stop = threading.Event()

    def offer(item: tuple[bool, Any]) -> bool:
        while not stop.is_set():  # a bounded wait, so a caller that gave up frees the thread
            try:
                slots.put(item, timeout=0.05)
                return True
            except queue.Full:
                pass
        return False

    def produce() -> None:
        items = make()
        try:
            for item in items:
                if not offer((True, item)):
                    return
            offer((True, _END))
        except BaseException as exc:  # handed to the caller, raised there
            offer((False, exc))
        finally:
            close = getattr(items, "close", None)
            if close is not None:
                close()  # closes the VideoStream in this thread, which owns it

    thread = threading.Thread(target=produce, name="opgraph-video-decode", daemon=True)
    thread.start()
    finished = False
    try:
        while True:
            ok, item = slots.get()
            if not ok:
                raise item
            if item is _END:
                finished = True
                return
            yield item
    finally:
        stop.set()
        # a caller that gives up (Ctrl-C, an error) must not wait for a long video download
        # to end: the daemon thread sees `stop` when it next offers and cleans up on its own
        thread.join(timeout=None if finished else _GIVE_UP_S)

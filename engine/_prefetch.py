"""A generator's items produced ahead in a thread (video frames decode while nodes run).

While a producer thread runs, Python's GIL switch interval is lowered to ``SWITCH_S``.  The
producer (OpenCV's ``grab()`` of every frame) releases the GIL while it decodes and needs
it back for a few microseconds between two frames; at the default 5 ms interval it waits
for the graph's Python work on the consumer's side to give the GIL up, so decoding stalls
while the nodes run instead of overlapping them on the other core.  The interval is
process-wide: it is set when the first producer starts and restored when the last ends.
"""

from __future__ import annotations

import sys
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, TypeVar

__all__ = ["SWITCH_S", "prefetched", "quick_switches"]

_T = TypeVar("_T")

_END = object()
_GIVE_UP_S = 2.0
SWITCH_S = 0.0002  # a decoder waits at most this long for the GIL between two frames
_switch_lock = threading.Lock()
_switch_users = 0
_switch_saved = 0.005


@contextmanager
def quick_switches() -> Iterator[None]:
    """Run the body with the GIL switch interval at most ``SWITCH_S`` (nested and
    concurrent uses share one setting; the last one out restores the caller's)."""
    global _switch_users, _switch_saved
    with _switch_lock:
        if _switch_users == 0:
            _switch_saved = sys.getswitchinterval()
            sys.setswitchinterval(min(_switch_saved, SWITCH_S))
        _switch_users += 1
    try:
        yield
    finally:
        with _switch_lock:
            _switch_users -= 1
            if _switch_users == 0:
                sys.setswitchinterval(_switch_saved)


def prefetched(make: Callable[[], Iterator[_T]], depth: int) -> Iterator[_T]:
    """``make()``'s items, produced in a daemon thread at most ``depth`` items ahead."""
    import queue

    # Two C-level queues instead of one bounded queue.Queue (Python code under a Condition,
    # run with the GIL held on both sides for every frame): the items, and ``depth`` tokens
    # the producer takes before it hands an item over and the consumer gives back.
    slots: queue.SimpleQueue[tuple[bool, Any]] = queue.SimpleQueue()
    free: queue.SimpleQueue[None] = queue.SimpleQueue()
    for _ in range(max(1, depth)):
        free.put(None)
    stop = threading.Event()

    def offer(item: tuple[bool, Any]) -> bool:
        while not stop.is_set():  # a bounded wait, so a caller that gave up frees the thread
            try:
                free.get(timeout=0.05)
            except queue.Empty:
                continue
            slots.put(item)
            return True
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
    with quick_switches():
        thread.start()
        finished = False
        try:
            while True:
                ok, item = slots.get()
                free.put(None)
                if not ok:
                    raise item
                if item is _END:
                    finished = True
                    return
                yield item
        finally:
            stop.set()
            # a caller that gives up (Ctrl-C, an error) must not wait for a long video
            # download to end: the daemon thread sees `stop` when it next offers and cleans
            # up on its own
            thread.join(timeout=None if finished else _GIVE_UP_S)

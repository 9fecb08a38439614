"""The collector's state around batches: held back during them, restored after, never leaked.

Whether an object is frozen is asked of the object itself (the collector's generations list
every tracked object but the frozen ones), never of ``gc.get_freeze_count()``: other tests'
threads free and allocate objects at any time, so a count moves under a busy test run.
"""

from __future__ import annotations

import gc
import threading
import weakref
from collections.abc import Iterator

import pytest

from engine._gcpause import NO_FULL_COLLECTIONS, paused_gc, settle
from engine.proto import Concept, Data
from engine.workflow import Workflow


def _frozen(obj: object) -> bool:
    """Whether ``obj`` sits in the collector's permanent generation (``gc.freeze``)."""
    assert gc.is_tracked(obj)
    return not any(o is obj for o in gc.get_objects())


@pytest.fixture(autouse=True)
def _clean_gc() -> Iterator[None]:
    before = gc.get_threshold()
    yield
    gc.unfreeze()
    gc.set_threshold(*before)


def test_full_collections_are_held_back_during_a_batch_and_restored_after() -> None:
    young, middle, old = gc.get_threshold()
    with paused_gc():
        assert gc.get_threshold() == (young, middle, NO_FULL_COLLECTIONS)
        assert gc.isenabled()  # young collections still run
    assert gc.get_threshold() == (young, middle, old)


def test_settle_freezes_until_the_batch_ends() -> None:
    with paused_gc():
        kept = [Data(concepts=[Concept(id="a", value=1.0)]) for _ in range(100)]
        settle()
        assert _frozen(kept) and _frozen(kept[0])
    assert not _frozen(kept) and not _frozen(kept[0])  # alive, back in the oldest generation


def test_cyclic_garbage_made_during_a_batch_is_collected_after_it() -> None:
    class Node:
        pass

    with paused_gc():
        a, b = Node(), Node()
        a.other, b.other = b, a  # type: ignore[attr-defined]
        ref = weakref.ref(a)
        settle()
        del a, b
    gc.collect()
    assert ref() is None


def test_a_process_that_froze_objects_itself_keeps_them_frozen() -> None:
    theirs = [object()]
    gc.freeze()
    with paused_gc():
        ours = [object()]
        settle()
        assert _frozen(theirs) and not _frozen(ours)  # batches only hold back full collections
    assert _frozen(theirs) and not _frozen(ours)


def test_nested_and_concurrent_batches_restore_the_threshold_once_all_end() -> None:
    old = gc.get_threshold()
    inside = threading.Event()
    release = threading.Event()

    def other() -> None:
        with paused_gc():
            inside.set()
            release.wait()  # events, not timeouts: a busy machine only makes this slower

    t = threading.Thread(target=other)
    t.start()
    try:
        assert inside.wait(60)
        with paused_gc():
            with paused_gc():
                pass
            assert gc.get_threshold()[2] == NO_FULL_COLLECTIONS
        assert gc.get_threshold()[2] == NO_FULL_COLLECTIONS  # the other thread's batch runs
    finally:
        release.set()
        t.join()
    assert gc.get_threshold() == old


def test_a_threshold_set_during_a_batch_is_kept() -> None:
    with paused_gc():
        gc.set_threshold(500, 5, 5)
    assert gc.get_threshold() == (500, 5, 5)


def test_a_batch_larger_than_a_chunk_gives_every_input_its_own_result_in_order() -> None:
    wf = Workflow()
    first = wf.add("concept-thresholder", concepts=[{"id": "a", "value": 0.5}])
    wf.add("concept-thresholder", inputs=[first], concepts=[{"id": "a", "value": 0.7}])
    old = gc.get_threshold()
    batch = [Data(concepts=[Concept(id="a", value=i / 100 + 0.005)]) for i in range(100)]
    res = wf.predict(batch)
    assert gc.get_threshold() == old
    assert not _frozen(batch[0]) and not _frozen(res.results[0].outputs[0].data)  # none kept
    kept = [len(r.outputs[1].data.concepts) for r in res.results]
    assert kept == [0] * 70 + [1] * 30
    assert [r.outputs[0].data.concepts[0].value for r in res.results[50:52]] == [0.505, 0.515]

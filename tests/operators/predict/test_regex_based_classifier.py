"""regex-based-classifier: concepts on a match, and a bounded time per match."""

from __future__ import annotations

import sys
import threading
import time

import pytest

from engine import ConceptSpec, Context, InputError, ParamsError, StatusCode, Workflow
from operators.predict._regex_size import expanded_size
from operators.predict.regex_based_classifier import (
    RELEASE_GIL_FROM,
    RegexBasedClassifier,
    search_within,
)
from tests.factories import image_data, text_data

Params = RegexBasedClassifier.Params
# Nested quantifiers: about 2**n steps to fail on n x's without the final y.
_EVIL = r"(x+x+)+y"


def _op(pattern: str, timeout_ms: int = 250) -> RegexBasedClassifier:
    specs = [ConceptSpec(id="cat"), ConceptSpec(name="feline")]
    return RegexBasedClassifier(Params(regex=pattern, concepts=specs, match_timeout_ms=timeout_ms))


def test_match_gives_every_concept_with_value_one() -> None:
    data = text_data("A small cat purrs")
    out = _op(r"\bcat\b").process(data, Context(root=data))
    assert out is not None
    assert [(c.id, c.name, c.value) for c in out.concepts] == [
        ("cat", "cat", 1.0),
        ("feline", "feline", 1.0),
    ]
    assert out.text == data.text


def test_no_match_gives_no_concepts() -> None:
    data = text_data("concatenate")
    out = _op(r"\bcat\b").process(data, Context(root=data))
    assert out is not None and out.concepts == []


def test_inline_flags_work() -> None:
    data = text_data("CAT")
    out = _op(r"(?i)\bcat\b").process(data, Context(root=data))
    assert out is not None and len(out.concepts) == 2


def test_catastrophic_backtracking_is_stopped_and_reported() -> None:
    data = text_data("x" * 5000)
    op = _op(_EVIL, timeout_ms=50)
    start = time.thread_time()
    with pytest.raises(ValueError, match="match_timeout_ms"):
        op.process(data, Context(root=data))
    # stopped near the 50 ms bound: this thread's CPU time, which other processes on a busy
    # machine do not stretch (the unbounded match would run for minutes)
    assert time.thread_time() - start < 2.0


def test_a_busy_process_does_not_stop_a_quick_match() -> None:
    # threads that hold the GIL for a long switch interval: a finished match waits for it
    data = text_data("New York is great " * 20)
    op = _op("New York", timeout_ms=20)  # wall-clock time stopped 8 of 20 here
    stop = threading.Event()

    def busy() -> None:
        while not stop.is_set():
            pass

    saved = sys.getswitchinterval()
    sys.setswitchinterval(0.1)
    threads = [threading.Thread(target=busy, daemon=True) for _ in range(2)]
    for t in threads:
        t.start()
    try:
        outs = [op.process(data, Context(root=data)) for _ in range(20)]
    finally:
        stop.set()
        sys.setswitchinterval(saved)
        for t in threads:
            t.join()
    assert all(out is not None and len(out.concepts) == 2 for out in outs)


def test_the_cpu_bound_holds_under_a_busy_process_too() -> None:
    data = text_data("x" * 5000)
    op = _op(_EVIL, timeout_ms=50)
    stop = threading.Event()

    def busy() -> None:
        while not stop.is_set():
            pass

    thread = threading.Thread(target=busy, daemon=True)
    thread.start()
    try:
        with pytest.raises(ValueError, match="match_timeout_ms"):
            op.process(data, Context(root=data))
    finally:
        stop.set()
        thread.join()


class _Recording:
    """A compiled pattern that notes whether each search released the GIL."""

    def __init__(self, pattern: str) -> None:
        import regex

        self.pattern = regex.compile(pattern)
        self.released: list[bool] = []

    def search(self, text: str, *, timeout: float, concurrent: bool) -> object:
        self.released.append(concurrent)
        return self.pattern.search(text, timeout=timeout, concurrent=concurrent)


@pytest.mark.parametrize(
    ("size", "released"),
    [(0, [False]), (12, [False]), (RELEASE_GIL_FROM - 1, [False]), (RELEASE_GIL_FROM, [True])],
)
def test_a_quick_match_holds_the_gil_and_a_long_text_releases_it(
    size: int, released: list[bool]
) -> None:
    for tail in ("", "New York"):  # no match, and a match at the very end
        text = ("x" * size)[: max(0, size - len(tail))] + tail
        pattern = _Recording(r"New York")
        found = search_within(pattern, text, 5.0)
        assert pattern.released == released
        assert (found is not None) == (tail != "" and len(text) >= len(tail))


def test_a_slow_match_of_a_short_text_goes_on_with_the_gil_released() -> None:
    pattern = _Recording(_EVIL)  # backtracks for ever on this text
    with pytest.raises(TimeoutError):
        search_within(pattern, "x" * 5000, 0.05)
    assert pattern.released[:2] == [False, True]  # held for HOLD_S, then released


def test_tiny_and_long_texts_give_the_same_concepts_as_before() -> None:
    op = _op(r"\bcat\b")
    for text in ("cat", "a dog", "x" * 5000 + " cat", "x" * 5000):
        data = text_data(text)
        out = op.process(data, Context(root=data))
        assert out is not None and len(out.concepts) == (2 if "cat" in text else 0)


def test_no_text_is_an_input_error() -> None:
    data = image_data()
    with pytest.raises(InputError, match="text"):
        _op("x").process(data, Context(root=data))


_YAML = """
workflow:
  id: rx
  nodes:
    - id: classify
      model:
        model_id: classify
        model_type_id: regex-based-classifier
        output_info:
          data:
            concepts: [{id: refund}]
          params:
            regex: 'PATTERN'
            match_timeout_ms: 50
"""


def test_one_node_graph_reports_a_timeout_for_that_input_only() -> None:
    wf = Workflow.from_yaml(_YAML.replace("PATTERN", _EVIL))
    resp = wf.predict(
        [
            {"data": {"text": {"raw": "xxxy"}}},
            {"data": {"text": {"raw": "x" * 5000}}},
            {"data": {"text": {"raw": "nothing here"}}},
        ]
    )
    assert [c.id for c in resp.results[0].outputs[0].data.concepts] == ["refund"]
    failed = resp.results[1].outputs[0].status
    assert failed.code != StatusCode.SUCCESS
    assert "match_timeout_ms" in (failed.description + (failed.details or ""))
    assert resp.results[2].outputs[0].status.code == StatusCode.SUCCESS
    assert resp.results[2].outputs[0].data.concepts == []


@pytest.mark.parametrize(
    ("yaml_text", "match"),
    [
        (_YAML.replace("PATTERN", "(unclosed"), "invalid regex"),
        (_YAML.replace("PATTERN", ""), "regex"),
        (_YAML.replace("[{id: refund}]", "[]").replace("PATTERN", "x"), "concepts"),
        (_YAML.replace("PATTERN", "x").replace("50", "0"), "match_timeout_ms"),
    ],
)
def test_rejections(yaml_text: str, match: str) -> None:
    with pytest.raises(ParamsError, match=match):
        Workflow.from_yaml(yaml_text)


@pytest.mark.parametrize(
    ("pattern", "size"),
    [
        ("abc", 3),
        ("a{1000}", 1000),
        ("(a{1000}){1000}", 1_001_000),
        ("((a{10}){10}){10}", 1110),
        ("[a-z{}]{5}x*", 6),
        (r"\d{3}-\d{4}", 8),
        ("(?:ab|cd){3}", 18),  # the group marker counts as an item
    ],
)
def test_expanded_size_multiplies_counted_repeats(pattern: str, size: int) -> None:
    assert expanded_size(pattern) == size


@pytest.mark.parametrize("pattern", ["(a{1000}){1000}", "((x{100}){100}){100}", "a" * 200_000])
def test_a_regex_that_compiles_to_gigabytes_is_refused_at_validate_time(pattern: str) -> None:
    with pytest.raises(ParamsError, match=r"<workflow>:\d+:\d+: .*regex expands to about"):
        Workflow.from_yaml(_YAML.replace("PATTERN", pattern))


def test_a_large_but_bounded_counted_repeat_still_runs() -> None:
    wf = Workflow.from_yaml(_YAML.replace("PATTERN", "(?:ab){5000}"))
    resp = wf.predict([{"data": {"text": {"raw": "ab" * 5000}}}])
    assert [c.id for c in resp.results[0].outputs[0].data.concepts] == ["refund"]

"""engine/app/search.py: Clarifai's query language over an app, page by page.

Every response is checked to parse strictly as clarifai-grpc's ``MultiSearchResponse``.
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any, ClassVar

import numpy as np
import pytest
from clarifai_grpc.grpc.api import service_pb2

from engine import Workflow
from engine.app import App
from engine.errors import InputError
from engine.operator import Context, Operator, register
from engine.proto import (
    BoundingBox,
    Concept,
    Data,
    Embedding,
    MultiSearchResponse,
    Region,
    RegionInfo,
    StatusCode,
)
from tests.clarifai_json import assert_clarifai_json

TEXTS = {
    "bucket": ("red bucket of water on the porch", {"room": "porch", "tags": {"colour": "red"}}),
    "spade": ("blue garden spade with a wooden handle", {"room": "shed", "n": 2}),
    "cat": ("a cat sleeping on a warm windowsill", {"room": "house", "pet": True}),
    "budget": ("the quarterly budget for machinery repairs", {"room": "office", "n": 2.0}),
}


def _ids(response: MultiSearchResponse) -> list[str]:
    assert_clarifai_json(response.to_dict(), service_pb2.MultiSearchResponse)
    return [str(h.input.id) for h in response.hits if h.input is not None]


@pytest.fixture
def app(app_location: Any) -> App:
    app = App(app_location())
    for key, (text, meta) in TEXTS.items():  # one add each: created_at in this order
        dataset = "tools" if key in ("bucket", "spade") else None
        app.add_inputs([{"id": key, "data": {"text": {"raw": text}}}], dataset, meta)
    return app


def _label(app: App, input_id: str, concept: str, value: float = 1.0, **params: Any) -> None:
    wf = Workflow(f"label-{hashlib.md5(repr(params).encode()).hexdigest()[:6]}")
    wf.add("annotation-writer", id="write", params=params)
    data = {"concepts": [{"id": concept, "value": value}]}
    app.predict(wf, [{"id": input_id, "data": data}])


def test_rank_by_text_best_first_with_scores_in_0_1(app: App) -> None:
    response = app.search(ranks=[{"text_raw": "a bucket full of water"}])
    assert _ids(response)[0] == "bucket"
    scores = [h.score for h in response.hits]
    assert scores == sorted(scores, reverse=True) and all(0.0 <= s <= 1.0 for s in scores)
    # the legacy keywords are the same rank
    assert _ids(app.search(text="a bucket full of water")) == _ids(response)


def test_rank_by_input_id_finds_itself_first_with_score_one(app: App) -> None:
    hits = app.search(ranks=[{"input_id": "cat"}], per_page=1).hits
    assert hits[0].input is not None and hits[0].input.id == "cat"
    assert hits[0].score == pytest.approx(1.0)


def test_euclidean_keeps_the_order_and_negate_reverses_it(app: App) -> None:
    rank = {"text_raw": "sleeping cat"}
    cosine = _ids(app.search(ranks=[rank]))
    assert _ids(app.search(ranks=[rank], metric="euclidean")) == cosine
    assert _ids(app.search(ranks=[{**rank, "negate": True}])) == cosine[::-1]


def test_pagination_walks_every_hit_once(app: App) -> None:
    everything = _ids(app.search(ranks=[{"text_raw": "garden"}], per_page=4))
    pages = [_ids(app.search(ranks=[{"text_raw": "garden"}], page=p, per_page=3)) for p in (1, 2)]
    assert pages[0] + pages[1] == everything and len(pages[1]) == 1
    assert app.search(ranks=[{"text_raw": "garden"}], page=3, per_page=3).hits == []


def test_filter_only_lists_newest_first_and_pages(app: App) -> None:
    assert _ids(app.search()) == ["budget", "cat", "spade", "bucket"]
    assert _ids(app.search(page=2, per_page=3)) == ["bucket"]
    response = app.search(filters=[{"metadata": {"room": "shed"}}])
    assert _ids(response) == ["spade"] and response.hits[0].score == 1.0


@pytest.mark.parametrize(
    ("filters", "expected"),
    [
        ([{"metadata": {"room": "porch"}}], ["bucket"]),
        ([{"metadata": {"tags": {"colour": "red"}}}], ["bucket"]),  # nested keys
        ([{"metadata": {"n": 2}}], ["budget", "spade"]),  # 2 and 2.0 are one number
        ([{"metadata": {"pet": True}}], ["cat"]),
        ([{"metadata": {"room": "porch"}, "negate": True}], ["budget", "cat", "spade"]),
        ([{"input_dataset_ids": ["tools"]}], ["spade", "bucket"]),
        ([{"input_dataset_ids": ["tools"], "negate": True}], ["budget", "cat"]),
        ([{"input_dataset_ids": ["tools"]}, {"metadata": {"n": 2}}], ["spade"]),  # ANDed
        ([{"input_types": ["text"]}], ["budget", "cat", "spade", "bucket"]),
        ([{"input_types": ["image"]}], []),
        ([{"input_status_code": 30000}], ["budget", "cat", "spade", "bucket"]),
        ([{"input_id": "cat"}], ["cat"]),
        ([{"input": {"dataset_ids": ["tools"]}}], ["spade", "bucket"]),
        ([{"created_at": {"end_time": "2000-01-01T00:00:00Z"}}], []),
        (
            [{"created_at": {"start_time": "2000-01-01T00:00:00Z"}}],
            ["budget", "cat", "spade", "bucket"],
        ),
        ([{"last_updated_time_range": {"start_time": "2999-01-01T00:00:00Z"}}], []),
    ],
)
def test_each_filter_kind_alone(
    app: App, filters: list[dict[str, Any]], expected: list[str]
) -> None:
    assert _ids(app.search(filters=filters)) == expected


def test_a_filtered_rank_ranks_only_what_the_filters_keep(app: App) -> None:
    rank = [{"text_raw": "blue garden spade"}]
    assert _ids(app.search(ranks=rank, filters=[{"metadata": {"room": "porch"}}])) == ["bucket"]
    kept = _ids(app.search(ranks=rank, filters=[{"input_dataset_ids": ["tools"], "negate": True}]))
    assert sorted(kept) == ["budget", "cat"]
    # the legacy keywords are one filter
    assert _ids(app.search(text="spade", dataset_ids=["tools"], metadata={"room": "shed"})) == [
        "spade"
    ]


def test_creation_time_range_splits_the_inputs(app: App) -> None:
    created = {h.input.id: h.input.created_at for h in app.search().hits if h.input}
    middle = str(created["spade"])
    early = app.search(filters=[{"created_at": {"end_time": middle}}])
    assert _ids(early) == ["spade", "bucket"]
    late = app.search(filters=[{"created_at": {"end_time": middle}, "negate": True}])
    assert _ids(late) == ["budget", "cat"]


def test_concept_filters_by_annotation_and_absence(app: App) -> None:
    _label(app, "cat", "animal", annotation_user_id="ann")
    _label(app, "spade", "animal", value=0.0, annotation_user_id="bob")  # labelled absent
    _label(app, "bucket", "red", annotation_status=int(StatusCode.ANNOTATION_PENDING))
    present = {"concepts": [{"id": "animal", "value": 1}]}
    absent = {"concepts": [{"id": "animal", "value": 0}]}
    assert _ids(app.search(filters=[present])) == ["cat"]
    assert _ids(app.search(filters=[absent])) == ["budget", "spade", "bucket"]
    assert _ids(app.search(filters=[{**present, "negate": True}])) == ["budget", "spade", "bucket"]
    assert _ids(app.search(filters=[{**present, "annotation_user_id": "bob"}])) == []
    assert _ids(app.search(filters=[{**present, "concept_source": "predicted"}])) == []
    assert _ids(app.search(filters=[{"annotation_user_id": "ann"}])) == ["cat"]
    pending = {"annotation_status": "ANNOTATION_PENDING"}
    assert _ids(app.search(filters=[pending])) == ["bucket"]
    # the V2 form of "labelled animal by ann"
    v2 = {"annotation": {"data": {"concepts": [{"id": "animal", "value": 1}]}, "user_id": "ann"}}
    assert _ids(app.search(filters=[v2])) == ["cat"]


def test_concept_ranks_predicted_and_labelled_and_combined(tmp_path: Path) -> None:
    wf = Workflow("kw")
    wf.add(
        "regex-based-classifier",
        id="cls",
        params={"regex": "bucket|pail", "concepts": [{"id": "bucket"}]},
    )
    wf.add("text-embedder", id="embed")
    app = App(tmp_path / "app", base_workflow=wf)
    app.add_inputs(
        [
            {"id": i, "data": {"text": {"raw": t}}}
            for i, t in (("a", "red bucket"), ("b", "green pail"), ("c", "a garden spade"))
        ]
    )
    _label(app, "c", "bucket")
    concept = [{"concepts": [{"id": "bucket", "value": 1}]}]
    assert sorted(_ids(app.search(ranks=concept))) == ["a", "b", "c"]
    assert _ids(app.search(ranks=[{"concepts": [{"id": "bucket", "value": 0}]}])) == []
    assert _ids(app.search(ranks=concept, filters=[{"input_id": ["a", "c"]}], per_page=1)) in (
        ["a"],
        ["c"],
    )
    # a concept rank with a text rank: only inputs holding the concept, scored by both
    both = app.search(ranks=[*concept, {"text_raw": "green pail"}])
    assert _ids(both)[0] == "b" and len(both.hits) == 3
    assert all(0.0 <= h.score <= 1.0 for h in both.hits)


def test_min_score_applies_to_the_reported_score(app: App) -> None:
    hits = app.search(ranks=[{"text_raw": "sleeping cat"}]).hits
    cut = hits[1].score
    kept = app.search(ranks=[{"text_raw": "sleeping cat"}], min_score=cut).hits
    assert [h.score for h in kept] == [h.score for h in hits if h.score >= cut]


def test_deleted_inputs_leave_the_index_without_a_reload(app: App) -> None:
    assert _ids(app.search(ranks=[{"input_id": "cat"}], per_page=1)) == ["cat"]
    store = app._store
    with store._tx() as c:  # what a delete does to the tables, whoever does it
        c.execute("DELETE FROM dataset_inputs WHERE input_id = 'cat'")
        c.execute("DELETE FROM index_vectors WHERE input_id = 'cat'")
        c.execute("DELETE FROM inputs WHERE id = 'cat'")
    assert "cat" not in _ids(app.search(ranks=[{"text_raw": "sleeping cat"}]))
    assert "cat" not in _ids(app.search())
    app.add_inputs([{"id": "kitten", "data": {"text": {"raw": "a kitten sleeping"}}}])
    assert _ids(app.search(ranks=[{"text_raw": "kitten sleeping"}], per_page=1)) == ["kitten"]


@pytest.mark.parametrize(
    ("kwargs", "code", "message"),
    [
        ({"filters": [{"colour": "red"}]}, StatusCode.SEARCH_INVALID_REQUEST, "unknown key"),
        (
            {"filters": [{"geo_box": [{"latitude": 1}]}]},
            StatusCode.SEARCH_INVALID_REQUEST,
            "corners",
        ),
        ({"page": -1}, StatusCode.SEARCH_INVALID_REQUEST, "page"),
        ({"metric": "dot"}, StatusCode.SEARCH_INVALID_REQUEST, "metric"),
        ({"ranks": [{"input_id": "nope"}]}, StatusCode.INPUT_DOES_NOT_EXIST, "unknown input id"),
    ],
)
def test_bad_queries_are_one_error_with_a_status_code_and_change_nothing(
    app: App, kwargs: dict[str, Any], code: int, message: str
) -> None:
    before = _ids(app.search())
    with pytest.raises(InputError, match=message) as err:
        app.search(**kwargs)
    assert err.value.code == code
    assert _ids(app.search()) == before


# ---- region-level search ----------------------------------------------------------------


def _word_vector(word: str) -> list[float]:
    seed = int(hashlib.sha256(word.encode()).hexdigest()[:8], 16)
    v = np.random.default_rng(seed).standard_normal(16)
    return (v / np.linalg.norm(v)).tolist()


@register
class _WordRegions(Operator):
    """One region per word of the text: a box per position, the word as concept and an
    embedding of the word (a stand-in for detect -> crop -> embed)."""

    type_id = "test-word-regions"
    reads: ClassVar[tuple[str, ...]] = ("text",)
    writes: ClassVar[tuple[str, ...]] = ("regions",)

    def process(self, data: Data, ctx: Context) -> Data | None:
        words = (data.text.raw or "").split() if data.text else []
        regions = [
            Region(
                id=f"r{i}",
                region_info=RegionInfo(
                    bounding_box=BoundingBox(
                        top_row=0.1, left_col=i / 10, bottom_row=0.5, right_col=(i + 1) / 10
                    )
                ),
                data=Data(concepts=[Concept(id=w)], embeddings=[Embedding(vector=_word_vector(w))]),
            )
            for i, w in enumerate(words)
        ]
        return Data(regions=regions)


def test_region_hits_carry_the_region_box_in_the_annotation(tmp_path: Path) -> None:
    wf = Workflow("regions")
    wf.add("test-word-regions", id="detect")
    app = App(tmp_path / "app", base_workflow=wf)
    app.add_inputs(
        [
            {"id": "a", "data": {"text": {"raw": "cat dog"}}},
            {"id": "b", "data": {"text": {"raw": "bird cat fish"}}},
        ]
    )
    response = app.search(ranks=[{"text_raw": "cat"}], per_page=2)
    assert_clarifai_json(response.to_dict(), service_pb2.MultiSearchResponse)
    assert {h.input.id for h in response.hits if h.input} == {"a", "b"}
    for hit in response.hits:
        assert hit.score == pytest.approx(1.0)
        assert hit.annotation is not None and hit.annotation.input_id == hit.input.id
        [region] = hit.annotation.data.regions
        assert region.data is not None and region.data.concepts[0].id == "cat"
        assert region.data.embeddings == []
        box = region.region_info.bounding_box
        expected = 0.0 if hit.input.id == "a" else 0.1
        assert box.left_col == pytest.approx(expected)
    # ranking by a stored input uses its first region's vector; regions concepts filter
    assert _ids(app.search(ranks=[{"input_id": "b"}], per_page=1)) == ["b"]
    assert _ids(app.search(filters=[{"concepts": [{"id": "fish"}]}])) == ["b"]


def test_geo_point_and_box_filters_over_stored_geo_points(app_location: Any) -> None:
    app = App(app_location())
    places = {"paris": (2.3522, 48.8566), "london": (-0.1278, 51.5074), "tokyo": (139.69, 35.69)}
    app.add_inputs(
        [
            {
                "id": k,
                "data": {"text": {"raw": k}, "geo": {"geo_point": {"longitude": x, "latitude": y}}},
            }
            for k, (x, y) in places.items()
        ]
    )
    near_paris = {"geo_point": {"longitude": 2.35, "latitude": 48.85, "geo_limit": 400}}
    assert _ids(app.search(filters=[near_paris])) == ["london", "paris"]
    assert _ids(app.search(filters=[{**near_paris, "negate": True}])) == ["tokyo"]
    box = [{"longitude": 100, "latitude": 30}, {"longitude": 150, "latitude": 40}]
    assert _ids(app.search(filters=[{"geo_box": box}])) == ["tokyo"]
    v2 = {"input": {"data": {"geo": {"geo_box": [{"geo_point": c} for c in box]}}}}
    assert _ids(app.search(ranks=[{"text_raw": "tokyo"}], filters=[v2])) == ["tokyo"]


def test_a_big_index_answers_plain_ranks_from_the_ivf_index(tmp_path: Path) -> None:
    pytest.importorskip("faiss")
    app = App(tmp_path / "app")
    words = "red blue green cat dog spade bucket water porch house garden river".split()
    texts = [f"{a} {b} {c}" for a in words for b in words[:4] for c in words[4:7]]
    app.add_inputs([{"id": f"t{i}", "data": {"text": {"raw": t}}} for i, t in enumerate(texts)])
    index = app._search._vectors()
    index.ann_threshold = 1  # as if the app were big
    assert _ids(app.search(ranks=[{"input_id": "t7"}], per_page=1)) == ["t7"]
    assert index.uses_ann
    # filtered searches stay exact
    assert _ids(app.search(ranks=[{"input_id": "t7"}], filters=[{"input_id": "t9"}])) == ["t9"]


def test_the_sdk_shaped_searcher_pages_up_to_top_k(app: App) -> None:
    pages = list(app.searcher(top_k=3).query(filters=[{}], per_page=2))
    assert [_ids(p) for p in pages] == [["budget", "cat"], ["spade"]]
    ranked = list(app.searcher(top_k=10, metric="euclidean").query(ranks=[{"input_id": "cat"}]))
    assert len(ranked) == 1 and _ids(ranked[0])[0] == "cat" and len(ranked[0].hits) == 4
    [page] = app.searcher().query(page_no=2, per_page=3)
    assert _ids(page) == ["bucket"]
    assert list(app.searcher().query(page_no=5, per_page=3)) == []
    with pytest.raises(InputError, match="cosine or euclidean"):
        app.searcher(metric="dot")
    with pytest.raises(InputError, match="top_k"):
        app.searcher(top_k=0)
    with pytest.raises(InputError, match="unknown key"):
        app.searcher().query(filters=[{"bogus": 1}])  # refused before any page is asked for

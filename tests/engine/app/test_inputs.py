"""engine/app/inputs.py: add with ids, labels, geo and datasets; get, list, count, patch, delete."""

from __future__ import annotations

import multiprocessing
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from clarifai_grpc.grpc.api import service_pb2

from engine import App, AppError, InputError
from engine.proto import MultiInputResponse, SingleInputCountResponse, StatusCode
from tests.clarifai_json import assert_clarifai_json


def _text(iid: str, raw: str, **data: Any) -> dict[str, Any]:
    return {"id": iid, "data": {"text": {"raw": raw}, **data}}


@pytest.fixture
def app(app_location: Any) -> Iterator[App]:
    with App(app_location()) as app:
        yield app


def _listing(app: App, **kw: Any) -> list[str]:
    inputs = app.list_inputs(**kw)
    assert_clarifai_json(
        MultiInputResponse(inputs=inputs).to_dict(), service_pb2.MultiInputResponse
    )
    return [str(i.id) for i in inputs]


def test_labels_geo_metadata_and_datasets_are_stored_with_the_input(app: App) -> None:
    app.add_inputs(
        [
            _text(
                "a",
                "red bucket",
                concepts=[{"id": "bucket", "value": 1}],
                metadata={"room": "porch"},
                geo={"geo_point": {"longitude": 2.35, "latitude": 48.85}},
            )
        ],
        dataset_id="d1",
    )
    a = app.get_input("a")
    assert a.data.geo is not None and a.data.geo.geo_point is not None
    assert a.data.geo.geo_point.latitude == 48.85 and a.dataset_ids == ["d1"]
    assert [c.id for c in a.data.concepts] == ["bucket"] and a.data.metadata == {"room": "porch"}
    [label] = app.annotations(input_id="a")  # the user's labels are its annotation
    assert label.data is not None and [c.id for c in label.data.concepts] == ["bucket"]
    assert [h.input.id for h in app.search(concept="bucket").hits if h.input] == ["a"]


def test_two_files_with_one_name_in_two_folders_get_two_ids(app: App, tmp_path: Path) -> None:
    for folder in ("x", "y"):
        (tmp_path / folder).mkdir()
        (tmp_path / folder / "a.txt").write_text(f"note in {folder}")
    ids = app.add_inputs([tmp_path / "x" / "a.txt", tmp_path / "y" / "a.txt"])
    assert len(set(ids)) == 2 and all(i.startswith("a-") for i in ids)
    # the same files again: the same ids, so a rerun resumes instead of copying
    assert app.add_inputs([tmp_path / "x" / "a.txt"], skip_existing=True) == ids[:1]
    assert app.count_inputs() == 2


def test_a_duplicate_id_refuses_the_whole_request_unless_skip_existing(app: App) -> None:
    app.add_inputs([_text("a", "one")])
    with pytest.raises(AppError, match="already in the app: a") as err:
        app.add_inputs([_text("b", "two"), _text("a", "again")])
    assert err.value.code == StatusCode.INPUT_DUPLICATE and app.count_inputs() == 1
    assert app.add_inputs([_text("b", "two"), _text("a", "again")], skip_existing=True) == [
        "b",
        "a",
    ]
    assert app.count_inputs() == 2 and app.get_input("a").data.text.raw == "one"  # type: ignore[union-attr]
    with pytest.raises(AppError, match="given twice") as err:
        app.add_inputs([_text("c", "x"), _text("c", "y")])
    assert err.value.code == StatusCode.INPUT_DUPLICATE


def _add_one(path: str, iid: str, barrier: Any, out: Any) -> None:
    app = App(path)
    barrier.wait()
    try:
        app.add_inputs([_text(iid, "racing")])
        out.put("ok")
    except AppError as exc:
        out.put(f"{exc.code}:{exc}")
    except Exception as exc:  # a raw StoreError would be the bug this test looks for
        out.put(f"raw:{type(exc).__name__}:{exc}")


@pytest.mark.slow
def test_two_processes_adding_one_id_give_the_duplicate_id_message(app_location: Any) -> None:
    where = str(app_location())
    App(where).close()
    ctx = multiprocessing.get_context("spawn")
    barrier, out = ctx.Barrier(2), ctx.Queue()
    procs = [ctx.Process(target=_add_one, args=(where, "same", barrier, out)) for _ in range(2)]
    for p in procs:
        p.start()
    for p in procs:
        p.join(60)
    results = sorted(out.get(timeout=5) for _ in procs)
    assert results[1] == "ok" and results[0].startswith("30100:"), results
    assert App(where).count_inputs() == 1


def test_list_filters_and_pages_in_a_stable_order(app: App, tmp_path: Path) -> None:
    app.add_inputs([_text(f"t{i}", f"text {i}") for i in range(5)], dataset_id="d")
    assert _listing(app) == ["t0", "t1", "t2", "t3", "t4"]
    assert _listing(app, page=2, per_page=2) == ["t2", "t3"]
    assert _listing(app, page=4, per_page=2) == []
    assert _listing(app, dataset_id="d", input_type="text") == ["t0", "t1", "t2", "t3", "t4"]
    assert _listing(app, input_type="image") == [] and _listing(app, dataset_id="other") == []
    (tmp_path / "p.png").write_bytes(b"not an image at all")
    [bad] = app.add_inputs([tmp_path / "p.png"])  # stored, failed by the text base workflow
    assert _listing(app, status="INPUT_SUCCESS", per_page=1) == ["t0"]
    assert _listing(app, status="failed") == [bad] == _listing(app, input_type="image")


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"page": 0}, "page must be"),
        ({"page": -1}, "page must be"),
        ({"per_page": 1001}, "per_page must be"),
        ({"input_type": "hologram"}, "input_type must be"),
        ({"status": "sleepy"}, "unknown input status"),
    ],
)
def test_bad_list_requests_are_one_clear_error(
    app: App, kwargs: dict[str, Any], message: str
) -> None:
    with pytest.raises(AppError, match=message):
        app.list_inputs(**kwargs)


def test_input_count_has_clarifais_fields(app_location: Any) -> None:
    from engine import Workflow

    wf = Workflow("strict")
    wf.add("text-embedder", id="embed", params={"model": "hashing"})
    app = App(app_location(), base_workflow=wf)
    app.add_inputs([_text("a", "words"), {"id": "b", "data": {"metadata": {"only": "meta"}}}])
    counts = app.get_input_count()
    doc = SingleInputCountResponse(counts=counts).to_dict()
    assert_clarifai_json(doc, service_pb2.SingleInputCountResponse)
    assert (counts.processed, counts.errors) == (1, 1)


def test_patch_merges_overwrites_and_removes_metadata_and_concepts(app: App) -> None:
    app.add_inputs(
        [_text("a", "x", metadata={"k": {"x": 1, "y": 2}, "z": 0}, concepts=[{"id": "c1"}])]
    )
    patch = {
        "id": "a",
        "data": {"metadata": {"k": {"y": 3}}, "concepts": [{"id": "c2", "value": 0}]},
    }
    [a] = app.patch_inputs([patch], action="merge")
    assert a.data.metadata == {"k": {"x": 1, "y": 3}, "z": 0}
    assert [(c.id, c.value) for c in a.data.concepts] == [("c1", 1.0), ("c2", 0.0)]
    [a] = app.patch_inputs(
        [{"id": "a", "data": {"metadata": {"k": {"x": 0}}, "concepts": [{"id": "c1"}]}}],
        action="remove",
    )
    assert a.data.metadata == {"k": {"y": 3}, "z": 0} and [c.id for c in a.data.concepts] == ["c2"]
    [label] = app.annotations(input_id="a")  # the labels annotation follows the input
    assert label.data is not None and [c.id for c in label.data.concepts] == ["c2"]
    [a] = app.patch_inputs([{"id": "a", "data": {"metadata": {"new": True}}}], action="overwrite")
    assert a.data.metadata == {"new": True} and a.data.concepts == []
    assert app.annotations(input_id="a") == [] and a.modified_at is not None


def test_a_patch_of_an_unknown_or_deleted_input_changes_nothing(app: App) -> None:
    app.add_inputs([_text("a", "x", metadata={"v": 1}), _text("b", "y")])
    app.delete_inputs(["b"])
    for bad in ("b", "nope"):
        with pytest.raises(AppError, match=f"unknown input id\\(s\\): {bad}") as err:
            app.patch_inputs([{"id": "a", "data": {"metadata": {"v": 2}}}, {"id": bad, "data": {}}])
        assert err.value.code == StatusCode.INPUT_DOES_NOT_EXIST
    assert app.get_input("a").data.metadata == {"v": 1}
    with pytest.raises(AppError, match="action must be"):
        app.patch_inputs([{"id": "a"}], action="replace")
    with pytest.raises(AppError, match="needs the input's id"):
        app.patch_inputs([{"data": {"metadata": {"v": 3}}}])


def test_delete_takes_annotations_and_index_rows_with_it_all_or_none(app: App) -> None:
    app.add_inputs([_text("a", "red bucket", concepts=[{"id": "pail"}]), _text("b", "blue spade")])
    with pytest.raises(AppError, match="nothing was deleted") as err:
        app.delete_inputs(["a", "ghost"])
    assert err.value.code == StatusCode.INPUT_DOES_NOT_EXIST and app.count_inputs() == 2
    assert len(app.search(text="red bucket").hits) == 2  # loads the vectors
    app.delete_inputs(["a"])
    assert [h.input.id for h in app.search(text="red bucket").hits if h.input] == ["b"]
    assert app.annotations() == [] and app.search(concept="pail").hits == []
    _, ids, _ = app._store.load_vectors(1, 0)
    assert ids == ["b"]
    with pytest.raises(AppError, match="unknown input id"):
        app.get_input("a")


@pytest.mark.parametrize(
    ("metadata", "message"),
    [
        ("[" * 100_000 + "]" * 100_000, "nested more than"),
        ('{"a":' * 300 + "1" + "}" * 300, "nested more than"),
    ],
)
def test_metadata_bounds_as_json_text(app: App, metadata: str, message: str) -> None:
    with pytest.raises(AppError, match=message):
        app.add_inputs([_text("a", "x")], metadata=metadata)
    assert app.count_inputs() == 0


def test_metadata_bounds_in_python_objects_count_shared_parts_every_time(app: App) -> None:
    deep: dict[str, Any] = {}
    node = deep
    for _ in range(300):
        node["k"] = {}
        node = node["k"]
    # refused where the request's JSON is validated (an InputError, of which AppError is one)
    with pytest.raises(InputError, match="nested more than 32"):
        app.add_inputs([_text("a", "x", metadata=deep)])
    blob = ["x" * 1000] * 10
    for _ in range(8):  # aliases: ten references per level, 10**9 strings once written out
        blob = [blob] * 10
    with pytest.raises(InputError, match=r"larger than|holds more than"):
        app.add_inputs([_text("a", "x")], metadata={"big": blob})
    with pytest.raises(InputError, match=r"larger than|holds more than"):
        app.patch_inputs([{"id": "a", "data": {"metadata": {"big": blob}}}])
    assert app.count_inputs() == 0


def test_an_app_is_created_with_its_base_workflow_in_one_step(tmp_path: Path) -> None:
    from engine.store.sqlite import SqliteStore

    App(tmp_path / "app", base_workflow="image").close()
    store = SqliteStore(tmp_path / "app" / "app.db")  # the schema and the workflow, together
    assert store.get_meta("base_workflow") == "builtin:image"
    store.close()
    with App(tmp_path / "app") as app:  # reopened without naming it: still the image app
        assert app.base_workflow is not None and app.base_workflow.id == "image-base"

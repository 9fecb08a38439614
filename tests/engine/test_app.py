"""App: storing and indexing inputs, search, the base-workflow hook, reindexing, bad input."""

from __future__ import annotations

import base64
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import cv2
import pytest

from engine import GraphError, InputError, OpgraphError, Workflow
from engine.app import App
from engine.errors import StoreError
from tests.factories import image_array

TEXTS = [
    "red bucket of water on the porch",
    "blue garden spade with a wooden handle",
    "a cat sleeping on a warm windowsill",
    "the quarterly budget for machinery repairs",
]


def _texts(*raw: str) -> list[dict[str, Any]]:
    return [{"text": {"raw": t}} for t in raw]


@pytest.fixture
def app(tmp_path: Path) -> App:
    return App(tmp_path / "app")


def test_added_inputs_are_stored_indexed_and_searchable(app: App) -> None:
    ids = app.add_inputs(_texts(*TEXTS))
    assert len(ids) == 4 and app.count_inputs() == 4
    hits = app.search(text="a bucket full of water", max_results=2).hits
    assert hits[0].input.id == ids[0]
    assert hits[0].score > hits[1].score
    assert hits[0].input.data.text.raw == TEXTS[0]


def test_search_by_input_id_finds_the_input_itself_first(app: App) -> None:
    ids = app.add_inputs(_texts(*TEXTS))
    hits = app.search(input_id=ids[2], max_results=1).hits
    assert hits[0].input.id == ids[2] and hits[0].score == pytest.approx(1.0, abs=1e-5)


def test_datasets_metadata_min_score_and_max_results_filter_hits(app: App) -> None:
    a = app.add_inputs(_texts(TEXTS[0]), dataset_id="porch", metadata={"room": "out"})
    b = app.add_inputs(_texts(TEXTS[1]), dataset_id="shed", metadata='{"room": "shed"}')
    assert [h.input.id for h in app.search(text="bucket", dataset_ids=["shed"]).hits] == b
    assert [h.input.id for h in app.search(text="bucket", metadata={"room": "out"}).hits] == a
    assert app.search(text="bucket", min_score=0.99).hits == []
    assert len(app.search(text="bucket", max_results=1).hits) == 1
    hit = app.search(text="bucket", max_results=1).hits[0]
    assert hit.input.dataset_ids == ["porch"] and hit.input.data.metadata == {"room": "out"}


def test_an_input_the_base_workflow_fails_on_is_stored_failed_and_the_others_indexed(
    app: App,
) -> None:
    png = base64.b64encode(cv2.imencode(".png", image_array())[1].tobytes()).decode()
    ids = app.add_inputs([*_texts("red bucket"), {"image": {"base64": png}}])
    ok, failed = app.get_inputs(ids)
    assert ok.status.code == 30000
    assert failed.status.code == 30002 and "needs text.raw" in failed.status.description
    assert [h.input.id for h in app.search(text="red bucket").hits] == [ids[0]]
    assert failed.data.image is not None and failed.data.image.array.shape == (48, 64, 3)


def test_inputs_and_the_index_survive_reopening(tmp_path: Path) -> None:
    with App(tmp_path / "app") as first:
        ids = first.add_inputs(_texts(*TEXTS))
    with App(tmp_path / "app") as again:
        assert again.search(text="sleeping cat", max_results=1).hits[0].input.id == ids[2]


def test_a_second_app_object_sees_inputs_added_by_the_first(tmp_path: Path) -> None:
    writer, reader = App(tmp_path / "app"), App(tmp_path / "app")
    writer.add_inputs(_texts(TEXTS[0]))
    assert len(reader.search(text="bucket").hits) == 1  # loads the index
    writer.add_inputs(_texts(TEXTS[1]))
    assert len(reader.search(text="bucket").hits) == 2  # tops it up with the new row


def test_a_crash_mid_add_leaves_each_input_stored_and_indexed_or_absent(
    app: App, monkeypatch: pytest.MonkeyPatch
) -> None:
    app.batch_size = 2
    write = app._store.write
    calls = []

    def crash_on_second(batch: Any) -> None:
        calls.append(batch)
        if len(calls) == 2:
            raise KeyboardInterrupt  # the process dies between two batches' commits
        write(batch)

    monkeypatch.setattr(app._store, "write", crash_on_second)
    with pytest.raises(KeyboardInterrupt):
        app.add_inputs(_texts(*TEXTS))
    assert app.count_inputs() == 2
    assert len(app.search(text="bucket spade cat budget").hits) == 2  # both stored ones indexed


def test_duplicate_and_unknown_ids_are_refused_without_storing(app: App) -> None:
    app.add_inputs([{"id": "x", "data": {"text": {"raw": "one"}}}])
    with pytest.raises(InputError, match="already in the app: x"):
        app.add_inputs(
            [
                {"id": "y", "data": {"text": {"raw": "two"}}},
                {"id": "x", "data": {"text": {"raw": "three"}}},
            ]
        )
    with pytest.raises(InputError, match="given twice: z"):
        app.add_inputs(
            [
                {"id": "z", "data": {"text": {"raw": "a"}}},
                {"id": "z", "data": {"text": {"raw": "b"}}},
            ]
        )
    assert app.count_inputs() == 1
    with pytest.raises(InputError, match="unknown input id"):
        app.search(input_id="nope")
    with pytest.raises(InputError, match="unknown input id"):
        app.annotations(input_id="nope")


@pytest.mark.parametrize(
    ("metadata", "message"),
    [("{not json", "not JSON"), ("[1, 2]", "JSON object"), ({"x": float("nan")}, "serialis")],
)
def test_metadata_that_is_not_a_json_object_is_refused(
    app: App, metadata: Any, message: str
) -> None:
    with pytest.raises(InputError, match=message):
        app.add_inputs(_texts("x"), metadata=metadata)
    assert app.count_inputs() == 0


def test_search_takes_one_legacy_query_and_lists_without_one(app: App) -> None:
    ids = app.add_inputs(_texts("red bucket", "blue spade"))
    assert [h.input.id for h in app.search().hits] == ids[::-1]  # newest first
    with pytest.raises(InputError, match="one of text, image, concept or input_id"):
        app.search(text="a", concept="b")

def test_the_empty_base_workflow_stores_without_indexing(tmp_path: Path) -> None:
    app = App(tmp_path / "app", base_workflow="empty")
    app.add_inputs(_texts("red bucket"))
    assert app.count_inputs() == 1
    with pytest.raises(InputError, match="empty"):
        app.search(text="bucket")


def test_a_rag_prompter_base_workflow_is_refused(tmp_path: Path) -> None:
    wf = Workflow("rag")
    wf.add("rag-prompter", id="rag")
    with pytest.raises(GraphError, match="rag-prompter, which cannot be in a base workflow"):
        App(tmp_path / "app", base_workflow=wf)
    app = App(tmp_path / "other")
    with pytest.raises(GraphError, match="cannot be in a base workflow"):
        app.set_base_workflow(wf)


def test_opening_with_a_different_base_workflow_is_refused(tmp_path: Path) -> None:
    App(tmp_path / "app", base_workflow="text").close()
    App(tmp_path / "app", base_workflow="text").close()  # the same one is fine
    with pytest.raises(InputError, match="already has a base workflow"):
        App(tmp_path / "app", base_workflow="empty")


def test_reindex_swaps_the_index_when_complete(app: App) -> None:
    ids = app.add_inputs(_texts(*TEXTS))
    wf = Workflow("wide")
    wf.add("text-embedder", id="embed", params={"dimensions": 64})
    app.set_base_workflow(wf, reindex=True)
    assert app._search._vectors().dim == 64
    assert app.search(text="sleeping cat", max_results=1).hits[0].input.id == ids[2]
    with App(app.path) as again:  # the new base workflow is stored with the app
        assert again.base_workflow is not None and again.base_workflow.id == "wide"


def test_a_failed_reindex_keeps_the_old_workflow_and_index(
    app: App, monkeypatch: pytest.MonkeyPatch
) -> None:
    app.add_inputs(_texts(*TEXTS))
    before = app.search(text="sleeping cat").hits
    wf = Workflow("wide")
    wf.add("text-embedder", id="embed", params={"dimensions": 64})

    def broken(batch: Any) -> None:
        raise StoreError("disk full")

    monkeypatch.setattr(app._store, "write", broken)
    with pytest.raises(StoreError, match="disk full"):
        app.set_base_workflow(wf, reindex=True)
    monkeypatch.undo()
    assert app.base_workflow is not None and app.base_workflow.id == "text-base"
    assert app.search(text="sleeping cat").hits == before


def test_concept_search_ranks_by_predicted_and_annotated_concepts(tmp_path: Path) -> None:
    wf = Workflow("kw")
    wf.add(
        "regex-based-classifier",
        id="cls",
        params={"regex": "bucket|pail", "concepts": [{"id": "bucket"}]},
    )
    app = App(tmp_path / "app", base_workflow=wf)
    ids = app.add_inputs(_texts("red bucket", "green pail", "a spade"))
    assert sorted(h.input.id for h in app.search(concept="bucket").hits) == sorted(ids[:2])
    assert app.search(concept="spade").hits == []


def test_annotation_status_names_and_codes(app: App) -> None:
    assert app.annotations(status="ANNOTATION_SUCCESS") == []
    assert app.annotations(status="pending") == []
    with pytest.raises(InputError, match="unknown annotation status"):
        app.annotations(status="bogus")


def test_concept_relations_are_validated(app: App) -> None:
    with pytest.raises(InputError, match="predicate must be one of"):
        app.add_concept_relation("a", "b", "cousin")
    with pytest.raises(InputError, match="two different"):
        app.add_concept_relation("a", "a")


def test_an_unwritable_app_path_is_one_clear_error(tmp_path: Path) -> None:
    (tmp_path / "file").write_text("x")
    with pytest.raises(StoreError, match="cannot create the app directory"):
        App(tmp_path / "file" / "app")
    with pytest.raises(OpgraphError, match="not an opgraph app database"):
        App(tmp_path / "file")  # an existing file is taken as the database, and refused


def test_annotation_writer_outside_app_predict_is_refused(app: App) -> None:
    wf = Workflow("w")
    wf.add("annotation-writer", id="write")
    labelled = {"text": {"raw": "x"}, "concepts": [{"id": "x", "value": 1.0}]}
    result = wf.predict([labelled], app=app).results[0]
    assert "app.predict" in (result.outputs[0].status.details or "")


def test_an_image_app_stores_files_and_searches_by_image(tmp_path: Path) -> None:
    paths = []
    for name, bgr in (("red", (0, 0, 255)), ("green", (0, 255, 0)), ("blue", (255, 0, 0))):
        paths.append(tmp_path / f"{name}.png")
        cv2.imwrite(str(paths[-1]), image_array(color=bgr))
    app = App(tmp_path / "app", base_workflow="image")
    ids = app.add_inputs(paths)  # a file's name, then a digest of where it is
    assert [i.split("-")[0] for i in ids] == ["red", "green", "blue"]
    paths[0].unlink()  # the app keeps the bytes, not a reference to the file
    hits = app.search(image=image_array(color=(0, 0, 250)), max_results=1).hits
    assert hits[0].input.id == ids[0]
    [red] = app.get_inputs([ids[0]])
    assert red.data.image is not None and red.data.image.array.shape == (48, 64, 3)


def test_concept_search_includes_labelled_inputs(tmp_path: Path) -> None:
    app = App(tmp_path / "app", base_workflow="empty")
    [iid] = app.add_inputs([{"id": "a", "data": {"text": {"raw": "x"}}}])
    wf = Workflow("label")
    wf.add("annotation-writer", id="write")
    app.predict(wf, [{"id": iid, "data": {"concepts": [{"id": "pail", "value": 1.0}]}}])
    assert [(h.input.id, h.score) for h in app.search(concept="pail").hits] == [("a", 1.0)]


def test_a_base_workflow_changed_by_another_app_object_is_picked_up(tmp_path: Path) -> None:
    first, second = App(tmp_path / "app"), App(tmp_path / "app")
    ids = first.add_inputs(_texts(*TEXTS))
    wf = Workflow("wide")
    wf.add("text-embedder", id="embed", params={"dimensions": 64})
    second.set_base_workflow(wf, reindex=True)
    # the query is embedded with the new workflow, to match the new 64-d index
    assert first.search(text="sleeping cat").hits[0].input.id == ids[2]
    assert first.base_workflow is not None and first.base_workflow.id == "wide"


def test_progress_goes_to_stderr_only_when_asked_or_on_a_terminal(
    app: App, capsys: pytest.CaptureFixture[str]
) -> None:
    app.add_inputs(_texts(*TEXTS))  # auto: small add, stderr not a terminal
    assert capsys.readouterr().err == ""
    app.batch_size = 2
    app.add_inputs(_texts("one", "two", "three"), progress=True)
    err = capsys.readouterr().err
    assert "indexing" in err and "100%" in err and "3/3" in err and err.endswith("\n")


def test_a_killed_writer_leaves_every_input_stored_and_indexed_or_absent(tmp_path: Path) -> None:
    hashing = Workflow("hashing-base")  # pinned: the writer process has no test fixtures
    hashing.add("text-embedder", params={"model": "hashing"})
    App(tmp_path / "app", base_workflow=hashing).close()
    code = (
        "from engine import App\n"
        f"app = App({str(tmp_path / 'app')!r}, batch_size=50)\n"
        "for r in range(1000):\n"
        "    app.add_inputs([{'text': {'raw': f'text {r} {i}'}} for i in range(200)])\n"
    )
    proc = subprocess.Popen([sys.executable, "-c", code])
    app = App(tmp_path / "app")
    deadline = time.monotonic() + 60
    while app.count_inputs() < 300 and time.monotonic() < deadline:
        time.sleep(0.05)
    proc.send_signal(signal.SIGKILL)  # no chance to clean up, mid-batch or not
    proc.wait()
    stored = app.count_inputs()
    assert stored >= 300 and stored % 50 == 0  # whole batches only
    _, ids, _ = app._store.load_vectors(1, 0)
    assert len(ids) == stored  # each stored input is indexed
    app.add_inputs(_texts("after the crash"))  # and the app goes on working


def test_add_inputs_takes_one_input_or_any_iterable(app: App) -> None:
    assert len(app.add_inputs({"text": {"raw": "one"}})) == 1
    assert len(app.add_inputs({"text": {"raw": t}} for t in ("two", "three"))) == 2
    assert app.count_inputs() == 3


def test_a_corrupted_database_is_one_clear_error(tmp_path: Path) -> None:
    with App(tmp_path / "app") as app:
        app.add_inputs(_texts(*(f"text number {i}" for i in range(500))))
    db = tmp_path / "app" / "app.db"
    data = bytearray(db.read_bytes())
    for offset in range(8192, len(data), 4096):  # scribble over every page but the first two
        data[offset + 100 : offset + 300] = bytes(range(200))
    db.write_bytes(bytes(data))
    with pytest.raises(StoreError, match="corrupt"):
        with App(tmp_path / "app") as app:
            app.search(text="text number 5")


def test_changing_the_embedder_without_reindex_is_a_clear_search_error(app: App) -> None:
    app.add_inputs(_texts(*TEXTS))
    wf = Workflow("wide")
    wf.add("text-embedder", id="embed", params={"dimensions": 64})
    app.set_base_workflow(wf, reindex=False)
    with pytest.raises(InputError, match=r"embeds into 64 dimensions but the index holds 384"):
        app.search(text="cat")
    app.add_inputs(_texts("a new input, embedded into 64 dimensions"))
    with pytest.raises(InputError, match="reindex"):
        app.search(text="cat")


def test_inputs_added_by_another_writer_during_a_reindex_are_not_left_out(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    app, other = App(tmp_path / "app"), App(tmp_path / "app")
    app.add_inputs(_texts(*TEXTS))
    switch = app._store.switch_generation
    added: list[str] = []

    def late_writer_then_switch(*args: Any) -> bool:
        if not added:  # another process adds an input just before the switch
            added.extend(other.add_inputs(_texts("a late sleeping cat")))
        return switch(*args)

    monkeypatch.setattr(app._store, "switch_generation", late_writer_then_switch)
    wf = Workflow("wide")
    wf.add("text-embedder", id="embed", params={"dimensions": 64})
    app.set_base_workflow(wf, reindex=True)
    assert len(app._search._vectors()) == 5 and app._search._vectors().dim == 64
    assert added[0] in [h.input.id for h in app.search(text="late sleeping cat").hits]


def test_a_base_workflow_bound_by_a_user_catalog_reopens(tmp_path: Path) -> None:
    catalog = tmp_path / "models.yml"
    catalog.write_text(
        "models:\n  - {model_id: my-embedder, model_type_id: text-embedder,"
        " params: {model: hashing}}\n"
    )
    wf = Workflow.from_yaml(
        "workflow:\n  id: base\n  nodes:\n  - id: embed\n    model: {model_id: my-embedder}\n",
        models=catalog,
    )
    App(tmp_path / "app", base_workflow=wf).close()
    with App(tmp_path / "app") as app:  # no catalog now: the stored YAML carries the binding
        app.add_inputs([{"text": {"raw": "machinery repairs in 2020"}}])
        assert app.search(text="machinery repairs").hits[0].score > 0.5


def test_an_add_racing_a_reindex_is_indexed_in_the_generation_in_use(tmp_path: Path) -> None:
    adder, other = App(tmp_path / "app"), App(tmp_path / "app")
    adder.add_inputs(_texts("alpha beta"))
    base = adder._base.workflow
    assert base is not None
    wide = Workflow("wide")
    wide.add("text-embedder", params={"model": "hashing", "dimensions": 512})
    predict = base.predict

    def reindex_meanwhile(*args: object, **kwargs: object) -> object:
        base.predict = predict  # type: ignore[method-assign]
        other.set_base_workflow(wide, reindex=True)  # switches while this batch is in flight
        return predict(*args, **kwargs)  # type: ignore[arg-type]

    base.predict = reindex_meanwhile  # type: ignore[method-assign]
    adder.add_inputs(_texts("gamma delta"))
    hits = other.search(text="gamma delta").hits
    assert hits and hits[0].input is not None and hits[0].input.data.text is not None
    assert hits[0].input.data.text.raw == "gamma delta"
    assert adder._search._vectors().dim == 512


def test_hit_scores_are_clarifai_scores_in_0_1(app: App) -> None:
    app.add_inputs(_texts("the same words", "entirely different things"))
    hits = app.search(text="the same words").hits
    assert hits[0].score == pytest.approx(1.0, abs=1e-5)
    assert all(0.0 <= h.score <= 1.0 for h in hits)
    assert hits[-1].score < hits[0].score


def test_an_input_searched_by_itself_never_scores_above_1(app: App) -> None:
    # float32 unit vectors are a rounding off unit length: about half of them score
    # 1.0000001 against themselves unless the score is computed in float64 and clamped
    ids = app.add_inputs(_texts(*(f"note number {n} about {w}" for n, w in enumerate(TEXTS * 5))))
    for input_id in ids:
        best = app.search(input_id=input_id, max_results=1).hits[0]
        assert best.input.id == input_id
        assert best.score == 1.0 or 1.0 - 1e-6 < best.score < 1.0

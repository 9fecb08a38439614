"""engine/graph.py: operator resolution, params, model catalogs and edge checks."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

import tests.engine._ops  # noqa: F401  (registers the test operators)
from engine.catalog import load_catalog
from engine.errors import (
    GraphError,
    ParamsError,
    SpecError,
    SpecErrors,
    UnknownOperatorError,
    YamlError,
)
from engine.graph import compile_spec, satisfies
from engine.spec import load_spec


def _wf(*nodes: str) -> str:
    return "workflow:\n  id: w\n  nodes:\n" + "".join(nodes)


KEEP = "  - id: keep\n    model:\n      model_id: keep\n      model_type_id: test-keep-above\n"
UPPER_AFTER_KEEP = (
    "  - id: up\n    model: {model_id: up, model_type_id: test-upper}\n"
    "    node_inputs: [{node_id: keep}]\n"
)


def test_compiles_a_chain_in_yaml_order() -> None:
    g = compile_spec(
        load_spec(
            _wf(
                KEEP,
                "  - id: k2\n    model: {model_id: k2, model_type_id: "
                "test-keep-above}\n    node_inputs: [{node_id: keep}]\n",
            )
        )
    )
    assert [n.id for n in g.nodes] == ["keep", "k2"]
    assert g.ancestors["k2"] == ("keep",)
    assert list(g.dag.edges) == [("keep", "k2")]
    assert [[n.id for n in level] for level in g.levels] == [["keep"], ["k2"]]


def test_unknown_type_suggests_the_closest() -> None:
    text = _wf("  - id: a\n    model: {model_id: a, model_type_id: test-keep-abov}\n")
    with pytest.raises(UnknownOperatorError, match="did you mean 'test-keep-above'") as info:
        compile_spec(load_spec(text))
    assert str(info.value).startswith("<workflow>:5:26:")


def test_unknown_param_suggests_the_closest() -> None:
    text = _wf(KEEP + "      output_info:\n        params:\n          min_valu: 0.2\n")
    with pytest.raises(
        ParamsError, match=r"unknown param 'min_valu'.*did you mean 'min_value'"
    ) as e:
        compile_spec(load_spec(text))
    assert str(e.value).startswith("<workflow>:10:11:")


@pytest.mark.parametrize(("value", "match"), [("2", "less than or equal to 1"), ("abc", "number")])
def test_bad_param_values_are_refused(value: str, match: str) -> None:
    text = _wf(KEEP + f"      output_info:\n        params:\n          min_value: {value}\n")
    with pytest.raises(ParamsError, match=match):
        compile_spec(load_spec(text))


def test_concepts_from_output_info_data_reach_params() -> None:
    text = _wf(
        KEEP + "      output_info:\n        data:\n          concepts: [{id: cat, value: 0.9}]\n"
    )
    node = compile_spec(load_spec(text)).nodes[0]
    assert node.params is not None
    assert node.params.concepts[0].id == "cat"  # type: ignore[attr-defined]


def test_edge_that_cannot_carry_what_a_node_reads() -> None:
    text = _wf(
        "  - id: up\n    model: {model_id: up, model_type_id: test-upper}\n",
        "  - id: keep\n    model: {model_id: keep, model_type_id: test-keep-above}\n"
        "    node_inputs: [{node_id: up}]\n",
    )
    with pytest.raises(GraphError, match="reads 'concepts', which its inputs never carry") as e:
        compile_spec(load_spec(text))
    assert str(e.value).startswith("<workflow>:6:5:")


def test_image_readers_may_look_back_along_the_graph() -> None:
    text = _wf(
        KEEP,
        "  - id: size\n    model: {model_id: s, model_type_id: test-image-size}\n"
        "    node_inputs: [{node_id: keep}]\n",
    )
    assert compile_spec(load_spec(text)).nodes[1].type_id == "test-image-size"


def test_unbound_reference_is_a_warning_unless_strict() -> None:
    text = _wf("  - id: face\n    model: {model_id: no-such-model, user_id: clarifai}\n")
    g = compile_spec(load_spec(text), strict=False)
    assert "references model 'clarifai/no-such-model'" in g.warnings[0]
    assert "--models" in g.warnings[0]
    with pytest.raises(UnknownOperatorError, match="bound to no local implementation"):
        compile_spec(load_spec(text), strict=True)


def test_catalog_binds_a_reference_to_an_operator() -> None:
    catalog = load_catalog(
        "models:\n  - model_id: my-filter\n    user_id: me\n    model_type_id: test-keep-above\n"
        "    params: {min_value: 0.7}\n"
    )
    text = _wf("  - id: f\n    model: {model_id: my-filter, user_id: me, app_id: x}\n")
    node = compile_spec(load_spec(text), models=catalog).nodes[0]
    assert node.type_id == "test-keep-above"
    assert node.params is not None and node.params.min_value == 0.7  # type: ignore[attr-defined]
    other_owner = _wf("  - id: f\n    model: {model_id: my-filter, user_id: you}\n")
    with pytest.raises(UnknownOperatorError):
        compile_spec(load_spec(other_owner), models=catalog)


def test_catalog_errors_have_positions() -> None:
    with pytest.raises(YamlError, match=r"<models>:2:19: unknown key 'model_typ_id'"):
        load_catalog("models:\n  - {model_id: a, model_typ_id: b}\n")


@pytest.mark.parametrize(
    ("written", "read", "ok"),
    [
        ({"regions"}, "regions[].data.concepts", True),
        ({"regions[].data.image"}, "image", True),
        ({"text"}, "regions[].data.concepts", False),
        ({"*"}, "concepts", True),
        (set(), "text", False),
    ],
)
def test_satisfies(written: set[str], read: str, ok: bool) -> None:
    assert satisfies(frozenset(written), read) is ok


def test_image_node_fed_region_images_writes_into_the_regions() -> None:
    text = _wf(
        "  - id: halves\n    model: {model_id: h, model_type_id: test-halves}\n",
        "  - id: size\n    model: {model_id: s, model_type_id: test-image-size}\n"
        "    node_inputs: [{node_id: halves}]\n",
        "  - id: use\n    model: {model_id: u, model_type_id: test-region-concepts}\n"
        "    node_inputs: [{node_id: size}]\n",
    )
    g = compile_spec(load_spec(text))
    size = g.nodes[1]
    assert size.per_region
    assert size.writes == frozenset({"regions", "regions[].data.concepts"})


def test_a_node_that_cannot_be_set_up_is_one_params_error() -> None:
    text = _wf("  - id: m\n    model: {model_id: m, model_type_id: test-broken-set-up}\n")
    graph = compile_spec(load_spec(text))  # params are fine: compiling works
    with pytest.raises(ParamsError, match="cannot set up node 'm': RuntimeError: the runtime"):
        graph.instantiate()


def test_edge_checks_stay_linear_on_ladder_graphs() -> None:
    nodes = ["  - id: n0\n    model: {model_id: n, model_type_id: test-region-concepts}\n"]
    for k in range(1, 60):
        srcs = ", ".join(f"{{node_id: n{j}}}" for j in range(max(0, k - 2), k))
        nodes.append(
            f"  - id: n{k}\n    model: {{model_id: n, model_type_id: test-keep-above}}\n"
            f"    node_inputs: [{srcs}]\n"
        )
    assert len(compile_spec(load_spec(_wf(*nodes))).nodes) == 60


@pytest.mark.parametrize(
    ("catalog", "match"),
    [
        (
            "models:\n  - {model_id: m, model_type_id: test-keep-abov}\n",
            r"<models>:2:34: unknown model_type_id 'test-keep-abov' \(did you mean",
        ),
        (
            "models:\n  - model_id: m\n    model_type_id: test-keep-above\n"
            "    params: {min_value: 7}\n",
            r"<models>:4:14: model 'm' \(test-keep-above\): param 'min_value': Input should be",
        ),
        (
            "models:\n  - model_id: m\n    model_type_id: test-keep-above\n"
            "    params: {min_valu: 0.1}\n",
            r"<models>:4:14: model 'm' \(test-keep-above\): unknown param 'min_valu'",
        ),
    ],
)
def test_catalog_mistakes_are_reported_in_the_catalog(catalog: str, match: str) -> None:
    with pytest.raises(YamlError, match=match):
        load_catalog(catalog)


def test_catalog_params_may_leave_required_ones_to_the_node(tmp_path: Path) -> None:
    (tmp_path / "dets.txt").write_text("1,-1,1,1,5,5,0.9,-1,-1,-1\n")
    catalog = tmp_path / "models.yml"
    catalog.write_text(
        "models:\n  - {model_id: replay, model_type_id: detections-file,"
        " params: {path: dets.txt}}\n  - {model_id: open, model_type_id:"
        " detections-file}\n"
    )
    bindings = {b.model_id: b for b in load_catalog(catalog)}
    assert bindings["replay"].params["path"] == str(tmp_path / "dets.txt")  # beside the catalog
    assert bindings["open"].params == {}


_PARAMS = {
    "prompter": ", output_info: {params: {prompt_template: 'Say {data.text.raw}'}}",
    "regex-based-classifier": ", output_info: {params: {regex: x, concepts: [{id: x}]}}",
    "concept-thresholder": ", output_info: {data: {concepts: [{id: en, value: 0.5}]}}",
}


def _flow(*nodes: tuple[str, str, str | None]) -> str:
    out = "workflow:\n  id: typed\n  nodes:\n"
    for node_id, type_id, src in nodes:
        params = _PARAMS.get(type_id, "")
        model = f"{{model_id: m, model_type_id: {type_id}{params}}}"
        out += f"    - id: {node_id}\n      model: {model}\n"
        if src:
            out += f"      node_inputs: [{{node_id: {src}}}]\n"
    return out


@pytest.mark.parametrize(
    ("first", "second", "read"),
    [
        ("prompter", "image-crop", "regions"),
        ("language-id-operator", "byte-tracker", "regions"),
        ("regex-based-classifier", "object-counter", "regions[].data.concepts"),
        ("byte-tracker", "prompter", "text"),
    ],
)
def test_an_edge_that_can_never_carry_what_the_next_node_reads_is_refused(
    first: str, second: str, read: str
) -> None:
    # given a node that reads one kind of input (text) and passes the rest of it on
    text = _flow(("a", first, None), ("b", second, "a"))
    # then a node after it that reads another kind (regions) can never get any
    with pytest.raises(GraphError, match=f"<workflow>:6:7: node 'b' .* reads '{re.escape(read)}'"):
        compile_spec(load_spec(text))


@pytest.mark.parametrize(
    "nodes",
    [
        # a pass-through that reads nothing forwards the input as it is
        (("s", "random-sample", None), ("t", "byte-tracker", "s")),
        # what a text node passes on keeps its text and its concepts
        (("l", "language-id-operator", None), ("p", "prompter", "l")),
        (("l", "language-id-operator", None), ("c", "concept-thresholder", "l")),
        # a tracker after a detector: the regions are written, not passed on
        (("d", "visual-detector", None), ("t", "byte-tracker", "d")),
    ],
)
def test_edges_that_can_carry_what_the_next_node_reads_compile(
    nodes: tuple[tuple[str, str, str | None], ...],
) -> None:
    assert len(compile_spec(load_spec(_flow(*nodes))).nodes) == 2


def test_every_node_mistake_is_collected_across_params_types_and_edges() -> None:
    text = _flow(
        ("a", "test-keep-above", None),
        ("b", "no-such-type", None),
        ("c", "prompter", None),
        ("d", "image-crop", "c"),
    ).replace("test-keep-above}", "test-keep-above, output_info: {params: {min_value: 9}}}")
    with pytest.raises(SpecErrors) as info:
        compile_spec(load_spec(text))
    assert [(e.line, type(e).__name__) for e in info.value.errors] == [
        (5, "ParamsError"),
        (7, "UnknownOperatorError"),
        (10, "GraphError"),
    ]
    errors: list[SpecError] = []
    graph = compile_spec(load_spec(text), errors=errors)
    assert len(errors) == 3 and [n.type_id for n in graph.nodes] == [
        None,
        None,
        "prompter",
        "image-crop",
    ]

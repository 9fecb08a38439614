"""engine/operator.py: the Context a node sees, JSON params, the registry."""

from __future__ import annotations

import numpy as np
import pytest
from pydantic import Field, ValidationError

from engine import BaseParams, Context, Data, Image, InputError, JsonObject
from engine.operator import get_operator, operator_types, suggest


def _ctx(root: Data, outputs: dict[str, Data | None] | None = None) -> Context:
    return Context(
        root=root,
        input_index=3,
        node_id="crop",
        outputs=outputs or {},
        ancestors={"crop": ("detect",)},
    )


def test_image_is_the_inputs_own_then_upstream_then_the_workflow_inputs() -> None:
    own = Image.from_array(np.zeros((2, 2, 3), np.uint8))
    up = Image.from_array(np.zeros((4, 4, 3), np.uint8))
    root = Image.from_array(np.zeros((8, 8, 3), np.uint8))
    assert _ctx(Data(image=root)).image(Data(image=own)).shape == (2, 2, 3)
    assert _ctx(Data(image=root), {"detect": Data(image=up)}).image(Data()).shape == (4, 4, 3)
    assert _ctx(Data(image=root), {"detect": Data()}).image(Data()).shape == (8, 8, 3)
    with pytest.raises(InputError, match=r"node 'crop' needs an image but input 3 has none"):
        _ctx(Data()).image(Data())


class _P(BaseParams):
    info: JsonObject = Field(default_factory=dict)


@pytest.mark.parametrize(
    ("given", "expected"), [({"a": 1}, {"a": 1}), ('{"a": 1}', {"a": 1}), ("  ", {})]
)
def test_json_object_params_take_mappings_or_json_text(given: object, expected: dict) -> None:
    assert _P.model_validate({"info": given}).info == expected


def test_json_object_params_refuse_bad_json() -> None:
    with pytest.raises(ValidationError, match="not JSON"):
        _P.model_validate({"info": "{oops"})


@pytest.mark.parametrize("text", ["[" * 100_000 + "]" * 100_000, '{"a":' * 1000 + "1" + "}" * 1000])
def test_json_object_params_refuse_json_nested_too_deeply(text: str) -> None:
    with pytest.raises(ValidationError, match="nested more than 512 levels"):
        _P.model_validate({"info": text})
    deep: dict[str, object] = {}
    node = deep
    for _ in range(40):
        node["a"] = node = {}
    with pytest.raises(ValidationError, match="the JSON object is nested more than 32"):
        _P.model_validate({"info": deep})


def test_registry_knows_the_built_in_operators() -> None:
    types = operator_types()
    assert {"concept-thresholder", "byte-tracker", "rag-prompter", "visual-detector"} <= set(types)
    assert get_operator("no-such-type") is None
    assert suggest("byte-trackr", list(types)) == " (did you mean 'byte-tracker'?)"


def test_a_broken_plugin_is_skipped_with_a_warning(monkeypatch: pytest.MonkeyPatch) -> None:
    from engine import operator as op_module

    class _Broken:
        name, value = "broken", "nowhere:load"

        def load(self) -> object:
            raise ModuleNotFoundError("No module named 'nowhere'")

    monkeypatch.setattr(op_module, "_loaded", False)
    monkeypatch.setattr(op_module, "entry_points", lambda group: [_Broken()])
    with pytest.warns(RuntimeWarning, match="plugin 'broken' .* skipped: ModuleNotFoundError"):
        op_module._load_entry_points()

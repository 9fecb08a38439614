"""Requests that used to end in a traceback or lose a batch: node_id types, deep nesting,
numpy dtypes, and one bad input in the middle of a batch of good ones."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from tests.hostile.checks import as_response, batch_intact, cli_refused, quiet
from tests.hostile.fixtures import Files
from tests.hostile.harness import Case, Ctx

__all__ = ["input_cases"]

_TWO_NODES = """workflow:
  id: hostile-edges
  nodes:
    - id: a
      model:
        model_id: a
        model_type_id: image-color-recognizer
    - id: b
      model:
        model_id: b
        model_type_id: concept-thresholder
      node_inputs: {inputs}
"""

NODE_INPUTS = {
    "node-id-list": "[{node_id: [a]}]",
    "node-id-dict": "[{node_id: {a: 1}}]",
    "node-id-int": "[{node_id: 5}]",
    "node-id-null": "[{node_id: null}]",
    "node-id-bool": "[{node_id: true}]",
    "node-id-float": "[{node_id: 1.5}]",
    "node-id-empty": "[{node_id: ''}]",
    "entry-list": "[[a]]",
    "entry-string": "[a]",
    "inputs-mapping": "{node_id: a}",
    "inputs-string": "a",
    "node-id-nested-list": "[{node_id: [[[a]]]}]",
}


def _node_inputs(files: Files, inputs: str, command: str) -> Callable[[Ctx], list[str]]:
    def run(ctx: Ctx) -> list[str]:
        flow = str(files.write(f"{ctx.slug}.yml", _TWO_NODES.format(inputs=inputs)))
        args = ["--input", str(files.png)] if command == "run" else []
        return cli_refused(ctx.cli(command, flow, *args), r"\d+:\d+")

    return run


def _deep(depth: int, leaf: Any = 1, kind: str = "dict") -> Any:
    value = leaf
    for _ in range(depth):
        value = {"k": value} if kind == "dict" else [value]
    return value


def _text(t: str = "hello world") -> dict[str, Any]:
    return {"data": {"text": {"raw": t}}}


def _deep_metadata(files: Files, depth: int, entry: str) -> Callable[[Ctx], list[str]]:
    def run(ctx: Ctx) -> list[str]:
        bad = {"data": {"text": {"raw": "x"}, "metadata": _deep(depth)}}
        if entry == "predict":
            from engine import Workflow

            response = Workflow.from_yaml(files.text_flow).predict([_text(), bad, _text()])
            return batch_intact(response, 3, bad=[1], strict=False)
        # through --json-input; json.dumps itself cannot write past its recursion limit
        request = files.write(f"{ctx.slug}.json",
                              json.dumps([_text(), {"data": {"text": {"raw": "x"}}}, _text()])
                              .replace('"raw": "x"}', '"raw": "x"}, "metadata": '
                                       + '{"k": ' * depth + "1" + "}" * depth, 1))
        res = ctx.cli("run", str(files.text_flow), "--json-input", str(request))
        if res.code == 2:
            return cli_refused(res, r"deep|nest")
        try:
            return batch_intact(as_response(json.loads(res.out)), 3, bad=[1], strict=False)
        except ValueError:
            return [f"lost: no JSON response (exit {res.code})"]

    return run


def _deep_json(files: Files, depth: int, shape: str) -> Callable[[Ctx], list[str]]:
    def run(ctx: Ctx) -> list[str]:
        if shape == "list":
            text = "[" * depth + "]" * depth
        elif shape == "dict":
            text = '{"a": ' * depth + "1" + "}" * depth
        elif shape == "in-inputs":
            text = '{"inputs": [' + "[" * depth + "]" * depth + "]}"
        else:  # inside the data of one input
            nested = "[" * depth + "]" * depth
            text = '[{"data": {"text": {"raw": "x"}, "concepts": ' + nested + "}}]"
        request = files.write(f"{ctx.slug}.json", text)
        res = ctx.cli("run", str(files.text_flow), "--json-input", str(request))
        return cli_refused(res, r"deep|nest|json", codes=(1, 2))

    return run


_JSON_PARAM = """workflow:
  id: hostile-json-param
  nodes:
    - id: w
      model:
        model_id: w
        model_type_id: annotation-writer
        output_info:
          params: {{annotation_info: '{text}'}}
"""


def _deep_json_param(files: Files, depth: int, shape: str) -> Callable[[Ctx], list[str]]:
    """A JSON object param given as JSON text (as Clarifai's Portal sends it), nested deep."""

    def run(ctx: Ctx) -> list[str]:
        if shape == "list":
            text = '{"k": ' + "[" * depth + "]" * depth + "}"
        else:
            text = '{"k": ' * depth + "1" + "}" * depth
        flow = files.write(f"{ctx.slug}.yml", _JSON_PARAM.format(text=text))
        return cli_refused(ctx.cli("validate", str(flow)), r"deep|nest|json")

    return run


def _deep_yaml(files: Files, depth: int, shape: str) -> Callable[[Ctx], list[str]]:
    def run(ctx: Ctx) -> list[str]:
        if shape == "flow":
            nested = "[" * depth + "]" * depth
        else:
            nested = "{a: " * depth + "1" + "}" * depth
        text = f"workflow:\n  id: deep\n  nodes: {nested}\n"
        return cli_refused(ctx.cli("validate", str(files.write(f"{ctx.slug}.yml", text))),
                           r"\d+:\d+")

    return run


def _arrays() -> dict[str, Any]:
    import numpy as np

    img = np.zeros((8, 8, 3), np.uint8)
    return {
        "object": np.empty((8, 8, 3), dtype=object),
        "object-ints": img.astype(object),
        "unicode": np.full((8, 8, 3), "a", dtype="<U3"),
        "bytes": np.full((8, 8, 3), b"a", dtype="S2"),
        "complex": img.astype(np.complex128),
        "datetime": np.zeros((8, 8, 3), dtype="datetime64[s]"),
        "structured": np.zeros((8, 8), dtype=[("r", "u1"), ("g", "u1"), ("b", "u1")]),
        "void": np.zeros((8, 8, 3), dtype="V4"),
        "bool": img.astype(bool),
        "float-nan": np.full((8, 8, 3), np.nan),
        "float-inf": np.full((8, 8, 3), -np.inf, dtype=np.float32),
        "float16": img.astype(np.float16),
        "int64-huge": np.full((8, 8, 3), 2**62, dtype=np.int64),
        "uint32": np.full((8, 8, 3), 2**31, dtype=np.uint32),
        "4d": np.zeros((2, 8, 8, 3), np.uint8),
        "1d": np.zeros(12, np.uint8),
        "0-size": np.zeros((0, 8, 3), np.uint8),
        "2-channels": np.zeros((8, 8, 2), np.uint8),
        "strided": np.zeros((16, 16, 3), np.uint8)[::2, ::-2],
        "0-d": np.array(5),
    }


def _numpy(files: Files, name: str) -> Callable[[Ctx], list[str]]:
    def run(ctx: Ctx) -> list[str]:
        import numpy as np

        from engine import Workflow

        good = np.full((8, 8, 3), 100, np.uint8)
        mark = ctx.err_mark()
        response = Workflow.from_yaml(files.image_flow).predict([good, _arrays()[name], good])
        results = response.results
        problems = [] if len(results) == 3 else [f"lost: {len(results)} results for 3 inputs"]
        problems += [p for p in batch_intact(response, 3, bad=[1]) if "bad input" not in p]
        return problems + quiet(ctx, mark)

    return run


def _bad_items(files: Files) -> dict[str, Any]:
    return {
        "none": None,
        "int": 5,
        "list": [1, 2],
        "empty-dict": {},
        "data-string": {"data": "x"},
        "image-url-int": {"data": {"image": {"url": 5}}},
        "id-list": {"id": ["x"], "data": {"text": {"raw": "x"}}},
        "id-dict": {"id": {"a": 1}, "data": {"text": {"raw": "x"}}},
        "id-huge": {"id": "x" * 100_000, "data": {"text": {"raw": "x"}}},
        "concepts-string": {"data": {"text": {"raw": "x"}, "concepts": "x"}},
        "metadata-string": {"data": {"text": {"raw": "x"}, "metadata": "x"}},
        "metadata-list": {"data": {"text": {"raw": "x"}, "metadata": [1, 2]}},
        "text-raw-int": {"data": {"text": {"raw": 5}}},
        "text-lone-surrogate": {"data": {"text": {"raw": "a\ud800b"}}},
        "bad-base64": {"data": {"image": {"base64": "!!!not base64"}}},
        "base64-not-image": {"data": {"image": {"base64": "aGVsbG8="}}},
        "region-nan-box": {"data": {"text": {"raw": "x"}, "regions": [{"region_info": {
            "bounding_box": {"top_row": "nan", "left_col": 0, "bottom_row": 1,
                             "right_col": 1}}}]}},
        "missing-file": "/nonexistent/hostile.png",
        "directory": str(files.dir),
        "private-url": {"data": {"image": {"url": "http://10.0.0.1/x.png"}}},
        "huge-header-png": files.png_header_only("header-200MP.png", 20000, 10000).read_bytes(),
        "video-base64-garbage": {"data": {"video": {"base64": "aGVsbG8gd29ybGQ="}}},
        "deep-metadata": {"data": {"text": {"raw": "x"}, "metadata": _deep(400)}},
        "frames-bad": {"data": {"text": {"raw": "x"}, "frames": [{"frame_info": {"index": -1}}]}},
    }


def _lost(files: Files, name: str) -> Callable[[Ctx], list[str]]:
    def run(ctx: Ctx) -> list[str]:
        from engine import Workflow

        mark = ctx.err_mark()
        bad = _bad_items(files)[name]
        response = Workflow.from_yaml(files.text_flow).predict([_text(), bad, _text("second")])
        problems = batch_intact(response, 3, bad=[1], strict=name in _MUST_FAIL)
        return problems + quiet(ctx, mark)

    return run


def _lost_cli(files: Files, name: str) -> Callable[[Ctx], list[str]]:
    def run(ctx: Ctx) -> list[str]:
        bad = _bad_items(files)[name]
        request = files.write(f"{ctx.slug}.json", json.dumps([_text(), bad, _text("second")]))
        res = ctx.cli("run", str(files.text_flow), "--json-input", str(request))
        if res.code == 2 and name in _REQUEST_REFUSED:
            return cli_refused(res)  # refused whole, before running, with one clear line
        try:
            doc = json.loads(res.out)
        except ValueError:
            return [f"lost: the whole batch was refused (exit {res.code}): {res.err.strip()[:160]}"]
        strict = name in _MUST_FAIL
        problems = [] if res.code == 1 or not strict else [f"exit: expected 1, got {res.code}"]
        return problems + batch_intact(as_response(doc), 3, bad=[1], strict=strict)

    return run


# inputs that cannot be run: they must fail (the others may be accepted)
_MUST_FAIL = frozenset({"none", "int", "list", "empty-dict", "data-string", "image-url-int",
                        "bad-base64", "base64-not-image", "missing-file", "directory",
                        "private-url", "huge-header-png", "video-base64-garbage"})

# a JSON request past the parser's bounds may be refused whole (exit 2, one line)
_REQUEST_REFUSED = frozenset({"deep-metadata"})

_JSONABLE = ("none", "int", "list", "empty-dict", "data-string", "image-url-int", "id-list",
             "id-dict", "concepts-string", "metadata-string", "text-raw-int", "bad-base64",
             "private-url", "deep-metadata", "region-nan-box", "frames-bad")


def input_cases(files: Files) -> list[Case]:
    cases = [
        Case(f"node-id-types/{command}/{name}", "node-id-types", "specsafe",
             _node_inputs(files, inputs, command),
             repro=f"opgraph {command} flow.yml  (node_inputs: {inputs})")
        for name, inputs in NODE_INPUTS.items()
        for command in ("validate", "run", "graph")
    ]
    cases += [
        Case(f"deep-metadata/{entry}/{depth}", "deep-metadata", "specsafe",
             _deep_metadata(files, depth, entry),
             repro=f"metadata nested {depth} deep in the middle input of 3 ({entry})")
        for depth in (300, 1000, 5000, 50000)
        for entry in ("predict", "json-input")
    ]
    cases += [
        Case(f"deep-json/{shape}/{depth}", "deep-json", "specsafe", _deep_json(files, depth, shape),
             repro=f"opgraph run --json-input <{shape} nested {depth} deep>")
        for shape in ("list", "dict", "in-inputs", "in-data")
        for depth in (1000, 100_000)
    ]
    cases += [
        Case(f"deep-json/param-text-{shape}/{depth}", "deep-json", "specsafe",
             _deep_json_param(files, depth, shape),
             repro=f"annotation_info: '<JSON text, {shape} nested {depth} deep>'; validate")
        for shape in ("list", "dict")
        for depth in (1000, 100_000)
    ]
    cases += [
        Case(f"deep-yaml/{shape}/{depth}", "deep-yaml", "specsafe", _deep_yaml(files, depth, shape),
             repro=f"opgraph validate <nodes nested {depth} deep ({shape})>")
        for shape in ("flow", "mapping")
        for depth in (1000, 100_000)
    ]
    cases += [
        Case(f"numpy-dtypes/{name}", "numpy-dtypes", "netsec", _numpy(files, name),
             repro=f"predict([img, <{name} array>, img])")
        for name in _arrays()
    ]
    cases += [
        Case(f"lost-inputs/predict/{name}", "lost-inputs", _lost_owner(name), _lost(files, name),
             timeout_s=20, repro=f"predict([text, <{name}>, text])")
        for name in _bad_items(files)
    ]
    cases += [
        Case(f"lost-inputs/json-input/{name}", "lost-inputs", _lost_owner(name),
             _lost_cli(files, name), timeout_s=20,
             repro=f"opgraph run text.yml --json-input [text, <{name}>, text]")
        for name in _JSONABLE
    ]
    return cases


def _lost_owner(name: str) -> str:
    media = ("bad-base64", "base64-not-image", "missing-file", "directory", "private-url",
             "huge-header-png", "video-base64-garbage")
    return "netsec" if name in media else "specsafe"


_ = quiet

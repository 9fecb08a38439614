"""Tiny ONNX graphs built with the ``onnx`` helper API, for the model-node tests."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

_OPSET = [helper.make_opsetid("", 17)]


def _save(graph: onnx.GraphProto, path: Path) -> Path:
    model = helper.make_model(graph, opset_imports=_OPSET, ir_version=8)
    onnx.checker.check_model(model)
    onnx.save(model, str(path))
    return path


def _image_input(size: int) -> onnx.ValueInfoProto:
    return helper.make_tensor_value_info("images", TensorProto.FLOAT, [1, 3, size, size])


def constant_detector(path: Path, rows: np.ndarray, size: int = 64) -> Path:
    """Outputs ``rows`` whatever the image: ``0 * mean(images) + rows`` keeps the input wired."""
    rows = np.asarray(rows, dtype=np.float32)[None]
    graph = helper.make_graph(
        [
            helper.make_node("ReduceMean", ["images"], ["m"], keepdims=0),
            helper.make_node("Mul", ["m", "zero"], ["z"]),
            helper.make_node("Add", ["rows", "z"], ["output0"]),
        ],
        "constant_detector",
        [_image_input(size)],
        [helper.make_tensor_value_info("output0", TensorProto.FLOAT, list(rows.shape))],
        initializer=[
            numpy_helper.from_array(np.zeros((), np.float32), "zero"),
            numpy_helper.from_array(rows, "rows"),
        ],
    )
    return _save(graph, path)


def mean_colour_head(path: Path, weights: np.ndarray, size: int = 8, name: str = "head") -> Path:
    """Mean colour per channel times ``weights`` (3 x K): a colour classifier or embedder."""
    w = np.asarray(weights, dtype=np.float32)
    graph = helper.make_graph(
        [
            helper.make_node("ReduceMean", ["images"], ["m"], axes=[2, 3], keepdims=0),
            helper.make_node("MatMul", ["m", "w"], ["output0"]),
        ],
        name,
        [_image_input(size)],
        [helper.make_tensor_value_info("output0", TensorProto.FLOAT, [1, w.shape[1]])],
        initializer=[numpy_helper.from_array(w, "w")],
    )
    return _save(graph, path)


def constant_outputs(path: Path, outputs: list[np.ndarray], size: int = 64) -> Path:
    """Outputs ``output0``, ``output1``, ... = the given arrays whatever the image (each
    ``+ 0 * mean(images)`` keeps the input wired): a YOLO head with its extra outputs."""
    nodes = [helper.make_node("ReduceMean", ["images"], ["m"], keepdims=0),
             helper.make_node("Mul", ["m", "zero"], ["z"])]
    inits = [numpy_helper.from_array(np.zeros((), np.float32), "zero")]
    outs = []
    for k, arr in enumerate(outputs):
        arr = np.asarray(arr, dtype=np.float32)
        nodes.append(helper.make_node("Add", [f"c{k}", "z"], [f"output{k}"]))
        inits.append(numpy_helper.from_array(arr, f"c{k}"))
        outs.append(helper.make_tensor_value_info(f"output{k}", TensorProto.FLOAT,
                                                  list(arr.shape)))
    graph = helper.make_graph(nodes, "constant_outputs", [_image_input(size)], outs,
                              initializer=inits)
    return _save(graph, path)


def pixel_classifier(path: Path, weights: np.ndarray, width: int, height: int) -> Path:
    """Class scores per pixel: a 1 x 1 convolution of the channels by ``weights`` (C x 3),
    output ``[1, C, height, width]``: a semantic segmenter that goes by colour."""
    w = np.asarray(weights, dtype=np.float32)
    graph = helper.make_graph(
        [helper.make_node("Conv", ["images", "w"], ["output0"])],
        "pixel_classifier",
        [helper.make_tensor_value_info("images", TensorProto.FLOAT, [1, 3, height, width])],
        [helper.make_tensor_value_info("output0", TensorProto.FLOAT,
                                       [1, w.shape[0], height, width])],
        initializer=[numpy_helper.from_array(w.reshape(w.shape[0], 3, 1, 1), "w")],
    )
    return _save(graph, path)


def token_bag_text_tower(path: Path, table: np.ndarray, length: int | None = 16) -> Path:
    """A text tower: the sum of each real token's row of ``table`` (V x D), masked by the
    attention mask; inputs ``input_ids`` and ``attention_mask`` ``[1, length]`` int64."""
    t = np.asarray(table, dtype=np.float32)
    dims: list[int | str] = [1, length if length is not None else "L"]
    graph = helper.make_graph(
        [
            helper.make_node("Gather", ["table", "input_ids"], ["rows"], axis=0),
            helper.make_node("Cast", ["attention_mask"], ["maskf"], to=TensorProto.FLOAT),
            helper.make_node("Unsqueeze", ["maskf", "last"], ["mask3"]),
            helper.make_node("Mul", ["rows", "mask3"], ["kept"]),
            helper.make_node("ReduceSum", ["kept", "tokens"], ["text_embeds"], keepdims=0),
        ],
        "token_bag",
        [helper.make_tensor_value_info("input_ids", TensorProto.INT64, dims),
         helper.make_tensor_value_info("attention_mask", TensorProto.INT64, dims)],
        [helper.make_tensor_value_info("text_embeds", TensorProto.FLOAT, [1, t.shape[1]])],
        initializer=[
            numpy_helper.from_array(t, "table"),
            numpy_helper.from_array(np.array([2], np.int64), "last"),
            numpy_helper.from_array(np.array([1], np.int64), "tokens"),
        ],
    )
    return _save(graph, path)

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

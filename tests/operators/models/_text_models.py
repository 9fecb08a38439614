"""A tiny BERT-style tokenizer.json (built with ``tokenizers``) and ONNX text models."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

SPECIAL = ["[PAD]", "[UNK]", "[CLS]", "[SEP]"]
_OPSET = [helper.make_opsetid("", 17)]


def bert_tokenizer(path: Path, vocab: list[str], lowercase: bool = True) -> Path:
    """A WordPiece tokenizer: ``[CLS] text [SEP]``, BERT's normaliser and pre-tokenizer."""
    from tokenizers import Tokenizer, decoders, models, normalizers, pre_tokenizers, processors

    ids = {tok: i for i, tok in enumerate([*SPECIAL, *vocab])}
    tok = Tokenizer(models.WordPiece(ids, unk_token="[UNK]"))
    tok.normalizer = normalizers.BertNormalizer(lowercase=lowercase)
    tok.pre_tokenizer = pre_tokenizers.BertPreTokenizer()
    tok.post_processor = processors.TemplateProcessing(
        single="[CLS] $A [SEP]", special_tokens=[("[CLS]", 2), ("[SEP]", 3)]
    )
    tok.decoder = decoders.WordPiece()
    tok.save(str(path))
    return path


def _inputs() -> list[onnx.ValueInfoProto]:
    return [
        helper.make_tensor_value_info(n, TensorProto.INT64, [1, "T"])
        for n in ("input_ids", "attention_mask", "token_type_ids")
    ]


def _per_token(table: np.ndarray) -> tuple[list[onnx.NodeProto], list[onnx.TensorProto]]:
    """``table[input_ids] * attention_mask + 0 * token_type_ids``: [1, T, C] logits."""
    nodes = [
        helper.make_node("Gather", ["table", "input_ids"], ["g"]),
        helper.make_node("Cast", ["attention_mask"], ["mf"], to=TensorProto.FLOAT),
        helper.make_node("Unsqueeze", ["mf", "last"], ["m3"]),
        helper.make_node("Cast", ["token_type_ids"], ["tf"], to=TensorProto.FLOAT),
        helper.make_node("Unsqueeze", ["tf", "last"], ["t3"]),
        helper.make_node("Mul", ["t3", "zero"], ["t0"]),
        helper.make_node("Mul", ["g", "m3"], ["gm"]),
        helper.make_node("Add", ["gm", "t0"], ["per_token"]),
    ]
    inits = [
        numpy_helper.from_array(np.asarray(table, np.float32), "table"),
        numpy_helper.from_array(np.array([2], np.int64), "last"),
        numpy_helper.from_array(np.zeros((), np.float32), "zero"),
    ]
    return nodes, inits


def _save(graph: onnx.GraphProto, path: Path) -> Path:
    model = helper.make_model(graph, opset_imports=_OPSET, ir_version=8)
    onnx.checker.check_model(model)
    onnx.save(model, str(path))
    return path


def sequence_classifier(path: Path, table: np.ndarray) -> Path:
    """Logits [1, C]: the mean over tokens of ``table[token]`` (a bag-of-words model)."""
    nodes, inits = _per_token(table)
    nodes.append(helper.make_node("ReduceMean", ["per_token"], ["logits"], axes=[1], keepdims=0))
    out = helper.make_tensor_value_info("logits", TensorProto.FLOAT, [1, table.shape[1]])
    return _save(helper.make_graph(nodes, "seq", _inputs(), [out], initializer=inits), path)


def token_classifier(path: Path, table: np.ndarray) -> Path:
    """Logits [1, T, C]: ``table[token]`` for each token."""
    nodes, inits = _per_token(table)
    nodes.append(helper.make_node("Identity", ["per_token"], ["logits"]))
    out = helper.make_tensor_value_info("logits", TensorProto.FLOAT, [1, "T", table.shape[1]])
    return _save(helper.make_graph(nodes, "tok", _inputs(), [out], initializer=inits), path)

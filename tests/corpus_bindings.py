"""The local parts Clarifai's 86 corpus files are bound to, for ``test_corpus_runs``.

Each model id the corpus references is bound, in a catalog written per file, to the opgraph
type that does that model's job: a tiny ONNX file built with ``onnx.helper`` (classifiers,
keypoints, segments, CLIP towers, text classifiers), a local OpenAI-compatible server
(LLMs, image, audio and speech models), a local receiver (webhooks, SMTP, an SMS gateway),
a model trained in the app (clusterers, transfer learning), or the bundled stand-ins.  The
Portal exports (``Nodes__<Group>__<type>.yml``) name their operator only in their file
name, so their model is bound to that type, with the params its job needs.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import cv2
import numpy as np
import pytest
import yaml

from engine.app import App
from engine.operator import ModelBinding

__all__ = [
    "DEPRECATED",
    "FILES",
    "Parts",
    "corpus_input",
    "deprecated_type",
    "local_parts",
    "write_catalog",
]

CORPUS = Path(__file__).resolve().parents[2] / "shared" / "conformance" / "clarifai-workflows"
FILES = sorted(CORPUS.rglob("*.yml")) if CORPUS.is_dir() else []
DEPRECATED = {
    "aws-lambda",
    "custom-code-operator",
    "isolation-operator",
    "neural-lite-tracker",
    "neural-tracker",
    "tesseract-operator",
}
_PORTAL = re.compile(r"__Nodes__\w+__([a-z-]+)\.yml$")
_CLUSTERERS = (
    "general-clusterering",
    "cccbe437d6e54e2bb911c6aa292fb072",
    "face-clustering",
    "datacomp-L14-lopq-1",
)
_ROOMS_VERSION = "3867629b155b4d3ca852e20083d30788"  # the version the file names
_COLOURS = {"red": (0, 0, 230), "green": (0, 200, 0), "blue": (230, 0, 0)}


@dataclass
class Parts:
    """The local parts the corpus's models are bound to."""

    folder: Path
    openai: str  # the OpenAI-compatible server's /v1 URL
    receiver: str  # an HTTP receiver for webhooks and the SMS gateway
    smtp_port: int
    app: App  # images, with the corpus's trained models
    text_app: App  # texts, for the nodes that search an app by text
    clip_app: App  # images indexed by the CLIP towers, as Clarifai's "Universal" app


def _image(colour: str, size: int = 48) -> np.ndarray:
    img = np.full((size, size, 3), 40, np.uint8)
    cv2.rectangle(img, (8, 8), (size - 8, size - 8), _COLOURS[colour], -1)
    return img


def _clip_flow(p: Parts) -> Any:
    from engine import Workflow

    node = {
        "id": "clip",
        "model": {
            "model_id": "clip",
            "model_type_id": "multimodal-embedder",
            "output_info": {"params": _clip(p)},
        },
    }
    return Workflow.from_yaml(yaml.safe_dump({"workflow": {"id": "universal", "nodes": [node]}}))


def _trained_app(path: Path, base_workflow: Any = "image") -> App:
    """An app of coloured images, each labelled with its colour, with the corpus's
    clusterers and its transfer-learned classifier trained on them."""
    app = App(path, base_workflow=base_workflow)
    docs = []
    for k in range(12):
        colour = list(_COLOURS)[k % 3]
        ok, png = cv2.imencode(".png", _image(colour, 32 + k))
        assert ok
        docs.append(
            {
                "id": f"in{k}",
                "data": {"image": {"base64": _b64(png.tobytes())}, "concepts": [{"id": colour}]},
            }
        )
    app.add_inputs(docs)
    for model_id, version_id in _named_versions(_CLUSTERERS):
        app.train_model(
            model_id, "clusterer", params={"n_clusters": 3, "seed": 0}, version_id=version_id
        )
    app.train_model("room-types-transfer-learn", concepts=list(_COLOURS), version_id=_ROOMS_VERSION)
    return app


def _named_versions(model_ids: tuple[str, ...]) -> list[tuple[str, str | None]]:
    """Each (model, version) the corpus names for these models (None: the newest)."""
    found = set()
    for path in FILES:
        for node in yaml.safe_load(path.read_text())["workflow"]["nodes"]:
            model = node["model"]
            if model["model_id"] in model_ids:
                found.add((model["model_id"], model.get("model_version_id")))
    return sorted(found, key=lambda pair: (pair[0], pair[1] or ""))


def _b64(raw: bytes) -> str:
    import base64

    return base64.b64encode(raw).decode()


# ---- what each model is bound to ----------------------------------------------------------


def _classifier(p: Parts, labels: list[str]) -> dict[str, Any]:
    from tests.operators.models._onnx_models import mean_colour_head

    w = np.random.default_rng(len(labels)).normal(size=(3, len(labels)))
    path = mean_colour_head(p.folder / f"classifier{len(labels)}.onnx", w)
    return {"model_path": str(path), "labels": labels}


def _keypointer(p: Parts) -> dict[str, Any]:
    from tests.operators.models._onnx_models import constant_outputs

    # one face at the middle of the 64 x 64 input, five landmarks, all visible
    row = [32, 32, 40, 40, 0.9, 24, 26, 0.9, 40, 26, 0.9, 32, 34, 0.9, 26, 42, 0.9, 38, 42, 0.9]
    path = constant_outputs(p.folder / "landmarks.onnx", [np.array([row]).T[None]])
    return {"model_path": str(path), "labels": ["face"], "num_keypoints": 5}


def _segmenter(p: Parts) -> dict[str, Any]:
    from tests.operators.models._onnx_models import pixel_classifier

    weights = np.array([[0, 0, 1], [0, 1, 0], [1, 0, 0]], np.float32) * 8
    path = pixel_classifier(p.folder / "segmenter.onnx", weights, width=64, height=64)
    return {"model_path": str(path), "labels": ["red", "green", "blue"], "min_value": 0.0}


def _clip(p: Parts) -> dict[str, Any]:
    from tests.operators.models._onnx_models import mean_colour_head, token_bag_text_tower
    from tests.operators.models._tokenizers import word_tokenizer

    words = ["red", "green", "blue"]
    return {
        "image_model_path": str(mean_colour_head(p.folder / "clip-image.onnx", np.eye(3))),
        "text_model_path": str(
            token_bag_text_tower(p.folder / "clip-text.onnx", np.eye(len(words) + 2, 3))
        ),
        "tokenizer_path": str(word_tokenizer(p.folder / "clip-tokenizer.json", words)),
    }


def _text_model(p: Parts, kind: str, labels: list[str]) -> dict[str, Any]:
    from tests.operators.models._text_models import (
        SPECIAL,
        bert_tokenizer,
        sequence_classifier,
        token_classifier,
    )

    vocab = ["new", "york", "is", "great", "awful"]
    table = np.random.default_rng(1).normal(size=(len(SPECIAL) + len(vocab), len(labels)))
    build = sequence_classifier if kind == "sequence" else token_classifier
    path = build(p.folder / f"{kind}.onnx", table)
    tokenizer = bert_tokenizer(p.folder / f"{kind}-tokenizer.json", vocab)
    return {"model_path": str(path), "tokenizer_path": str(tokenizer), "labels": labels}


def _endpoint(p: Parts, model: str, **more: Any) -> dict[str, Any]:
    return {"base_url": p.openai, "model": model, "backoff": 0, **more}


_NAMED: dict[str, Callable[[Parts], tuple[str, dict[str, Any]]]] = {
    "general-image-recognition": lambda p: ("visual-classifier", _classifier(p, list("abcde"))),
    "aaa03c23b3724a16a56b629203edc62c": lambda p: (
        "visual-classifier",
        _classifier(p, list("abcde")),
    ),
    "moderation-recognition": lambda p: ("visual-classifier", _classifier(p, ["safe", "drug"])),
    "face-sentiment-recognition": lambda p: (
        "visual-classifier",
        _classifier(p, ["happy", "sad", "neutral"]),
    ),
    "ethnicity-demographics-recognition": lambda p: (
        "visual-classifier",
        _classifier(p, ["a", "b", "c", "d"]),
    ),
    "gender-demographics-recognition": lambda p: (
        "visual-classifier",
        _classifier(p, ["feminine", "masculine"]),
    ),
    "age-demographics-recognition": lambda p: (
        "visual-classifier",
        _classifier(p, ["0-9", "10-19", "20-29", "30-39", "40+"]),
    ),
    "casw2": lambda p: ("visual-classifier", _classifier(p, ["cat", "dog"])),
    "face-identification-transfer-learn": lambda p: ("visual-embedder", {"model": "histogram"}),
    "face-landmarks": lambda p: ("visual-keypointer", _keypointer(p)),
    "image-general-segmentation": lambda p: ("visual-segmenter", _segmenter(p)),
    "CLIP-ViT-L-14-DataComp-XL-s13B-b90K": lambda p: ("multimodal-embedder", _clip(p)),
    "moderation-multilingual-text-classification": lambda p: (
        "text-classifier",
        _text_model(p, "sequence", ["toxic", "clean"]),
    ),
    "sentiment-analysis-twitter-roberta-base": lambda p: (
        "text-classifier",
        _text_model(p, "sequence", ["negative", "neutral", "positive"]),
    ),
    "gemini-pro": lambda p: (  # the Portal's text-token-classifier file names this model
        "text-token-classifier",
        _text_model(p, "token", ["O", "B-LOC", "I-LOC"]),
    ),
    "text-embedding-3-small": lambda p: ("text-embedder", {"model": "hashing"}),
    "mistral-7B-Instruct": lambda p: ("text-to-text", _endpoint(p, "mistral")),
    "GPT-3_5-turbo": lambda p: ("text-to-text", _endpoint(p, "gpt-3.5")),
    "asr-wav2vec2-large-robust-ft-swbd-300h-english": lambda p: (
        "audio-to-text",
        _endpoint(p, "wav2vec2"),
    ),
    "whisper-large-v2": lambda p: ("audio-to-text", _endpoint(p, "whisper")),
    "openai-tts-1-hd": lambda p: ("text-to-audio", _endpoint(p, "tts")),
    "stable-diffusion-xl-beta": lambda p: ("text-to-image", _endpoint(p, "sdxl")),
    "stabilityai-upscale": lambda p: ("image-to-image", _endpoint(p, "upscale")),
    "openai-gpt-4-vision": lambda p: (
        "multimodal-to-text",
        _endpoint(p, "gpt-4v", prompt="describe"),
    ),
    "nougat-base": lambda p: ("image-to-text", _endpoint(p, "nougat", prompt="describe")),
    **{m: (lambda p, m=m: ("clusterer", {"model_id": m})) for m in _CLUSTERERS},
    "room-types-transfer-learn": lambda p: (
        "embeddings-classifier",
        {"model_id": "room-types-transfer-learn"},
    ),
}


def _portal_params(p: Parts, type_id: str) -> dict[str, Any]:
    """The params a Portal export's operator needs (the export carries none)."""
    return {
        "results-push": {"url": p.receiver + "/results", "backoff": 0},
        "status-push": {"url": p.receiver + "/status", "backoff": 0},
        "sms": {
            "gateway_url": p.receiver,
            "account_sid": "AC1",
            "auth_token_env": "OPGRAPH_SMS_TOKEN",
            "from_number": "+15550001111",
            "to_numbers": "+15550002222",
        },
        "email": {
            "smtp_host": "127.0.0.1",
            "smtp_port": p.smtp_port,
            "security": "none",
            "from_address": "a@example.com",
            "to_addresses": "b@example.com",
        },
        "keyword-filter-operator": {"keywords": ["great"]},
        "prompter": {"prompt_template": "Answer briefly: {data.text.raw}"},
        "regex-based-classifier": {"regex": "great", "concepts": [{"id": "praise"}]},
        "concept-thresholder": {"concepts": [{"id": "red", "value": 0.1}]},
        "region-thresholder": {"concepts": [{"id": "red", "value": 0.1}]},
    }.get(type_id, {})


def write_catalog(p: Parts, path: Path) -> tuple[list[ModelBinding], Path]:
    """Every model ``path`` references, bound; also written as a catalog file."""
    portal = _PORTAL.search(path.name)
    bindings = []
    for node in yaml.safe_load(path.read_text())["workflow"]["nodes"]:
        model = node["model"]
        if model.get("model_type_id"):
            continue
        model_id = model["model_id"]
        if model_id.startswith("workflow-model-") and portal:
            type_id, params = portal.group(1), _portal_params(p, portal.group(1))
        elif model_id in _NAMED:
            type_id, params = _NAMED[model_id](p)
        else:
            continue  # the bundled catalog binds it (face-detection, croppers, OCR, ...)
        bindings.append(ModelBinding(model_id=model_id, model_type_id=type_id, params=params))
    catalog = p.folder / f"{path.stem}.models.yml"
    catalog.write_text(
        yaml.safe_dump(
            {
                "models": [
                    {"model_id": b.model_id, "model_type_id": b.model_type_id, "params": b.params}
                    for b in bindings
                ]
            }
        )
    )
    return bindings, catalog


# ---- the inputs ---------------------------------------------------------------------------

_AUDIO = ("asr", "audio-to-text")
_TEXT = (
    "prompter",
    "rag",
    "text-",
    "keyword-filter",
    "regex-based",
    "language-id",
    "tokens-to-entity",
    "Action__",
    "input-filter",
    "random-sample",
    "concept-synonym",
)


def corpus_input(path: Path) -> dict[str, Any]:
    from tests.openai_server import speak

    name = path.name
    if any(k in name for k in _AUDIO):
        return {"data": {"audio": {"base64": _b64(speak("hello"))}}}
    if any(k in name for k in _TEXT):
        return {"data": {"text": {"raw": "New York is great"}}}
    ok, png = cv2.imencode(".png", _image("red", 96))
    assert ok
    return {"data": {"image": {"base64": _b64(png.tobytes())}}}


def local_parts(folder: Path) -> Iterator[Parts]:
    """The local servers and apps, running until the generator is closed."""
    from aiosmtpd.controller import Controller

    from tests.http_servers import serve
    from tests.openai_server import openai_server
    from tests.operators.push._push_helpers import json_route
    from tests.operators.push.test_email_alert import Inbox, _free_port

    with pytest.MonkeyPatch.context() as env:
        env.setenv("OPGRAPH_ALLOW_PRIVATE_URLS", "127.0.0.0/8")
        env.setenv("OPGRAPH_SMS_TOKEN", "t")
        env.delenv("OPENAI_API_KEY", raising=False)
        box = Inbox(_free_port())
        smtp = Controller(box, hostname="127.0.0.1", port=box.port)
        smtp.start()
        try:
            with openai_server() as openai, serve(json_route([])) as receiver:
                app = _trained_app(folder / "app")
                text_app = App(folder / "text-app", base_workflow="text")
                text_app.add_inputs(
                    [
                        {"data": {"text": {"raw": t}}}
                        for t in ("New York is great.", "Paris is awful in August.")
                    ]
                )
                parts = Parts(folder, openai.url, receiver.url, box.port, app, text_app, app)
                parts.clip_app = _trained_app(folder / "clip-app", _clip_flow(parts))
                yield parts
                for each in (app, text_app, parts.clip_app):
                    each.close()
        finally:
            smtp.stop()


def deprecated_type(path: Path) -> str | None:
    portal = _PORTAL.search(path.name)
    return portal.group(1) if portal and portal.group(1) in DEPRECATED else None

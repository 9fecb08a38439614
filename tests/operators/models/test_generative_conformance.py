"""Clarifai's own single-node workflow files for the generative types run, with a catalog
binding each model id to the matching opgraph type on the local OpenAI-compatible server."""

from __future__ import annotations

import base64
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from engine import Image, ModelBinding, StatusCode, Workflow
from engine.proto import Audio, Data
from tests.openai_server import FakeOpenAI, hear, speak

CONFORMANCE = Path(__file__).resolve().parents[4] / "shared" / "conformance" / "clarifai-workflows"
RED = np.full((16, 24, 3), (0, 0, 255), np.uint8)

# file, the model it references (user, app, id), the type it is bound to, an input, a check
CASES: list[tuple[str, tuple[str, str, str], str, Any, Any]] = [
    ("Edit__multimodal-to-text", ("openai", "chat-completion", "openai-gpt-4-vision"),
     "multimodal-to-text", lambda: Data(image=Image.from_array(RED)),
     lambda d: d.text.raw == "DESCRIBE | 24x16 red"),
    ("Predict__image-to-text", ("facebook", "nougat", "nougat-base"), "image-to-text",
     lambda: Data(image=Image.from_array(RED)), lambda d: d.text.raw == "DESCRIBE | 24x16 red"),
    ("Edit__text-to-image", ("stability-ai", "stable-diffusion-2", "stable-diffusion-xl-beta"),
     "text-to-image", lambda: {"text": {"raw": "a blue sky"}},
     lambda d: d.image.image_info.width == 256),
    ("Edit__image-to-image", ("stability-ai", "Upscale", "stabilityai-upscale"),
     "image-to-image", lambda: Data(image=Image.from_array(RED)),
     lambda d: d.image.image_info.height == 16),
    ("Edit__text-to-audio", ("openai", "tts", "openai-tts-1-hd"), "text-to-audio",
     lambda: {"text": {"raw": "hi"}}, lambda d: hear(base64.b64decode(d.audio.base64)) == "hi"),
    ("Predict__audio-to-text", ("openai", "whisper", "whisper-large-v2"), "audio-to-text",
     lambda: Data(audio=Audio.from_source(speak("whisper"))), lambda d: d.text.raw == "whisper"),
]


@pytest.mark.parametrize(("name", "ref", "type_id", "make_input", "check"), CASES,
                         ids=[c[0] for c in CASES])
def test_clarifai_workflow_file_runs_bound_to_the_local_endpoint(
    openai: FakeOpenAI, name: str, ref: tuple[str, str, str], type_id: str,
    make_input: Any, check: Any,
) -> None:
    path = CONFORMANCE / f"examples__workflows__configs__Nodes__{name}.yml"
    if not path.exists():
        pytest.skip("conformance corpus not present")
    user, app, model_id = ref
    params: dict[str, Any] = {"base_url": openai.url, "model": model_id, "backoff": 0}
    if type_id in ("image-to-text", "multimodal-to-text"):
        params["prompt"] = "describe"
    binding = ModelBinding(model_id=model_id, user_id=user, app_id=app,
                           model_type_id=type_id, params=params)
    wf = Workflow.from_yaml(path, models=[binding])
    out = wf.predict([make_input()]).results[0].outputs[0]
    assert out.status.code == StatusCode.SUCCESS, out.status.details
    assert check(out.data)
    assert openai.requests[0]["path"].startswith("/v1/")

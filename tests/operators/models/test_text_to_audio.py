"""text-to-audio against the local OpenAI-compatible server: the audio lands in data.audio."""

from __future__ import annotations

import base64
from typing import Any

import pytest

from engine import Context, Data, ParamsError, Text, Workflow
from operators.models.text_to_audio import TextToAudio
from tests.openai_server import FakeOpenAI, hear


def _op(openai: FakeOpenAI, **params: Any) -> TextToAudio:
    return TextToAudio(TextToAudio.Params(base_url=openai.url, model="tts", backoff=0, **params))


def _say(op: TextToAudio, text: str) -> Data:
    data = Data(text=Text(raw=text))
    out = op.process(data, Context(root=data))
    assert out is not None
    return out


def test_the_speech_lands_in_data_audio_with_its_info(openai: FakeOpenAI) -> None:
    out = _say(_op(openai, voice="nova", instructions="calm"), "hello there")
    assert out.audio is not None and out.audio.base64
    wav = base64.b64decode(out.audio.base64)
    assert hear(wav) == "hello there"
    info = out.audio.audio_info
    assert info is not None and info.audio_format == "wav" and info.sample_rate == 16000
    assert info.duration_seconds == pytest.approx(11 * 0.04)
    assert openai.requests[0]["body"] == {
        "model": "tts", "input": "hello there", "voice": "nova", "response_format": "wav",
        "speed": 1.0, "instructions": "calm",
    }
    assert openai.requests[0]["headers"]["Accept"] == "audio/*"


def test_a_reply_that_is_not_audio_fails(openai: FakeOpenAI) -> None:
    openai.script = [(200, {"not": "audio"}, {}, 0.0)]
    with pytest.raises(ValueError, match="not audio"):
        _say(_op(openai), "x")


def test_the_servers_refusal_is_reported(openai: FakeOpenAI) -> None:
    with pytest.raises(ValueError, match="HTTP 400: this server speaks wav only"):
        _say(_op(openai, response_format="mp3"), "x")


def test_one_node_graph_and_no_text(openai: FakeOpenAI) -> None:
    wf = Workflow("speak")
    wf.add("text-to-audio", params={"base_url": openai.url, "model": "tts"})
    ok, bad = wf.predict([{"text": {"raw": "ok"}}, {"metadata": {"a": 1}}]).results
    assert ok.outputs[0].to_dict()["data"]["audio"]["audio_info"]["audio_format"] == "wav"
    assert "needs text.raw" in (bad.outputs[0].status.details or "")


@pytest.mark.parametrize(
    ("params", "match"),
    [
        ({"model": "m", "speed": 5}, "speed"),
        ({"model": "m", "response_format": "pcm"}, "response_format"),
        ({"model": "m", "voice": ""}, "voice"),
        ({"model": "m", "instructions": "x" * 5000}, "instructions"),
        ({"model": "m", "stream": True}, "unknown param"),
    ],
)
def test_bad_params_are_refused(params: dict[str, Any], match: str) -> None:
    with pytest.raises(ParamsError, match=match):
        Workflow("w").add("text-to-audio", params=params)

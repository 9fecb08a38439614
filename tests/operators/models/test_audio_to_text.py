"""audio-to-text against the local OpenAI-compatible server: multipart upload, audio inputs."""

from __future__ import annotations

import base64
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from engine import Context, Data, InputError, ParamsError, StatusCode, Workflow
from engine.proto import Audio
from operators.models.audio_to_text import AudioToText
from tests.openai_server import FakeOpenAI, speak


def _op(openai: FakeOpenAI, **params: Any) -> AudioToText:
    params = {"base_url": openai.url, "model": "whisper", "backoff": 0, **params}
    return AudioToText(AudioToText.Params(**params))


def _hear(op: AudioToText, audio: Audio) -> Data:
    data = Data(audio=audio)
    out = op.process(data, Context(root=data))
    assert out is not None
    return out


def test_the_audio_goes_as_a_multipart_file_and_the_transcript_is_the_text(
    openai: FakeOpenAI,
) -> None:
    wav = speak("good morning")
    out = _hear(_op(openai, language="en", prompt="greetings", temperature=0.0),
                Audio(base64=base64.b64encode(wav).decode()))
    assert out.text is not None and out.text.raw == "good morning"
    assert out.metadata == {"usage": {"prompt_tokens": 7, "completion_tokens": 2}}
    form = openai.requests[0]["body"]
    assert form["file"].filename == "audio.wav" and form["file"].content_type == "audio/wav"
    assert form["file"].data == wav
    fields = {k: v.data.decode() for k, v in form.items() if k != "file"}
    assert fields == {"model": "whisper", "response_format": "json", "language": "en",
                      "prompt": "greetings", "temperature": "0.0"}


def test_audio_from_a_file_bytes_and_a_url(openai: FakeOpenAI, tmp_path: Path) -> None:
    path = tmp_path / "note.wav"
    path.write_bytes(speak("file"))
    assert _hear(_op(openai), Audio.from_source(str(path))).text.raw == "file"  # type: ignore[union-attr]
    assert _hear(_op(openai), Audio.from_source(speak("bytes"))).text.raw == "bytes"  # type: ignore[union-attr]
    openai.files["say.wav"] = speak("url")
    url = openai.url.removesuffix("/v1") + "/files/say.wav"
    assert _hear(_op(openai), Audio(url=url)).text.raw == "url"  # type: ignore[union-attr]


@pytest.mark.parametrize(
    ("audio", "match"),
    [
        (Audio(base64="@@@"), "not valid base64"),
        (Audio(base64=base64.b64encode(b"plain text, not audio").decode()), "not audio opgraph"),
        (Audio.from_source(b""), "empty"),
        (Audio(), "no source"),
        (Audio.from_source("/no/such/file.wav"), "no such audio file"),
    ],
)
def test_bad_audio_is_that_inputs_error(openai: FakeOpenAI, audio: Audio, match: str) -> None:
    with pytest.raises(InputError, match=match):
        _hear(_op(openai), audio)
    assert openai.requests == []


def test_too_big_audio_is_refused(openai: FakeOpenAI, monkeypatch: pytest.MonkeyPatch) -> None:
    from engine import audio

    monkeypatch.setattr(audio.settings, "max_audio_bytes", 1000)
    with pytest.raises(InputError, match="more than the 1000-byte"):
        _hear(_op(openai), Audio.from_source(speak("a long sentence")))


def test_speak_then_transcribe_round_trips_in_a_graph(openai: FakeOpenAI) -> None:
    wf = Workflow.from_yaml(f"""
workflow:
  id: round-trip
  nodes:
    - id: say
      model:
        model_id: say
        model_type_id: text-to-audio
        output_info: {{params: {{base_url: '{openai.url}', model: tts}}}}
    - id: listen
      model:
        model_id: listen
        model_type_id: audio-to-text
        output_info: {{params: {{base_url: '{openai.url}', model: whisper}}}}
      node_inputs: [{{node_id: say}}]
""")
    resp = wf.predict([{"text": {"raw": "opgraph speaks, 42!"}}])
    listen = resp.results[0].outputs[1]
    assert listen.status.code == StatusCode.SUCCESS
    assert listen.data.text is not None and listen.data.text.raw == "opgraph speaks, 42!"
    assert (listen.prompt_tokens, listen.completion_tokens) == (7, 3)


def test_cli_runs_an_audio_file_input(openai: FakeOpenAI, tmp_path: Path) -> None:
    (tmp_path / "speech.wav").write_bytes(speak("from the cli"))
    flow = tmp_path / "asr.yml"
    flow.write_text(
        "workflow:\n  id: asr\n  nodes:\n    - id: asr\n      model:\n        model_id: asr\n"
        "        model_type_id: audio-to-text\n        output_info:\n"
        f"          params: {{base_url: '{openai.url}', model: whisper}}\n"
    )
    proc = subprocess.run(
        [sys.executable, "-m", "engine", "run", str(flow), "--input", str(tmp_path), "-q"],
        capture_output=True, text=True, timeout=120, check=False,
    )
    assert proc.returncode == 0, proc.stderr
    result = json.loads(proc.stdout)["results"][0]
    assert result["input"]["id"] == "speech"
    assert result["outputs"][0]["data"]["text"]["raw"] == "from the cli"


def test_a_json_request_with_audio_base64(openai: FakeOpenAI) -> None:
    wf = Workflow("asr")
    wf.add("audio-to-text", params={"base_url": openai.url, "model": "w"})
    b64 = base64.b64encode(speak("json")).decode()
    out = wf.predict([{"data": {"audio": {"base64": b64}}}]).results[0].outputs[0]
    assert out.data.text is not None and out.data.text.raw == "json"
    bad = wf.predict([{"data": {"audio": {"base64": "%%%"}}}]).results[0]
    assert "not valid base64" in (bad.status.details or "") and len(openai.requests) == 1


@pytest.mark.parametrize(
    ("params", "match"),
    [
        ({"model": "m", "language": "English"}, "language"),
        ({"model": "m", "temperature": 2}, "temperature"),
        ({"model": "m", "prompt": "x" * 10_001}, "prompt"),
        ({"model": "m", "response_format": "srt"}, "unknown param"),
    ],
)
def test_bad_params_are_refused(params: dict[str, Any], match: str) -> None:
    with pytest.raises(ParamsError, match=match):
        Workflow("w").add("audio-to-text", params=params)

"""engine/audio.py: audio inputs from files, bytes, base64 and URLs; bounds; sniffing."""

from __future__ import annotations

import base64
from pathlib import Path

import pytest

from engine import InputError
from engine.audio import audio_format, read_audio, settings
from engine.inputs import JsonItem, to_input
from engine.proto import Audio
from tests.http_servers import serve

WAV = b"RIFF\x24\x00\x00\x00WAVEfmt " + bytes(28)


@pytest.mark.parametrize(
    ("head", "fmt"),
    [
        (WAV, "wav"),
        (b"fLaC\x00\x00", "flac"),
        (b"OggS\x00\x02", "ogg"),
        (b"ID3\x04\x00", "mp3"),
        (b"\xff\xfb\x90\x64", "mp3"),
        (b"\x00\x00\x00\x20ftypM4A ", "m4a"),
        (b"\x1a\x45\xdf\xa3\x01", "webm"),
        (b"\x89PNG\r\n\x1a\n", None),
        (b"", None),
    ],
)
def test_audio_format_from_the_first_bytes(head: bytes, fmt: str | None) -> None:
    assert audio_format(head) == fmt


def test_audio_files_are_audio_inputs(tmp_path: Path) -> None:
    path = tmp_path / "Talk.WAV"
    path.write_bytes(WAV)
    inp = to_input(str(path))
    assert inp.id == "Talk" and inp.data.audio is not None and inp.data.image is None
    assert read_audio(inp.data.audio) == WAV


def test_json_audio_is_data_and_its_base64_is_checked() -> None:
    inp = to_input(JsonItem({"data": {"audio": {"base64": base64.b64encode(WAV).decode()}}}))
    assert inp.data.audio is not None and read_audio(inp.data.audio) == WAV
    with pytest.raises(InputError, match="not valid base64"):
        to_input(JsonItem({"data": {"audio": {"base64": "not base64!"}}}))


def test_a_url_goes_through_the_guard(monkeypatch: pytest.MonkeyPatch) -> None:
    with serve(lambda rec: (200, {"Content-Type": "audio/wav"}, WAV)) as srv:
        monkeypatch.delenv("OPGRAPH_ALLOW_PRIVATE_URLS", raising=False)
        with pytest.raises(InputError, match="private, loopback"):
            read_audio(Audio(url=srv.url + "/a.wav"))
        monkeypatch.setenv("OPGRAPH_ALLOW_PRIVATE_URLS", "127.0.0.1")
        assert read_audio(Audio(url=srv.url + "/a.wav")) == WAV


def test_size_bounds(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setattr(settings, "max_audio_bytes", 16)
    path = tmp_path / "big.wav"
    path.write_bytes(WAV)
    with pytest.raises(InputError, match="more than the 16-byte audio limit"):
        read_audio(Audio.from_source(str(path)))
    with pytest.raises(InputError, match="more than the 16-byte limit"):
        read_audio(Audio.from_source(WAV))
    with pytest.raises(InputError, match="more than the 16-byte limit"):
        read_audio(Audio(base64=base64.b64encode(WAV).decode()))
    assert Audio.from_source(WAV).stored_bytes == WAV


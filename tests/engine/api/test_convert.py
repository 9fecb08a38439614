"""``engine.api.handlers._convert``: request inputs as the Clarifai JSON the App reads."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
from clarifai_grpc.grpc.api import resources_pb2 as r
from clarifai_grpc.grpc.api.status import status_pb2
from google.protobuf import json_format, struct_pb2

from engine.api.errors import ApiError
from engine.api.handlers._convert import _plain_doc, input_docs


def _call(max_inputs: int = 128) -> object:
    return SimpleNamespace(server=SimpleNamespace(limits=SimpleNamespace(max_inputs=max_inputs)))


def _expected(message: object) -> dict[str, object]:
    return json_format.MessageToDict(message, preserving_proto_field_name=True)  # type: ignore[arg-type]


def _metadata() -> struct_pb2.Struct:
    s = struct_pb2.Struct()
    s.update({"shop": "north", "n": 3})
    return s


PLAIN = [
    r.Input(data=r.Data(text=r.Text(raw="it cost $5"))),
    r.Input(id="i1", data=r.Data(text=r.Text(raw="ü, 中文 and emoji 🙂", url=""))),
    r.Input(data=r.Data(image=r.Image(url="https://example.com/a.jpg"))),
    r.Input(id="x", dataset_ids=["d1", "d2"], data=r.Data(text=r.Text(raw="t"))),
    r.Input(data=r.Data(text=r.Text())),  # set but empty: {"text": {}} either way
    r.Input(data=r.Data(image=r.Image(url="u", allow_duplicate_url=True))),
]
OTHER = [
    r.Input(data=r.Data(image=r.Image(base64=b"\x89PNG"))),  # bytes: base64 text
    r.Input(data=r.Data(text=r.Text(raw="t"), concepts=[r.Concept(id="c", value=0.9)])),
    r.Input(data=r.Data(text=r.Text(raw="t"), metadata=_metadata())),
    r.Input(data=r.Data(video=r.Video(url="v")), status=status_pb2.Status(code=10000)),
]


@pytest.mark.parametrize("message", PLAIN + OTHER)
def test_inputs_read_as_message_to_dict_reads_them(message: r.Input) -> None:
    assert input_docs(_call(), [message]) == [_expected(message)]  # type: ignore[arg-type]


@pytest.mark.parametrize("message", PLAIN)
def test_plain_inputs_are_read_without_the_json_printer(message: r.Input) -> None:
    assert _plain_doc(message) == _expected(message)


@pytest.mark.parametrize("message", OTHER)
def test_bytes_floats_enums_and_structs_go_to_the_json_printer(message: r.Input) -> None:
    assert _plain_doc(message) is None


def test_inputs_beyond_the_bound_or_none_are_refused() -> None:
    one = r.Input(data=r.Data(text=r.Text(raw="t")))
    with pytest.raises(ApiError, match="the limit is 2"):
        input_docs(_call(2), [one, one, one])  # type: ignore[arg-type]
    with pytest.raises(ApiError, match="no inputs"):
        input_docs(_call(), [])  # type: ignore[arg-type]

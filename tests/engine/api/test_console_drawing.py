"""POST /console/api/draw: a run's outputs drawn by engine.draw (as --draw does), on an image
or on the frames of a video, through a real server on 127.0.0.1; and every refusal."""

from __future__ import annotations

import base64
from pathlib import Path
from typing import Any

import cv2
import numpy as np
import pytest
import requests
from clarifai_grpc.grpc.api.status import status_code_pb2 as codes

from engine.api.console import drawing
from engine.api.server import Limits
from engine.draw import draw
from engine.proto import Data
from tests.engine.api.conftest import Server, start_server

BOX = {"top_row": 0.25, "left_col": 0.25, "bottom_row": 0.75, "right_col": 0.75}
REGION = {
    "region_info": {"bounding_box": BOX},
    "data": {"concepts": [{"id": "cat", "name": "cat", "value": 0.9}]},
    "track_id": "7",
}


def _png(width: int = 200, height: int = 120) -> str:
    pixels = np.full((height, width, 3), 40, np.uint8)
    return base64.b64encode(cv2.imencode(".png", pixels)[1].tobytes()).decode()


def _decoded(b64: str) -> np.ndarray:
    return cv2.imdecode(np.frombuffer(base64.b64decode(b64), np.uint8), cv2.IMREAD_COLOR)


def _post(server: Server, body: Any, token: str | None = "") -> requests.Response:
    headers = {} if token is None else {"Authorization": f"Key {token or server.token}"}
    return requests.post(
        f"{server.base_url}/console/api/draw", json=body, headers=headers, timeout=30
    )


def test_an_image_output_is_drawn_by_the_same_code_as_draw(server: Server) -> None:
    image = _png()
    got = _post(server, {"image": {"base64": image}, "outputs": [{"id": "det", "data": {
        "regions": [REGION]}}, {"id": "none", "data": {}}]})
    assert got.status_code == 200, got.text
    doc = got.json()
    assert doc["status"]["code"] == codes.SUCCESS
    assert [o["id"] for o in doc["outputs"]] == ["det", "none"]
    drawn = _decoded(doc["outputs"][0]["image"]["base64"])
    expected = draw(_decoded(image), Data.model_validate({"regions": [REGION]}))
    assert drawn.shape == expected.shape == (120, 200, 3)
    assert np.abs(drawn.astype(int) - expected.astype(int)).mean() < 3  # JPEG's loss only
    plain = _decoded(doc["outputs"][1]["image"]["base64"])
    assert np.abs(plain.astype(int) - 40).mean() < 2  # nothing to draw: the image as it was


def test_masks_and_keypoints_are_drawn(server: Server) -> None:
    mask = np.zeros((60, 100), np.uint8)
    mask[10:50, 10:90] = 255
    mask_b64 = base64.b64encode(cv2.imencode(".png", mask)[1].tobytes()).decode()
    region = {
        "region_info": {
            "bounding_box": BOX,
            "mask": {"image": {"base64": mask_b64}},
            "keypoint_locations": [{"row": 0.3, "col": 0.3}, {"row": 0.6, "col": 0.6}],
        }
    }
    got = _post(server, {"image": {"base64": _png()}, "outputs": [{"data": {"regions": [region]}}]})
    drawn = _decoded(got.json()["outputs"][0]["image"]["base64"])
    inside = drawn[45:75, 70:130].astype(int)
    assert np.abs(inside - 40).mean() > 10  # the mask's colour covers the box


def test_big_images_are_drawn_at_a_bounded_size(server: Server) -> None:
    got = _post(server, {"image": {"base64": _png(3000, 1000)}, "outputs": [{"data": {}}]})
    drawn = _decoded(got.json()["outputs"][0]["image"]["base64"])
    assert drawn.shape[:2] == (round(drawing.MAX_SIDE / 3), drawing.MAX_SIDE)


def _clip(tmp_path: Path) -> str:
    path = tmp_path / "clip.mp4"
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"mp4v"), 10, (64, 48))
    for _ in range(30):  # 3 s at 10 fps
        writer.write(np.full((48, 64, 3), 40, np.uint8))
    writer.release()
    return base64.b64encode(path.read_bytes()).decode()


def test_a_video_output_is_drawn_frame_by_frame(server: Server, tmp_path: Path) -> None:
    frames = [
        {"frame_info": {"index": i, "time": i * 500}, "data": {"regions": [REGION]}}
        for i in (0, 2, 3)
    ]
    body = {"video": {"base64": _clip(tmp_path)}, "sample_ms": 500,
            "outputs": [{"id": "track", "data": {"frames": frames}}]}
    got = _post(server, body)
    assert got.status_code == 200, got.text
    (out,) = got.json()["outputs"]
    assert out["id"] == "track"
    assert [(f["index"], f["time"]) for f in out["frames"]] == [(0, 0), (2, 1000), (3, 1500)]
    first = _decoded(out["frames"][0]["image"]["base64"])
    assert first.shape == (48, 64, 3) and np.abs(first.astype(int) - 40).max() > 100


def _refused(got: requests.Response, http: int, code: int, words: str) -> None:
    assert got.status_code == http, got.text
    status = got.json()["status"]
    assert status["code"] == code and words in status["description"], status


@pytest.mark.parametrize(
    ("body", "words"),
    [
        ([1, 2], "JSON object"),
        ({"image": {"base64": "aGk="}}, "'outputs' must be"),
        ({"image": {"base64": "aGk="}, "outputs": []}, "'outputs' must be"),
        ({"image": {"base64": "aGk="}, "outputs": ["x"]}, "outputs[0] must be"),
        ({"image": {"base64": "aGk="}, "outputs": [{"data": {"regions": 3}}]}, "outputs[0].data"),
        ({"outputs": [{"data": {}}]}, "one 'image' or one 'video'"),
        ({"image": {}, "video": {}, "outputs": [{"data": {}}]}, "one 'image' or one 'video'"),
        ({"image": {"base64": ""}, "outputs": [{"data": {}}]}, "image.base64 must be"),
        ({"image": {"base64": "**"}, "outputs": [{"data": {}}]}, "not valid base64"),
        ({"image": {"base64": "aGk="}, "outputs": [{"data": {}}] * (drawing.MAX_DRAWN + 1)},
         "at most"),
        ({"video": {"base64": "aGk="}, "outputs": [{"data": {"frames": [
            {"frame_info": {"index": i}} for i in range(drawing.MAX_DRAWN + 1)]}}]},
         "frames to draw"),
    ],
)
def test_bad_requests_are_refused_with_one_message(server: Server, body: Any, words: str) -> None:
    _refused(_post(server, body), 400, codes.CONN_BAD_REQUEST_FORMAT, words)


def test_media_that_do_not_decode_are_refused(server: Server) -> None:
    junk = base64.b64encode(b"not an image at all").decode()
    got = _post(server, {"image": {"base64": junk}, "outputs": [{"data": {}}]})
    _refused(got, 400, codes.INPUT_INVALID_ARGUMENT, "not an image")
    got = _post(server, {"video": {"base64": junk}, "outputs": [{"data": {"frames": [{}]}}]})
    assert got.status_code == 400 and got.json()["status"]["code"] == codes.INPUT_INVALID_ARGUMENT


def test_json_that_does_not_parse_is_refused(server: Server) -> None:
    got = requests.post(
        f"{server.base_url}/console/api/draw",
        data=b"{nope",
        headers={"Authorization": f"Key {server.token}"},
        timeout=10,
    )
    _refused(got, 400, codes.CONN_BAD_REQUEST_FORMAT, "not valid JSON")


def test_drawing_needs_a_token_with_the_predict_scope(server: Server) -> None:
    body = {"image": {"base64": _png()}, "outputs": [{"data": {}}]}
    _refused(_post(server, body, token=None), 401, codes.CONN_KEY_INVALID, "no token")
    _refused(_post(server, body, token="wrong"), 401, codes.CONN_KEY_INVALID, "not valid")
    from engine.api.auth import parse_scopes

    reader = server.state.tokens.create(parse_scopes("inputs:read"))
    _refused(_post(server, body, token=reader), 401, codes.CONN_INSUFFICIENT_SCOPES, "predict")


def test_a_body_over_the_server_limit_is_refused_unread(tmp_path: Path) -> None:
    srv, stop = start_server(tmp_path / "data", Limits(threads=2, max_request_bytes=1000))
    try:
        body = {"image": {"base64": "A" * 2000}, "outputs": [{"data": {}}]}
        _refused(_post(srv, body), 413, codes.CONN_BAD_REQUEST_FORMAT, "over 1000 bytes")
    finally:
        stop()


def test_video_frames_are_drawn_smaller_than_stills(server: Server, tmp_path: Path) -> None:
    path = tmp_path / "wide.mp4"
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"mp4v"), 10, (1000, 600))
    for _ in range(5):
        writer.write(np.full((600, 1000, 3), 40, np.uint8))
    writer.release()
    body = {"video": {"base64": base64.b64encode(path.read_bytes()).decode()},
            "outputs": [{"data": {"frames": [{"frame_info": {"index": 0}}]}}]}
    (out,) = _post(server, body).json()["outputs"]
    assert _decoded(out["frames"][0]["image"]["base64"]).shape[:2] == (384, drawing.MAX_VIDEO_SIDE)


def test_an_answer_past_its_byte_budget_is_refused(
    server: Server, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(drawing, "MAX_BYTES", 2000)
    body = {"image": {"base64": _png()}, "outputs": [{"data": {"regions": [REGION]}}] * 5}
    _refused(_post(server, body), 400, codes.CONN_BAD_REQUEST_FORMAT, "ask for fewer frames")


def test_a_server_busy_drawing_says_so_instead_of_queueing_for_ever(
    server: Server, monkeypatch: pytest.MonkeyPatch
) -> None:
    import threading

    monkeypatch.setattr(drawing, "_AT_ONCE", threading.BoundedSemaphore(1))
    monkeypatch.setattr(drawing, "_WAIT_S", 0.05)
    drawing._AT_ONCE.acquire()  # another drawing holds the only turn
    try:
        got = _post(server, {"image": {"base64": _png()}, "outputs": [{"data": {}}]})
    finally:
        drawing._AT_ONCE.release()
    _refused(got, 429, codes.RPC_REQUEST_QUEUE_FULL, "busy")
    assert _post(server, {"image": {"base64": _png()}, "outputs": [{"data": {}}]}).ok


def test_video_frames_carry_each_track_s_trail(server: Server, tmp_path: Path) -> None:
    # given a track moving right over four frames
    frames = []
    for i in range(4):
        left = 0.1 + 0.15 * i
        box = {"top_row": 0.3, "left_col": left, "bottom_row": 0.6, "right_col": left + 0.2}
        region = {"region_info": {"bounding_box": box}, "track_id": "7"}
        frames.append({"frame_info": {"index": i, "time": i * 500}, "data": {"regions": [region]}})
    body = {"video": {"base64": _clip(tmp_path)}, "sample_ms": 500,
            "outputs": [{"data": {"frames": frames}}]}
    (out,) = _post(server, body).json()["outputs"]
    last = _decoded(out["frames"][3]["image"]["base64"]).astype(int)
    # then the last frame shows the trail behind the box: coloured pixels left of it, on the
    # centres' row, where a frame drawn alone has only the grey background
    grey = np.full((48, 64, 3), 40, np.uint8)
    alone = draw(grey, Data.model_validate(frames[3]["data"])).astype(int)
    row = round(0.45 * 48)
    behind = slice(round(0.2 * 64), round(0.5 * 64))
    assert np.abs(alone[row, behind] - 40).max() < 30
    assert np.abs(last[row, behind] - 40).max() > 60

"""``POST /console/api/draw``: workflow outputs drawn by ``engine.draw``, as ``--draw`` does.

The console shows a run's boxes, masks, keypoints, track ids and labels with the same
drawing code as ``opgraph run --draw``, so the page sends the image (or video) it ran and
the outputs it got back, and this route answers each output drawn as a JPEG::

    {"image": {"base64": ...}, "outputs": [{"id": "det", "data": {...}}, ...]}
    -> {"status": {...}, "outputs": [{"id": "det", "image": {"base64": ...}}]}

    {"video": {"base64": ...}, "sample_ms": 500, "outputs": [{"id": "det", "data":
    {"frames": [...]}}]}
    -> {"status": {...}, "outputs": [{"id": "det", "frames": [{"index": 0, "time": 0,
        "image": {"base64": ...}}, ...]}]}

A video is decoded once, at the run's ``sample_ms``, and each frame the outputs name is
drawn (frames by ``frame_info.index``), with each track's trail over the frames before it,
as ``VideoDrawer`` draws them.  The caller needs a token with the ``predict``
scope.  Everything is bounded: the body by the server's request limit, the pictures drawn
per request, their size (the long side), and the drawings running at once.
"""

from __future__ import annotations

import base64
import binascii
import threading
from collections import deque
from dataclasses import dataclass
from typing import Any

import numpy as np
from clarifai_grpc.grpc.api.status import status_code_pb2 as codes
from pydantic import ValidationError

from engine.api.errors import ApiError
from engine.errors import InputError
from engine.proto import Data, Video

__all__ = ["MAX_BYTES", "MAX_DRAWN", "MAX_SIDE", "MAX_VIDEO_SIDE", "draw_request"]

MAX_DRAWN = 600  # pictures per request (outputs x frames)
MAX_SIDE = 1280  # a drawn picture's long side, in pixels; larger inputs are scaled down
MAX_VIDEO_SIDE = 640  # the same for a video's frames, which come by the hundred
MAX_BYTES = 64 << 20  # JPEG bytes in one answer
_QUALITY = 85
_AT_ONCE = threading.BoundedSemaphore(2)  # drawing is CPU work: the rest wait their turn,
_WAIT_S = 10.0  # but not for long: past this they are told to retry


@dataclass(frozen=True)
class _Output:
    id: str
    data: Data


def draw_request(doc: Any) -> dict[str, Any]:
    """The answer to one draw request (a parsed JSON body); raises ``ApiError``."""
    if not isinstance(doc, dict):
        raise _bad("the request body must be a JSON object")
    outputs = _outputs(doc.get("outputs"))
    has_image, has_video = isinstance(doc.get("image"), dict), isinstance(doc.get("video"), dict)
    if has_image == has_video:
        raise _bad("send one 'image' or one 'video' ({'base64': ...}) to draw on")
    budget = _Budget()
    if not _AT_ONCE.acquire(timeout=_WAIT_S):
        raise ApiError(codes.RPC_REQUEST_QUEUE_FULL, "the server is busy drawing; retry shortly")
    try:
        if has_image:
            return _ok({"outputs": _draw_image(doc["image"], outputs, budget)})
        return _ok({"outputs": _draw_video(doc["video"], outputs, doc.get("sample_ms"), budget)})
    finally:
        _AT_ONCE.release()


class _Budget:
    """The answer's JPEG bytes so far; past ``MAX_BYTES`` the request is refused."""

    def __init__(self) -> None:
        self.used = 0

    def spend(self, picture: str) -> str:
        self.used += len(picture)
        if self.used > MAX_BYTES:
            raise _bad(f"the drawn pictures pass {MAX_BYTES >> 20} MB: ask for fewer frames")
        return picture


def _ok(doc: dict[str, Any]) -> dict[str, Any]:
    return {"status": {"code": codes.SUCCESS, "description": "Ok"}, **doc}


def _bad(message: str) -> ApiError:
    return ApiError(codes.CONN_BAD_REQUEST_FORMAT, message)


def _outputs(raw: Any) -> list[_Output]:
    if not isinstance(raw, list) or not raw:
        raise _bad("'outputs' must be a non-empty list of {'id', 'data'} (a run's outputs)")
    if len(raw) > MAX_DRAWN:
        raise _bad(f"at most {MAX_DRAWN} outputs per request")
    found = []
    for i, item in enumerate(raw):
        if not isinstance(item, dict) or not isinstance(item.get("data", {}), dict):
            raise _bad(f"outputs[{i}] must be an object with a 'data' object")
        try:
            data = Data.model_validate(item.get("data") or {})
        except ValidationError as exc:
            first = exc.errors()[0]
            where = ".".join(str(p) for p in first["loc"])
            raise _bad(f"outputs[{i}].data.{where}: {first['msg']}") from None
        found.append(_Output(str(item.get("id") or i), data))
    return found


def _base64(source: dict[str, Any], what: str) -> bytes:
    text = source.get("base64")
    if not isinstance(text, str) or not text:
        raise _bad(f"{what}.base64 must be the file's bytes in base64")
    try:
        return base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        raise _bad(f"{what}.base64 is not valid base64") from None


def _draw_image(
    source: dict[str, Any], outputs: list[_Output], budget: _Budget
) -> list[dict[str, Any]]:
    from engine import media

    try:
        raw = media.decode_image_bytes(_base64(source, "image"), "image.base64")
    except InputError as exc:
        raise ApiError(codes.INPUT_INVALID_ARGUMENT, str(exc)) from None
    pixels = _fit(raw, MAX_SIDE)
    return [{"id": o.id, "image": {"base64": budget.spend(_jpeg(pixels, o.data))}} for o in outputs]


def _draw_video(
    source: dict[str, Any], outputs: list[_Output], sample_ms: Any, budget: _Budget
) -> list[dict[str, Any]]:
    from engine import media
    from engine.proto import Frame

    wanted: list[dict[int, Frame]] = [
        {f.frame_info.index: f for f in o.data.frames} for o in outputs
    ]
    total = sum(len(w) for w in wanted)
    if total > MAX_DRAWN:
        raise _bad(f"{total} frames to draw: at most {MAX_DRAWN} per request (ask per node)")
    step = sample_ms if isinstance(sample_ms, int) and not isinstance(sample_ms, bool) else 1000
    video = Video.from_source(_base64(source, "video"))
    drawn: list[list[dict[str, Any]]] = [[] for _ in outputs]
    trails = [_Trails() for _ in outputs]
    last = max((max(w) for w in wanted if w), default=-1)
    try:
        for index, time_ms, _, pixels in media.iter_frames(video, step):
            if index > last:
                break
            frame = _fit(pixels, MAX_VIDEO_SIDE)
            for found, out, trail in zip(wanted, drawn, trails, strict=True):
                if index in found:
                    data = found[index].data or Data()
                    picture = budget.spend(_jpeg(frame, data, trail.seen(frame, data)))
                    out.append({"index": index, "time": time_ms, "image": {"base64": picture}})
    except InputError as exc:
        raise ApiError(codes.INPUT_INVALID_ARGUMENT, str(exc)) from None
    return [{"id": o.id, "frames": d} for o, d in zip(outputs, drawn, strict=True)]


def _fit(pixels: np.ndarray, side: int) -> np.ndarray:
    """``pixels`` scaled down so the long side is at most ``side`` (labels are drawn at the
    size shown, so they stay readable)."""
    import cv2

    h, w = pixels.shape[:2]
    scale = side / max(h, w)
    if scale >= 1:
        return pixels
    size = (max(1, round(w * scale)), max(1, round(h * scale)))
    return np.asarray(cv2.resize(pixels, size, interpolation=cv2.INTER_AREA))


class _Trails:
    """Each track's last box centres (pixels) over the frames drawn so far; a track unseen
    for a trail's length is forgotten."""

    def __init__(self) -> None:
        from engine.draw import TRAIL_LENGTH

        self.length = TRAIL_LENGTH
        self.frames = 0
        self._centres: dict[str, deque[tuple[float, float]]] = {}
        self._last: dict[str, int] = {}

    def seen(self, frame: np.ndarray, data: Data) -> dict[str, list[tuple[float, float]]]:
        """Add this frame's tracks; the trails of those in it."""
        h, w = frame.shape[:2]
        here: set[str] = set()
        for region in data.regions:
            box = region.region_info.bounding_box if region.region_info else None
            if region.track_id is None or box is None:
                continue
            x, y = (box.left_col + box.right_col) / 2, (box.top_row + box.bottom_row) / 2
            centre = (x * w, y * h)
            self._centres.setdefault(region.track_id, deque(maxlen=self.length)).append(centre)
            self._last[region.track_id] = self.frames
            here.add(region.track_id)
        for gone in [t for t, f in self._last.items() if self.frames - f > self.length]:
            del self._centres[gone], self._last[gone]
        self.frames += 1
        return {t: list(self._centres[t]) for t in here}


def _jpeg(
    pixels: np.ndarray, data: Data, trails: dict[str, list[tuple[float, float]]] | None = None
) -> str:
    import cv2

    from engine.draw import draw

    drawn = draw(pixels, data, trails)
    done, buf = cv2.imencode(".jpg", drawn, [cv2.IMWRITE_JPEG_QUALITY, _QUALITY])
    if not done:  # pragma: no cover - OpenCV encodes any 8-bit BGR array
        raise ApiError(codes.INTERNAL_SERVER_ISSUE, "the drawn picture could not be encoded")
    return base64.b64encode(buf.tobytes()).decode()

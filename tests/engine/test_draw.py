"""engine.draw: boxes, labels, nested regions, captions, results and videos."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest

from engine import (
    Concept,
    Data,
    Image,
    Input,
    Output,
    Point,
    Polygon,
    Region,
    RegionInfo,
    Text,
    Video,
    WorkflowResult,
)
from engine.draw import VideoDrawer, draw, draw_result, save_image
from tests.factories import region

_GREY = 128


def _canvas(w: int = 200, h: int = 100) -> np.ndarray:
    return np.full((h, w, 3), _GREY, np.uint8)


def _changed(before: np.ndarray, after: np.ndarray) -> np.ndarray:
    return np.any(before != after, axis=2)


def test_box_edges_are_drawn_and_the_rest_is_untouched() -> None:
    img = _canvas()
    out = draw(img, Data(regions=[region((0.25, 0.4, 0.75, 0.9), {"cat": 0.9}, track_id="3")]))
    changed = _changed(img, out)
    assert changed[40:90, 50].all() and changed[40:90, 150].all()  # left and right edges
    assert changed[90, 50:150].all()  # bottom edge
    assert not changed[60:80, 70:130].any()  # inside the box: only the outline
    assert changed[25:40, 50:100].any()  # the label sits above the box
    assert not changed[95:, :40].any()
    assert np.array_equal(img, _canvas())  # the input is not drawn on


def test_nested_regions_are_placed_inside_their_crop() -> None:
    img = _canvas(400, 200)
    # a crop grown by a margin: 120 x 60 pixels centred on the outer box
    crop = Image.from_array(np.zeros((60, 120, 3), np.uint8))
    inner = region((0.0, 0.0, 0.5, 0.5), {"eye": 0.8})
    outer = Region(
        region_info=region((0.25, 0.25, 0.5, 0.5)).region_info,
        data=Data(image=crop, regions=[inner], concepts=[Concept(id="face", value=0.9)]),
    )
    changed = _changed(img, draw(img, Data(regions=[outer])))
    # crop: centre (150, 75), 120 x 60 -> x 90..210, y 45..105; the inner box is its top-left
    assert changed[60:75, 90].all() and changed[75, 100:150].all()


def test_text_polygons_points_and_captions() -> None:
    img = _canvas()
    corners = [(0.1, 0.1), (0.1, 0.3), (0.3, 0.2)]
    poly = Polygon(points=[Point(row=r, col=c) for r, c in corners])
    texty = Region(
        region_info=RegionInfo(polygon=poly, point=Point(row=0.8, col=0.9)),
        data=Data(text=Text(raw="hello, world ü")),
    )
    boxed = region((0.5, 0.1, 0.7, 0.4))
    boxed.data.text = Text(raw="4006381333931")
    data = Data(regions=[texty, boxed], concepts=[Concept(id="sunny", value=0.7)])
    changed = _changed(img, draw(img, data))
    assert changed[10, 20:30].any()  # polygon's top edge
    assert changed[78:82, 178:182].all()  # the point
    assert changed[40:55, 100:140].any()  # text under the boxed region
    assert changed[0:10, 0:30].any()  # the caption in the corner


def test_gray_images_and_empty_data() -> None:
    gray = np.full((30, 40), 50, np.uint8)
    assert draw(gray, None).shape == (30, 40, 3)
    assert draw(gray, Data()).shape == (30, 40, 3)


def _result(image: Image | None = None, video: Video | None = None) -> WorkflowResult:
    data = Data(regions=[region((0.1, 0.1, 0.9, 0.9), {"x": 0.5})])
    return WorkflowResult(
        input=Input(data=Data(image=image, video=video)),
        outputs=[Output(id="a", data=Data()), Output(id="detect", data=data)],
    )


def test_draw_result_picks_the_node() -> None:
    img = _canvas()
    res = _result(Image.from_array(img))
    by_id = draw_result(res, "detect")
    assert np.array_equal(by_id, draw_result(res))  # -1: the last output
    assert np.array_equal(draw_result(res, 0), img)  # node 'a' drew nothing
    with pytest.raises(ValueError, match="no output from node 'b'"):
        draw_result(res, "b")
    with pytest.raises(ValueError, match="video result keeps no frames"):
        draw_result(_result(video=Video(url="http://example.com/v.mp4")))


def test_save_image(tmp_path: Path) -> None:
    save_image(tmp_path / "a.png", _canvas())
    assert cv2.imread(str(tmp_path / "a.png")).shape == (100, 200, 3)
    with pytest.raises(OSError, match="cannot write"):
        save_image(tmp_path / "a.nope", _canvas())


def test_video_drawer_writes_every_frame(tmp_path: Path) -> None:
    path = tmp_path / "out.mp4"
    with VideoDrawer(path, fps=10, size=(96, 64)) as video:
        for i in range(5):
            video.write(_canvas(96, 64), Data(regions=[region((0.1 * i, 0.1, 0.1 * i + 0.3, 0.5))]))
        video.write(_canvas(48, 32))  # another size is resized to fit
    cap = cv2.VideoCapture(str(path))
    assert int(cap.get(cv2.CAP_PROP_FRAME_COUNT)) == 6 == video.frames
    ok, first = cap.read()
    assert ok and first.shape == (64, 96, 3) and np.abs(first.astype(int) - _GREY).max() > 60
    cap.release()
    with pytest.raises(OSError, match="cannot write a video"):
        VideoDrawer(tmp_path / "missing-dir" / "x.mp4", 10, (10, 10))

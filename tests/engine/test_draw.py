"""engine.draw: boxes, labels, nested regions, captions, results and videos."""

from __future__ import annotations

from pathlib import Path
from typing import Any

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


# ---- labels: placement and scripts --------------------------------------------------------


def _label_boxes(monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, int, int, int, int]]:
    """Record every label drawn as (text, x1, y1, x2, y2) of its text."""
    from engine import _drawtext

    seen: list[tuple[str, int, int, int, int]] = []
    real = _drawtext.put_text

    def spy(canvas: np.ndarray, text: str, at: tuple[int, int], size: float, ink: Any) -> None:
        w, h = _drawtext.text_size(text, size)
        seen.append((text, at[0], at[1], at[0] + w, at[1] + h))
        real(canvas, text, at, size, ink)

    monkeypatch.setattr(_drawtext, "put_text", spy)
    return seen


def test_labels_of_close_boxes_do_not_overlap(monkeypatch: pytest.MonkeyPatch) -> None:
    seen = _label_boxes(monkeypatch)
    img = _canvas(640, 360)
    # given five boxes whose top-left corners are a few pixels apart
    regions = [
        region((0.2 + 0.005 * k, 0.4 + 0.01 * k, 0.5, 0.9), {f"thing{k}": 0.9}, track_id=str(k))
        for k in range(5)
    ]
    draw(img, Data(regions=regions))
    # then every label is drawn, and no two of them share a pixel
    assert len(seen) == 5
    for i, a in enumerate(seen):
        for b in seen[i + 1 :]:
            apart = a[3] <= b[1] or b[3] <= a[1] or a[4] <= b[2] or b[4] <= a[2]
            assert apart, (a, b)


def test_non_ascii_labels_are_drawn_in_their_own_letters() -> None:
    from engine import _drawtext

    assert _drawtext.font_path() is not None  # the TrueType font a dependency ships

    def ink(text: str) -> np.ndarray:
        canvas = np.zeros((40, 200, 3), np.uint8)
        _drawtext.put_text(canvas, text, (2, 2), 20, (255, 255, 255))
        return canvas[:, :, 0] > 127

    # Cyrillic and accented letters are glyphs, not the '?' OpenCV's fonts fall back to
    assert ink("Привет").sum() > 50
    assert not np.array_equal(ink("Привет"), ink("??????"))
    assert not np.array_equal(ink("café"), ink("cafe"))
    assert not np.array_equal(ink("Straße"), ink("Stra?e"))
    # through draw(): the label's pixels follow its letters
    img = _canvas(320, 160)
    drawn = [draw(img, Data(regions=[region((0.3, 0.5, 0.8, 0.9), {c: 0.9})]))
             for c in ("Привет", "??????")]
    assert not np.array_equal(drawn[0], drawn[1])


def test_counts_are_shown_top_right() -> None:
    img = _canvas(320, 160)
    boxes = [region((0.1, 0.5, 0.2, 0.9), {"car": 0.9})]
    plain = draw(img, Data(regions=boxes))
    counted = draw(img, Data(regions=boxes,
                             metadata={"object_count": 1, "object_counts": {"car": 1}}))
    corner = _changed(plain, counted)[:40, 240:]
    assert corner.any()
    assert not _changed(plain, counted)[60:, :200].any()  # nothing else moves


# ---- trails, masks, keypoints -------------------------------------------------------------


def test_trails_follow_each_track_across_frames(tmp_path: Path) -> None:
    frames = []
    with VideoDrawer(tmp_path / "t.mp4", fps=10, size=(200, 100), trail_length=4) as video:
        for k in range(6):
            data = Data(regions=[region((0.1 + 0.1 * k, 0.4, 0.2 + 0.1 * k, 0.6), track_id="a")])
            frames.append(video._update_trails(_canvas(), data))
    # the trail grows to trail_length centres, oldest first, in pixels
    assert [len(f["a"]) for f in frames] == [1, 2, 3, 4, 4, 4]
    assert frames[-1]["a"][0] == pytest.approx((70.0, 50.0))  # frame 2's centre
    assert frames[-1]["a"][-1] == pytest.approx((130.0, 50.0))
    # drawn: the line between past centres, where no box is
    img = _canvas()
    out = draw(img, Data(regions=[region((0.7, 0.4, 0.8, 0.6), track_id="a")]),
               trails={"a": [(20.0, 20.0), (60.0, 20.0), (150.0, 50.0)]})
    assert _changed(img, out)[19:22, 25:55].any()


def test_a_track_unseen_for_a_trail_length_is_forgotten(tmp_path: Path) -> None:
    with VideoDrawer(tmp_path / "t.mp4", fps=10, size=(200, 100), trail_length=3) as video:
        seen = Data(regions=[region((0.1, 0.1, 0.2, 0.2), track_id="a")])
        video.write(_canvas(), seen)
        for _ in range(5):
            video.write(_canvas(), Data())
        assert video._trails == {}
        assert video._update_trails(_canvas(), seen) == {"a": [(30.0, 15.0)]}


def _png_b64(pixels: np.ndarray) -> str:
    import base64

    ok, buf = cv2.imencode(".png", pixels)
    assert ok
    return base64.b64encode(buf.tobytes()).decode()


def test_a_mask_tints_its_pixels_inside_the_box() -> None:
    mask = np.zeros((50, 50), np.uint8)
    cv2.circle(mask, (25, 25), 20, 255, -1)
    reg = Region.model_validate({"region_info": {
        "bounding_box": {"top_row": 0.0, "left_col": 0.5, "bottom_row": 1.0, "right_col": 1.0},
        "mask": {"image": {"base64": _png_b64(mask)}},
    }})
    img = _canvas()
    changed = _changed(img, draw(img, Data(regions=[reg])))
    assert changed[50, 150] and changed[40:60, 140:160].all()  # the circle's middle
    assert not changed[50, 20:90].any()  # outside the box: untouched
    assert not changed[90:98, 103:108].any()  # inside the box, outside the circle


def test_a_mask_without_a_box_covers_the_image_and_a_bad_one_is_skipped(
    caplog: pytest.LogCaptureFixture,
) -> None:
    mask = np.zeros((10, 20), np.uint8)
    mask[:, :10] = 1  # the left half (any non-zero value is inside)
    whole = Region.model_validate({"region_info": {"mask": {"image": {
        "base64": _png_b64(mask)}}}})
    img = _canvas()
    changed = _changed(img, draw(img, Data(regions=[whole])))
    assert changed[20:80, 10:90].all() and not changed[20:80, 110:190].any()
    broken = Region.model_validate({"region_info": {"mask": {"image": {"base64": "bm90IGEgcG5n"}}}})
    with caplog.at_level("WARNING", logger="engine"):
        assert np.array_equal(draw(img, Data(regions=[broken])), img)
    assert "mask could not be drawn" in caplog.text


def test_keypoints_are_dots() -> None:
    kps = [Point(row=0.2, col=0.2), Point(row=0.5, col=0.5), Point(row=0.8, col=0.9)]
    reg = Region(region_info=RegionInfo(keypoint_locations=kps))
    img = _canvas()
    changed = _changed(img, draw(img, Data(regions=[reg])))
    for r, c in ((20, 40), (50, 100), (80, 180)):
        assert changed[r - 1 : r + 2, c - 1 : c + 2].all()


def test_keypoints_are_joined_by_their_skeleton_and_hidden_ones_left_out() -> None:
    kps = [Point(row=0.5, col=0.1), Point(row=0.5, col=0.5),
           Point(row=0.5, col=0.9, visibility="NOT_VISIBLE")]
    concept = Concept(id="person", keypoint_info={
        "keypoint_names": ["a", "b", "c"],
        "skeleton": [{"k1": 0, "k2": 1}, {"k1": 1, "k2": 2}, {"k1": 0, "k2": 7}],
    })
    reg = Region(region_info=RegionInfo(keypoint_locations=kps), data=Data(concepts=[concept]))
    img = _canvas()
    changed = _changed(img, draw(img, Data(regions=[reg])))
    assert changed[50, 20:100].all()  # the edge a-b, end to end
    assert not changed[40:60, 120:200].any()  # c is hidden: no dot, no edge to it
    assert not changed[0:40].any() and not changed[60:].any()  # nothing but the row


def test_segmenter_masks_are_drawn_where_the_objects_are() -> None:
    from operators.models._masks import mask_region

    inside = np.zeros((40, 60), bool)
    inside[10:30, 10:50] = True
    reg = mask_region(inside, (100, 20, 160, 60), (200, 100), "thing", 0.9)
    img = _canvas()
    out = draw(img, Data(regions=[reg]))
    tinted = _changed(img, out)
    assert tinted[35:45, 115:145].all()  # the mask's middle, tinted
    assert not tinted[25:27, 115:145].any()  # in the box, above the mask: untouched
    # translucent: the grey still shows through the tint
    assert (out[40, 130] != img[40, 130]).any() and (out[40, 130] > 0).all()

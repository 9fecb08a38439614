"""detections-file: replaying MOT and JSON detections per frame."""

from __future__ import annotations

import json
from pathlib import Path

import cv2
import numpy as np
import pytest

from engine import Context, Data, Image, Input, ParamsError, Video, Workflow, limits
from operators.models.detections_file import DetectionsFile

Params = DetectionsFile.Params

_MOT = """\
1,-1,10,20,30,40,0.9,-1,-1,-1
1,-1,50,50,10,10,0.2,-1,-1,-1
2,7,12,20,30,40,0.8,-1,-1,-1
"""


def _frame(index: int | None, time_ms: int | None = None) -> tuple[Data, Context]:
    data = Data(image=Image.from_array(np.zeros((100, 200, 3), np.uint8)))
    return data, Context(root=data, frame_index=index, frame_time_ms=time_ms)


def _boxes(out: Data | None) -> list[list[float]]:
    assert out is not None
    return [
        [round(b.left_col, 3), round(b.top_row, 3), round(b.right_col, 3), round(b.bottom_row, 3)]
        for r in out.regions
        if (b := r.region_info.bounding_box) is not None
    ]


@pytest.fixture
def mot(tmp_path: Path) -> Path:
    path = tmp_path / "det.txt"
    path.write_text(_MOT)
    return path


def test_mot_rows_become_regions_of_their_frame(mot: Path) -> None:
    op = DetectionsFile(Params(path=str(mot), min_value=0.5, label="person"))
    out = op.process(*_frame(0))  # sampled frame 0 is MOT frame 1
    assert _boxes(out) == [[0.05, 0.2, 0.2, 0.6]]
    assert out.regions[0].data.concepts[0].id == "person" and out.regions[0].value == 0.9
    assert out.regions[0].track_id is None
    assert op.process(*_frame(5)).regions == []  # a frame the file has nothing for


def test_ids_time_lookup_and_still_images(mot: Path) -> None:
    op = DetectionsFile(Params(path=str(mot), keep_ids=True, fps=10))
    out = op.process(*_frame(1, time_ms=100))  # 100 ms at 10 fps is MOT frame 2
    assert [r.track_id for r in out.regions] == ["7"]
    assert len(DetectionsFile(Params(path=str(mot))).process(*_frame(None)).regions) == 2


def test_json_in_fractions(tmp_path: Path) -> None:
    path = tmp_path / "dets.json"
    path.write_text(
        json.dumps(
            {
                "frames": {
                    "0": [
                        {"box": [0.1, 0.2, 0.3, 0.4], "score": 0.7, "label": "car", "id": 3},
                        {"box": [0.5, 0.5, 0.6, 0.6]},
                    ]
                }
            }
        )
    )
    op = DetectionsFile(
        Params(path=str(path), box_units="fractions", select_concepts=[{"id": "car"}])
    )
    out = op.process(*_frame(0))
    assert _boxes(out) == [[0.1, 0.2, 0.3, 0.4]]
    assert out.regions[0].data.concepts[0].id == "car"


def _yaml(params: str) -> str:
    return f"""
workflow:
  id: replay
  nodes:
    - id: detections
      model:
        model_id: replay
        model_type_id: detections-file
        output_info:
          params: {params}
"""


def test_one_node_graph_over_a_video(mot: Path, tmp_path: Path) -> None:
    video = tmp_path / "v.mp4"
    writer = cv2.VideoWriter(str(video), cv2.VideoWriter_fourcc(*"mp4v"), 10, (200, 100))
    for _ in range(3):
        writer.write(np.zeros((100, 200, 3), np.uint8))
    writer.release()
    wf = Workflow.from_yaml(_yaml(f"{{path: '{mot}', fps: 10}}"))
    inp = Input(data=Data(video=Video.from_source(str(video))))
    res = wf.predict([inp], sample_ms=100).results[0].outputs[0]
    assert [len(f.data.regions) for f in res.data.frames] == [2, 1, 0]


@pytest.mark.parametrize(
    "params,match",
    [
        ("{}", "path"),
        ("{path: /no/such/file.txt}", "no detections file"),
        ("{path: FILE, format: csv}", "format"),
        ("{path: FILE, fps: 0}", "fps"),
    ],
)
def test_rejections(params: str, match: str, mot: Path) -> None:
    with pytest.raises(ParamsError, match=match):
        Workflow.from_yaml(_yaml(params.replace("FILE", f"'{mot}'")))


def test_a_malformed_file_is_refused_when_the_graph_is_built(tmp_path: Path) -> None:
    bad = tmp_path / "bad.txt"
    bad.write_text("1,2,3\n")
    with pytest.raises(ParamsError, match="needs frame, id, x, y, w, h"):
        Workflow.from_yaml(_yaml(f"{{path: '{bad}'}}")).compile().instantiate()


def test_a_relative_path_is_beside_the_workflow_file(tmp_path: Path) -> None:
    folder = tmp_path / "flows"
    folder.mkdir()
    (folder / "dets.txt").write_text("1,-1,10,10,20,20,0.9,-1,-1,-1\n")
    flow = folder / "replay.yml"
    flow.write_text(
        "workflow:\n  id: r\n  nodes:\n  - id: d\n    model:\n      model_id: d\n"
        "      model_type_id: detections-file\n"
        "      output_info: {params: {path: dets.txt}}\n"
    )
    image = np.zeros((100, 100, 3), np.uint8)
    result = Workflow.from_yaml(flow).predict([image]).results[0]
    assert len(result.outputs[0].data.regions) == 1


_SECRET = "AWS_SECRET_ACCESS_KEY=wJalrXUtnFEMI/K7MDENG"


@pytest.mark.parametrize(
    ("name", "content", "where"),
    [
        ("bad.txt", f"1,-1,10,20,30,40\n{_SECRET}\n", ":2: not a MOT line"),
        ("bad.json", f'{{"0": [{{"box": [1, 2, 3, "{_SECRET}"]}}]}}', "frame 0, detection 0: box"),
        ("key.json", f'{{"{_SECRET}": []}}', "frame (not a number): frames are numbers"),
        ("broken.json", f'{{"0": [{_SECRET}]}}', ":1:8: invalid JSON"),
        ("latin.txt", "1,-1,10,20,30,40\n# caf\xe9 " + _SECRET, ":2:6: not UTF-8"),
    ],
)
def test_errors_name_the_file_and_line_never_its_content(
    tmp_path: Path, name: str, content: str, where: str
) -> None:
    bad = tmp_path / name
    bad.write_bytes(content.encode("latin-1"))
    with pytest.raises(ParamsError) as info:
        Workflow.from_yaml(_yaml(f"{{path: '{bad}'}}")).compile().instantiate()
    message = str(info.value)
    assert f"{bad}{where}" in message or where in message, message
    assert "wJalr" not in message and "AWS_SECRET" not in message


def test_a_detections_file_is_capped_in_size_and_must_be_a_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    big = tmp_path / "big.txt"
    big.write_text(_MOT * 100)
    previous = limits.configure(data_bytes=1000)
    try:
        with pytest.raises(ParamsError, match=r"cannot read .*big\.txt: .*over the limit"):
            Workflow.from_yaml(_yaml(f"{{path: '{big}'}}")).compile().instantiate()
    finally:
        limits.configure(**previous.__dict__)
    for path, why in [("/dev/zero", "a device"), (str(tmp_path), "a directory")]:
        with pytest.raises(ParamsError, match=why):
            Workflow.from_yaml(_yaml(f"{{path: '{path}'}}"))


def test_with_allowed_roots_a_path_outside_them_is_refused(mot: Path, tmp_path: Path) -> None:
    escape = tmp_path / "escape.txt"
    escape.symlink_to("/etc/passwd")
    previous = limits.configure(file_roots=[tmp_path])
    try:
        assert Workflow.from_yaml(_yaml(f"{{path: '{mot}'}}")).node_ids == ["detections"]
        for path in ("/etc/passwd", str(escape)):
            with pytest.raises(ParamsError, match="outside the folders file params may use"):
                Workflow.from_yaml(_yaml(f"{{path: '{path}'}}"))
    finally:
        limits.configure(**previous.__dict__)


def test_warns_when_fps_is_unset_and_the_video_rate_differs_from_sample_ms(
    mot: Path, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    # given a 10 fps video sampled every 200 ms (every other frame) and no fps param
    video = tmp_path / "v.mp4"
    writer = cv2.VideoWriter(str(video), cv2.VideoWriter_fourcc(*"mp4v"), 10, (200, 100))
    for _ in range(6):
        writer.write(np.zeros((100, 200, 3), np.uint8))
    writer.release()
    wf = Workflow.from_yaml(_yaml(f"{{path: '{mot}'}}"))
    inp = Input(data=Data(video=Video.from_source(str(video))))
    with caplog.at_level("WARNING", logger="operators.models.detections_file"):
        wf.predict([inp], sample_ms=200)
    # then one warning says the boxes belong to other frames and how to fix it
    warnings = [r.getMessage() for r in caplog.records]
    assert len(warnings) == 1 and "set fps" in warnings[0], warnings
    caplog.clear()
    with caplog.at_level("WARNING", logger="operators.models.detections_file"):
        wf.predict([inp], sample_ms=100)  # every frame: the indexes agree
        Workflow.from_yaml(_yaml(f"{{path: '{mot}', fps: 10}}")).predict([inp], sample_ms=200)
    assert caplog.records == []

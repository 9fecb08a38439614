"""Uploads into a dataset: a killed upload leaves whole batches, a rerun finishes it; CSV and
folder mistakes are reported per row or refused whole with Clarifai's status."""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from engine.app import App, _upload
from engine.errors import AppError
from engine.proto import StatusCode


@pytest.mark.slow
def test_a_killed_upload_leaves_whole_batches_and_a_rerun_finishes(
    app: App, tmp_path: Path
) -> None:
    src = tmp_path / "many"
    src.mkdir()
    for i in range(200):
        (src / f"t{i:04d}.txt").write_text(f"text number {i}")
    app.create_dataset("ds")
    code = (
        "from engine.app import App\n"
        f"app = App({str(app.path)!r})\n"
        f"app.dataset('ds').upload_from_folder({str(src)!r}, batch_size=20)\n"
    )
    proc = subprocess.Popen([sys.executable, "-c", code])
    deadline = time.monotonic() + 60
    while app.count_inputs() < 60 and time.monotonic() < deadline and proc.poll() is None:
        time.sleep(0.02)
    proc.send_signal(signal.SIGKILL)  # mid-batch or not: no chance to clean up
    proc.wait()
    stored = app.count_inputs()
    assert stored >= 60 and stored % 20 == 0  # whole batches only
    assert app._store.datasets.count_inputs("ds") == stored  # each stored input is in ds
    _, ids, _ = app._store.load_vectors(1, 0)
    assert len(ids) == stored  # and indexed
    report = app.dataset("ds").upload_from_folder(src, batch_size=20)
    assert len(report.skipped) == stored and len(report.stored) == 200 - stored
    assert app.count_inputs() == 200 == app._store.datasets.count_inputs("ds")


def test_progress_goes_to_stderr(app: App, tmp_path: Path, capsys) -> None:
    (tmp_path / "a.txt").write_text("a")
    (tmp_path / "b.txt").write_text("b")
    app.create_dataset("ds")
    app.dataset("ds").upload_from_folder(tmp_path, batch_size=1, progress=True)
    captured = capsys.readouterr()
    assert "uploading" in captured.err and "2/2" in captured.err and captured.out == ""


def test_csv_rows_are_checked_one_by_one(app: App, tmp_path: Path) -> None:
    app.create_dataset("ds")
    (tmp_path / "pic.png").write_bytes(b"")
    (tmp_path / "note.txt").write_text("from a file")
    rows = tmp_path / "rows.csv"
    rows.write_text(
        "inputid,input,concepts,geopoints\n"
        "a,note.txt,x,\n"
        "b,,x,\n"
        "c,note.txt,,200,10\n"
        "d,note.txt,,\"1,2,3\"\n"
        "e,missing.txt,,\n"
        "a,note.txt,,\n"
    )
    report = app.dataset("ds").upload_from_csv(rows, input_type="text", csv_type="file_path")
    assert report.stored == ["a"]
    reasons = dict(report.errors)
    assert set(reasons) == {"rows.csv:3", "rows.csv:4", "rows.csv:5", "rows.csv:6", "rows.csv:7"}
    assert "empty" in reasons["rows.csv:3"] and "longitude,latitude" in reasons["rows.csv:5"]
    assert "already" in reasons["rows.csv:7"] or "duplicate" in reasons["rows.csv:7"].lower()
    (a,) = app.get_inputs(["a"])
    assert a.data.text is not None and a.data.text.raw == "from a file"


def test_a_metadata_cell_nested_too_deeply_fails_its_row_only(app: App, tmp_path: Path) -> None:
    app.create_dataset("ds")
    deep = '"{' + '""k"": {' * 3000 + "1" + "}" * 3001 + '"'
    rows = tmp_path / "rows.csv"
    rows.write_text(f"inputid,input,metadata\na,first,\nb,bad,{deep}\nc,third,\n")
    report = app.dataset("ds").upload_from_csv(rows, input_type="text", csv_type="raw")
    assert sorted(report.stored) == ["a", "c"]
    (reason,) = dict(report.errors).values()
    assert "nested more than" in reason


@pytest.mark.parametrize(
    ("kwargs", "text"),
    [
        ({"input_type": "audio"}, "input_type"),
        ({"csv_type": "raw", "input_type": "image"}, "csv_type"),
        ({"csv_type": "ftp"}, "csv_type"),
        ({"batch_size": 0}, "batch_size"),
    ],
)
def test_bad_upload_requests_are_refused_whole(
    app: App, rows: Path, kwargs: dict, text: str
) -> None:
    app.create_dataset("ds")
    with pytest.raises(AppError, match=text) as info:
        app.dataset("ds").upload_from_csv(rows, **kwargs)
    assert info.value.code == StatusCode.BAD_REQUEST
    assert app.count_inputs() == 0


def test_unknown_columns_a_missing_folder_and_an_unknown_dataset(
    app: App, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    app.create_dataset("ds")
    bad = tmp_path / "bad.csv"
    bad.write_text("id,input\n1,x\n")
    with pytest.raises(AppError, match="columns are inputid, input"):
        app.dataset("ds").upload_from_csv(bad)
    with pytest.raises(AppError, match="not a folder"):
        app.dataset("ds").upload_from_folder(tmp_path / "nope")
    with pytest.raises(AppError) as info:
        app.dataset("nope").upload_from_folder(tmp_path)
    assert info.value.code == StatusCode.CONN_DOES_NOT_EXIST
    monkeypatch.setattr(_upload, "MAX_CSV_BYTES", 4)
    with pytest.raises(AppError, match="byte limit"):
        app.dataset("ds").upload_from_csv(bad)
    monkeypatch.setattr(_upload, "MAX_TEXT_BYTES", 4)
    (tmp_path / "big.txt").write_text("more than four bytes")
    report = app.dataset("ds").upload_from_folder(tmp_path, input_type="text")
    assert report.stored == [] and "limit" in dict(report.errors)["big.txt"]
    assert report.to_response().status.code == StatusCode.FAILURE

"""engine/limits.py: bounded reads, text decoding, JSON depth, free-form JSON, file params."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from engine import limits
from engine.limits import (
    check_file_param,
    check_struct,
    configure,
    decode_text,
    load_json,
    read_file,
)


@pytest.fixture
def restore_limits() -> Iterator[None]:
    previous = limits.get_limits()
    yield
    configure(**previous.__dict__)


def test_read_file_reads_a_small_regular_file(tmp_path: Path) -> None:
    f = tmp_path / "a.yml"
    f.write_bytes(b"abc")
    assert read_file(f, 3) == b"abc"


@pytest.mark.parametrize(
    ("make", "match"),
    [
        (lambda p: p.mkdir(), "a directory"),
        (lambda p: os.mkfifo(p), "a pipe"),
    ],
)
def test_read_file_refuses_what_is_not_a_file_without_opening_it(
    tmp_path: Path, make: object, match: str
) -> None:
    target = tmp_path / "x"
    make(target)  # type: ignore[operator]
    with pytest.raises(ValueError, match=match):
        read_file(target, 100)


def test_read_file_refuses_devices_and_big_files_before_reading(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="a device"):
        read_file("/dev/zero", 100)
    sparse = tmp_path / "sparse.bin"
    with sparse.open("wb") as f:
        f.truncate(1536 * 1024 * 1024)  # 1.5 GB that takes no disk and must not be read
    with pytest.raises(ValueError, match=r"1536\.0 MiB, over the limit of 4\.0 MiB"):
        read_file(sparse, 4 << 20)


def test_read_file_bounds_files_that_report_no_size() -> None:
    with pytest.raises(ValueError, match="over the limit of 10 bytes"):
        read_file("/proc/self/environ", 10)  # size 0 in stat, more when read


@pytest.mark.parametrize(
    ("data", "match", "line", "col"),
    [
        (b"\x1f\x8b\x08\x00rest", "a gzip file", 1, 1),
        ("workflow: ü\n".encode("utf-16"), "UTF-16", 1, 1),
        (b"a: 1\nb: caf\xe9\n", "not UTF-8 text .byte 0xe9", 2, 7),
        (b"a: 1\nbb: x\x00y\n", "control character NUL", 2, 6),
        (b"a: \x1b[31m\n", "control character U.001B", 1, 4),
    ],
)
def test_decode_text_names_the_position(data: bytes, match: str, line: int, col: int) -> None:
    with pytest.raises(ValueError, match=match) as info:
        decode_text(data)
    assert info.value.args[1:] == (line, col)


def test_decode_text_accepts_utf8_with_or_without_bom() -> None:
    assert decode_text("a: café\tb\r\n".encode()) == "a: café\tb\r\n"
    assert decode_text(b"\xef\xbb\xbfa: 1\n") == "a: 1\n"


def test_load_json_refuses_deep_nesting_before_parsing() -> None:
    assert load_json('{"a": ["[[[", {"b": "\\"{{"}]}') == {"a": ["[[[", {"b": '"{{'}]}
    with pytest.raises(ValueError, match="nested more than 512 levels") as info:
        load_json("[" * 100_000 + "]" * 100_000)
    assert info.value.args[1:] == (1, 513)


def test_check_struct_bounds_depth_and_values(restore_limits: None) -> None:
    ok = {"a": [1, 2, {"b": "c"}]}
    assert check_struct(ok) is ok
    deep: dict[str, object] = {}
    node = deep
    for _ in range(300):
        node["a"] = node = {}
    with pytest.raises(ValueError, match="metadata is nested more than 32 levels"):
        check_struct(deep)
    configure(struct_values=10)
    with pytest.raises(ValueError, match="more than 10 values"):
        check_struct({"a": list(range(20))})


def test_file_params_are_confined_to_the_allowed_roots(
    tmp_path: Path, restore_limits: None
) -> None:
    root = tmp_path / "root"
    root.mkdir()
    inside = root / "model.onnx"
    inside.write_bytes(b"x")
    escape = root / "escape.txt"
    escape.symlink_to("/etc/passwd")
    configure(file_roots=[root])
    assert check_file_param(str(inside)) == str(inside)
    for path in ("/etc/passwd", str(escape), str(root / ".." / "other")):
        with pytest.raises(ValueError, match="outside the folders file params may use"):
            check_file_param(path)
    configure(file_roots=None)
    assert check_file_param("/etc/passwd") == "/etc/passwd"


def test_file_params_are_capped_in_size_and_must_be_files(
    tmp_path: Path, restore_limits: None
) -> None:
    big = tmp_path / "big.bin"
    big.write_bytes(b"x" * 100)
    with pytest.raises(ValueError, match="over the limit of 10 bytes"):
        check_file_param(str(big), 10)
    configure(model_bytes=50)
    with pytest.raises(ValueError, match="over the limit of 50 bytes"):
        check_file_param(str(big))
    with pytest.raises(ValueError, match="a device"):
        check_file_param("/dev/zero")
    assert check_file_param(str(tmp_path / "missing")) == str(tmp_path / "missing")


def test_limits_come_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPGRAPH_MAX_SPEC_BYTES", "1234")
    monkeypatch.setenv("OPGRAPH_FILE_ROOTS", f"/a{os.pathsep}/b")
    env = limits._from_env()
    assert env.spec_bytes == 1234 and env.file_roots == ("/a", "/b")

"""engine/spec_yaml.py: reading workflow YAML, bounded in size, depth and alias expansion,
with the position of every mistake."""

from __future__ import annotations

import gzip
import os
from pathlib import Path

import pytest
import yaml

from engine import spec_yaml
from engine.errors import YamlError
from engine.spec import load_spec


@pytest.mark.parametrize(
    ("text", "match"),
    [
        ("a: &a [*a]\n", "an alias refers to itself"),
        ("[" * 3000 + "]" * 3000 + "\n", "nested more than"),
        ("workflow: {[a, b]: 1}\n", "a key must be a plain value"),
    ],
)
def test_hostile_yaml_is_one_clear_error(text: str, match: str) -> None:
    with pytest.raises(YamlError, match=match):
        load_spec(text)


_DEEP = [
    ("[" * 3000 + "]" * 3000 + "\n", "1:102"),  # past libyaml's own cap of 1000
    ("[" * 150 + "]" * 150 + "\n", "1:102"),  # past ours only
    ("".join(f"{'  ' * i}k:\n" for i in range(60)) + "  " * 60 + "v\n", "52:103"),
    ("a:\n" + "".join(f"{'  ' * i}- - x\n" for i in range(1, 2000)), "100:201"),
]


@pytest.mark.parametrize("loader", ["libyaml", "python"])
@pytest.mark.parametrize(("text", "where"), _DEEP)
def test_deep_nesting_is_one_message_whatever_the_parser(
    text: str, where: str, loader: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    # libyaml's own nesting cap (and its message) changed between PyYAML releases, and pure
    # Python PyYAML recurses instead: the user sees our limit, at its place, either way
    if loader == "python":
        monkeypatch.setattr(spec_yaml, "_Loader", yaml.SafeLoader)
    elif not hasattr(yaml, "CSafeLoader"):
        pytest.skip("this PyYAML has no libyaml")
    with pytest.raises(YamlError, match=rf"<workflow>:{where}.*nested more than 100 levels"):
        load_spec(text)


def test_billion_laughs_is_refused_while_loading() -> None:
    lines = ["a: &a [x, x, x, x, x, x, x, x, x]"]
    for prev, name in zip("abcdefg", "bcdefgh", strict=True):
        lines.append(f"{name}: &{name} [{', '.join(['*' + prev] * 9)}]")
    with pytest.raises(YamlError, match=r"<workflow>:\d+:\d+: .*aliases expand this value"):
        load_spec("\n".join(lines) + "\n")


_ONE_NODE = (
    "workflow:\n  id: a\n  nodes:\n    - id: x\n"
    "      model: {model_id: x, model_type_id: random-sample}\n"
)


@pytest.mark.parametrize(
    ("data", "match"),
    [
        (_ONE_NODE.replace("id: a", "id: caf\xe9").encode("latin-1"), r":2:10: .*not UTF-8"),
        (_ONE_NODE.encode("utf-16"), r":1:1: .*UTF-16"),
        (_ONE_NODE.replace("id: x", "id: x\x00").encode(), r":4:12: .*control character NUL"),
        (_ONE_NODE.replace("id: a", "id: a\x07").encode(), r":2:8: .*control character U\+0007"),
        (gzip.compress(_ONE_NODE.encode()), r":1:1: .*a gzip file"),
    ],
)
def test_a_file_that_is_not_utf8_yaml_is_one_line_with_its_position(
    tmp_path: Path, data: bytes, match: str
) -> None:
    f = tmp_path / "flow.yml"
    f.write_bytes(data)
    with pytest.raises(YamlError, match=match) as info:
        load_spec(f)
    assert str(info.value).startswith(f"{f}:") and "\n" not in str(info.value)


def test_device_fifo_directory_and_huge_files_are_refused_unread(tmp_path: Path) -> None:
    fifo = tmp_path / "pipe.yml"
    os.mkfifo(fifo)
    sparse = tmp_path / "huge.yml"
    with sparse.open("wb") as f:
        f.truncate(1536 * 1024 * 1024)
    for path, why in [
        (Path("/dev/zero"), "a device"),
        (fifo, "a pipe"),
        (tmp_path, "a directory"),
        (sparse, "over the limit"),
        (tmp_path / "missing.yml", "No such file"),
    ]:
        with pytest.raises(YamlError, match=f"cannot read workflow file: .*{why}") as info:
            load_spec(path)
        assert str(info.value).startswith(f"{path}: ")


def test_yaml_aliases_may_not_expand_past_the_limit() -> None:
    blob = "x" * 1000
    lines = [f"a: &a ['{blob}', '{blob}', '{blob}', '{blob}']"]
    for prev, name in zip("abcde", "bcdef", strict=True):
        lines.append(f"{name}: &{name} [{', '.join(['*' + prev] * 10)}]")
    with pytest.raises(YamlError, match=r"<workflow>:5:4: .*more than 1000000 values"):
        load_spec("\n".join(lines) + "\n")

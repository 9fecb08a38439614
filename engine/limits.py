"""Bounds on what a file or a request may make opgraph read or build.

Everything a request can reach is bounded before it is read: the size of workflow files,
catalogs, data and model files, JSON requests; the nesting and size of free-form JSON
(``metadata``, ``annotation_info``); which folders file params may name.  The defaults suit
a laptop; ``configure`` changes them for a process (a server narrows them), and the
environment variables below set them at start-up::

    OPGRAPH_MAX_SPEC_BYTES     workflow and catalog files          (default 4 MiB)
    OPGRAPH_MAX_JSON_BYTES     JSON request files (--json-input)   (default 256 MiB)
    OPGRAPH_MAX_TEXT_BYTES     text inputs read from files         (default 16 MiB)
    OPGRAPH_MAX_DATA_BYTES     data files a node reads whole       (default 256 MiB)
    OPGRAPH_MAX_MODEL_BYTES    model files (ONNX, fastText)        (default 4 GiB)
    OPGRAPH_FILE_ROOTS         folders file params must lie in, separated by ':' (default: any)
"""

from __future__ import annotations

import json
import os
import re
import stat
from dataclasses import dataclass, replace
from typing import Any

__all__ = [
    "Limits",
    "check_file_param",
    "check_struct",
    "configure",
    "decode_text",
    "get_limits",
    "load_json",
    "position",
    "read_file",
]

_MiB = 1 << 20


@dataclass(frozen=True)
class Limits:
    spec_bytes: int = 4 * _MiB
    json_bytes: int = 256 * _MiB
    text_bytes: int = 16 * _MiB
    data_bytes: int = 256 * _MiB
    model_bytes: int = 4096 * _MiB
    # free-form JSON (metadata, annotation_info): nesting depth and number of values
    struct_depth: int = 32
    struct_values: int = 100_000
    # JSON text: nesting depth, checked before parsing (Python's parser recurses).  Well
    # above a Data tree plus struct_depth, so that one input's too-deep metadata fails only
    # that input, and well below the interpreter's recursion limit.
    json_depth: int = 512
    # YAML: values after aliases are expanded, counted as about one per 16 bytes of text
    yaml_expanded: int = 1_000_000
    # file params must resolve (symlinks followed) inside one of these; None: anywhere
    file_roots: tuple[str, ...] | None = None


def _from_env() -> Limits:
    values: dict[str, Any] = {}
    for name in ("spec", "json", "text", "data", "model"):
        raw = os.environ.get(f"OPGRAPH_MAX_{name.upper()}_BYTES")
        if raw and raw.strip().isdigit():
            values[f"{name}_bytes"] = int(raw)
    roots = os.environ.get("OPGRAPH_FILE_ROOTS")
    if roots:
        values["file_roots"] = tuple(r for r in roots.split(os.pathsep) if r)
    return Limits(**values)


_current = _from_env()


def get_limits() -> Limits:
    """The limits in force for this process."""
    return _current


def configure(**changes: Any) -> Limits:
    """Change some limits for this process; returns the previous ones (to restore them)."""
    global _current
    previous = _current
    if "file_roots" in changes and changes["file_roots"] is not None:
        changes["file_roots"] = tuple(str(r) for r in changes["file_roots"])
    _current = replace(_current, **changes)
    return previous


def _kind(mode: int) -> str | None:
    if stat.S_ISREG(mode):
        return None
    if stat.S_ISDIR(mode):
        return "a directory, not a file"
    if stat.S_ISFIFO(mode):
        return "a pipe (FIFO), not a file"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device, not a file"
    return "not a regular file"


def _size_text(n: int) -> str:
    return f"{n / _MiB:.1f} MiB" if n >= _MiB else f"{n} bytes"


def read_file(path: str | os.PathLike[str], limit: int) -> bytes:
    """The bytes of a regular file of at most ``limit`` bytes.

    Refused with ``ValueError`` (a message without the file's name, which the caller adds):
    directories, devices and FIFOs (never opened, so never blocked on), and files over the
    limit (checked before reading, and again while reading: /proc files report size 0).
    ``OSError`` passes through for missing or unreadable files.
    """
    why = _kind(os.stat(path).st_mode)
    if why:
        raise ValueError(why)
    fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOCTTY", 0))
    with os.fdopen(fd, "rb") as f:
        st = os.fstat(f.fileno())  # the file opened, which a rename may have swapped
        why = _kind(st.st_mode)
        if why:
            raise ValueError(why)
        if st.st_size > limit:
            raise ValueError(
                f"it is {_size_text(st.st_size)}, over the limit of {_size_text(limit)}"
            )
        data = f.read(limit + 1)
    if len(data) > limit:
        raise ValueError(f"it is over the limit of {_size_text(limit)}")
    return data


def position(text: str, index: int) -> tuple[int, int]:
    """1-based (line, column) of ``text[index]``."""
    line = text.count("\n", 0, index) + 1
    return line, index - (text.rfind("\n", 0, index) + 1) + 1


# What YAML (and so a workflow file) may not contain: C0 controls but tab, LF and CR, DEL,
# C1 controls but NEL, surrogates and the two non-characters YAML forbids.
_BAD_CHAR = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x84\x86-\x9f\ud800-\udfff\ufffe\uffff]")


def decode_text(data: bytes) -> str:
    """``data`` as UTF-8 text for YAML; ``ValueError(message, line, col)`` when it is not.

    The error's ``args`` are ``(message, line, col)`` so the caller can name the position.
    """
    if data[:2] == b"\x1f\x8b":
        raise ValueError("a gzip file, not text: decompress it first", 1, 1)
    if data[:4] in (b"\xff\xfe\x00\x00", b"\x00\x00\xfe\xff") or data[:2] in (
        b"\xff\xfe",
        b"\xfe\xff",
    ):
        raise ValueError("UTF-16 or UTF-32 text: save the file as UTF-8", 1, 1)
    data = data.removeprefix(b"\xef\xbb\xbf")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        before = data[: exc.start].decode("utf-8", "replace")
        raise ValueError(
            f"not UTF-8 text (byte 0x{data[exc.start]:02x}; Latin-1 or another encoding?): "
            "save the file as UTF-8",
            *position(before, len(before)),
        ) from None
    bad = _BAD_CHAR.search(text)
    if bad:
        ch = bad.group()
        name = "NUL" if ch == "\x00" else f"U+{ord(ch):04X}"
        where = position(text, bad.start())
        raise ValueError(f"control character {name} is not allowed in the file", *where)
    return text


_JSON_TOKEN = re.compile(r'"[^"\\]*(?:\\.[^"\\]*)*"|[\[\]{}]', re.DOTALL)


def load_json(data: bytes | str) -> Any:
    """Parse JSON text nested at most ``json_depth`` deep (Python's parser recurses: 100,000
    ``[`` would be a RecursionError).

    Raises ``json.JSONDecodeError`` for bad JSON, ``ValueError(message, line, col)`` for
    nesting too deep.
    """
    text = data.decode("utf-8") if isinstance(data, bytes) else data
    limit = _current.json_depth
    try:
        doc = json.loads(text)
    except RecursionError:
        pass
    else:
        if _depth_within(doc, limit):
            return doc
    depth, where = 0, 0  # find where it goes too deep, to say so
    for m in _JSON_TOKEN.finditer(text):  # strings are skipped whole, in C
        ch = m.group()
        if ch in "[{":
            depth += 1
            if depth > limit:
                where = m.start()
                break
        elif ch in "]}":
            depth -= 1
    raise ValueError(f"JSON nested more than {limit} levels deep", *position(text, where))


def _depth_within(doc: Any, limit: int) -> bool:
    stack: list[tuple[Any, int]] = [(doc, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, dict | list):
            if depth > limit:
                return False
            children = item.values() if isinstance(item, dict) else item
            stack.extend((c, depth + 1) for c in children)
    return True


def check_struct(value: Any, what: str = "metadata") -> Any:
    """``value`` unchanged if it is JSON-like, at most ``struct_depth`` deep and holding at
    most ``struct_values`` values; ``ValueError`` otherwise (iterative: no recursion)."""
    lim = _current
    count = 0
    stack: list[tuple[Any, int]] = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        count += 1
        if count > lim.struct_values:
            raise ValueError(f"{what} holds more than {lim.struct_values} values")
        if isinstance(item, dict | list | tuple):
            if depth > lim.struct_depth:
                raise ValueError(f"{what} is nested more than {lim.struct_depth} levels deep")
            children = item.values() if isinstance(item, dict) else item
            stack.extend((c, depth + 1) for c in children)
    return value


def check_file_param(path: str, limit: int | None = None) -> str:
    """``path`` if a file param may name it: inside the allowed roots (symlinks resolved)
    when roots are configured, and, when it exists, a regular file of at most ``limit``
    bytes (``model_bytes`` by default).  ``ValueError`` otherwise."""
    lim = _current
    if lim.file_roots is not None:
        real = os.path.realpath(os.path.expanduser(path))
        roots = [os.path.realpath(r) for r in lim.file_roots]
        if not any(real == r or real.startswith(r.rstrip(os.sep) + os.sep) for r in roots):
            raise ValueError(f"file {path!r} is outside the folders file params may use")
    try:
        st = os.stat(os.path.expanduser(path))
    except OSError:
        return path  # a missing file is the operator's to report, with its own advice
    why = _kind(st.st_mode)
    if why:
        raise ValueError(f"file {path!r} is {why}")
    cap = lim.model_bytes if limit is None else limit
    if st.st_size > cap:
        raise ValueError(
            f"file {path!r} is {_size_text(st.st_size)}, over the limit of {_size_text(cap)}"
        )
    return path

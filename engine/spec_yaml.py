"""Reading workflow YAML: text bounded in size, values bounded in depth and in what their
aliases expand to, and the ``line:col`` of every key (``Pos``) so each mistake found later
can say where it is.  ``engine.spec`` checks what is read against the workflow schema and
``engine.catalog`` the model catalog.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from engine.errors import YamlError
from engine.limits import decode_text, get_limits, read_file

__all__ = ["KeyPath", "Pos", "YamlReader", "looks_like_path", "read_spec_file"]

# libyaml's C parser where the wheel has it: ten times faster on large files
_Loader: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_MAX_DEPTH = 100  # (path entries) far deeper than any workflow; stops runaway nesting
KeyPath = tuple[str | int | float, ...]  # mapping keys (YAML may use numbers) and list indexes


@dataclass(frozen=True)
class Pos:
    line: int = 0
    col: int = 0


class YamlReader:
    """Turns a composed YAML tree into Python values, remembering each key's position."""

    def __init__(self, file: str) -> None:
        self.file = file
        self.where: dict[KeyPath, Pos] = {}
        # a collection met again through an alias is the same object (as yaml.safe_load
        # gives): built once, so "billion laughs" files stay linear
        self._built: dict[int, Any] = {}
        self._building: set[int] = set()
        # each collection's size once its aliases are expanded (JSON output, a stored
        # annotation, expands them): bounded, so a few lines cannot become gigabytes
        self._weight: dict[int, int] = {}
        self._max_weight = get_limits().yaml_expanded

    def read(self, text: str) -> Any:
        try:
            loader = _Loader(text)
            try:
                root = loader.get_single_node()
                return None if root is None else self._value(root, (), loader)
            finally:
                loader.dispose()
        except (yaml.YAMLError, RecursionError) as exc:
            # libyaml caps nesting on its own (its message differs between versions) and pure
            # Python PyYAML recurses: either way find where our own limit is passed
            too_deep = _too_deep(text)
            if too_deep is not None:
                raise self.too_deep(too_deep) from None
            raise self._yaml_error(exc) from None

    def _yaml_error(self, exc: BaseException) -> YamlError:
        if isinstance(exc, yaml.MarkedYAMLError):
            mark = exc.problem_mark or exc.context_mark
            line, col = (mark.line + 1, mark.column + 1) if mark else (0, 0)
            msg = f"invalid YAML: {exc.problem or exc.context}"
            return YamlError(msg, file=self.file, line=line, col=col)
        if isinstance(exc, RecursionError):
            return YamlError("invalid YAML: nested too deeply", file=self.file)
        return YamlError(f"invalid YAML: {exc}", file=self.file)

    def too_deep(self, at: Pos) -> YamlError:
        return YamlError(
            f"invalid YAML: nested more than {_MAX_DEPTH} levels deep",
            file=self.file,
            line=at.line,
            col=at.col,
        )

    def _value(self, node: yaml.Node, path: KeyPath, loader: Any) -> Any:
        here = Pos(node.start_mark.line + 1, node.start_mark.column + 1)
        self.where.setdefault(path, here)
        if not isinstance(node, yaml.MappingNode | yaml.SequenceNode):
            return loader.construct_object(node)
        key = id(node)
        if key in self._building:
            raise YamlError(
                "invalid YAML: an alias refers to itself",
                file=self.file,
                line=here.line,
                col=here.col,
            )
        if key in self._built:
            return self._built[key]
        if len(path) > _MAX_DEPTH:
            raise self.too_deep(here)
        self._building.add(key)
        value = (
            self._mapping(node, path, loader)
            if isinstance(node, yaml.MappingNode)
            else [self._value(v, (*path, i), loader) for i, v in enumerate(node.value)]
        )
        self._building.discard(key)
        self._built[key] = value
        self._weigh(node, here)
        return value

    def _weigh(self, node: yaml.Node, here: Pos) -> None:
        children = (
            [n for pair in node.value for n in pair]
            if isinstance(node, yaml.MappingNode)
            else node.value
        )
        weight = 1 + sum(self._weight.get(id(c)) or 1 + len(str(c.value)) // 16 for c in children)
        if weight > self._max_weight:
            raise YamlError(
                f"invalid YAML: aliases expand this value to more than {self._max_weight} "
                "values; write it out or make it smaller",
                file=self.file,
                line=here.line,
                col=here.col,
            )
        self._weight[id(node)] = weight

    def _mapping(self, node: yaml.MappingNode, path: KeyPath, loader: Any) -> dict[Any, Any]:
        out: dict[Any, Any] = {}
        for key_node, value_node in node.value:
            key = loader.construct_object(key_node)
            if not isinstance(key, str | int | float | bool):
                raise self.error(
                    "a key must be a plain value, not a list or mapping", path, key_node
                )
            if key in out:
                raise self.error(f"duplicate key '{key}'", (*path, key), key_node)
            self.where[(*path, key)] = Pos(
                key_node.start_mark.line + 1, key_node.start_mark.column + 1
            )
            out[key] = self._value(value_node, (*path, key, "="), loader)
        return out

    def error(self, msg: str, path: KeyPath, node: yaml.Node | None = None) -> YamlError:
        p = (
            self.pos(path)
            if node is None
            else Pos(node.start_mark.line + 1, node.start_mark.column + 1)
        )
        return YamlError(msg, file=self.file, line=p.line, col=p.col)

    def pos(self, path: KeyPath) -> Pos:
        """Position of a key (or list item); falls back to the nearest enclosing one."""
        while path:
            if path in self.where:
                return self.where[path]
            path = path[:-1]
        return self.where.get((), Pos(1, 1))


def _too_deep(text: str) -> Pos | None:
    """Where a collection starts nested past ``_MAX_DEPTH`` path entries, if one does.

    Walks the pure Python parser's events (no tree, no recursion and, unlike libyaml's
    scanner, no cap of its own), counting as ``YamlReader`` does: a mapping adds two path
    entries (key, value), a sequence one.  Only run once a file has failed to load."""
    depth: list[int] = []
    try:
        for event in yaml.parse(text, Loader=yaml.SafeLoader):
            if isinstance(event, yaml.CollectionStartEvent):
                mark = event.start_mark
                if sum(depth) > _MAX_DEPTH and mark is not None:
                    return Pos(mark.line + 1, mark.column + 1)
                depth.append(2 if isinstance(event, yaml.MappingStartEvent) else 1)
            elif isinstance(event, yaml.CollectionEndEvent):
                depth.pop()
    except yaml.YAMLError:
        return None  # broken before it got too deep: the parser's own message is the one
    return None


def looks_like_path(text: str) -> bool:
    """A one-line string that cannot be a YAML mapping is a file name (so a typo in one
    reads "cannot read workflow file", not "the file must be a mapping")."""
    return "\n" not in text and (text.lower().endswith((".yml", ".yaml")) or ":" not in text)


def read_spec_file(path: str | Path, what: str = "workflow file") -> str:
    """A workflow or catalog file's text: bounded in size, a regular file, UTF-8 YAML text;
    otherwise one ``YamlError`` naming the file (and the position of a bad byte)."""
    file = str(path)
    try:
        data = read_file(Path(path).expanduser(), get_limits().spec_bytes)
    except OSError as exc:
        raise YamlError(f"cannot read {what}: {exc.strerror or exc}", file=file) from None
    except ValueError as exc:
        raise YamlError(f"cannot read {what}: {exc}", file=file) from None
    try:
        return decode_text(data)
    except ValueError as exc:
        msg, line, col = exc.args
        raise YamlError(f"cannot read {what}: {msg}", file=file, line=line, col=col) from None

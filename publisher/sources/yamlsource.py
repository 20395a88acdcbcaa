"""YAML reading that remembers where each value came from, for errors with line numbers."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from ..errors import PublisherError

# Keys are tuples of mapping keys and list indexes, as pydantic reports them.
Location = tuple[Any, ...]


@dataclass
class YamlDocument:
    """Parsed YAML data plus the line (1-based) of every key and item in it."""

    path: Path
    data: Any
    lines: dict[Location, int] = field(default_factory=dict)
    line_offset: int = 0

    def line_of(self, location: Location) -> int | None:
        """The line of the deepest known part of ``location``."""
        location = tuple(location)
        while location:
            if location in self.lines:
                return self.lines[location] + self.line_offset
            location = location[:-1]
        return self.lines.get((), 0) + self.line_offset or None


@dataclass
class LayeredDocument:
    """Settings from several YAML files, each later one overriding keys of the ones before
    (a layout's theme, then the project's overrides). Errors point at the file that set a key."""

    layers: list[YamlDocument]
    # Top-level keys whose lists add up over the layers instead of being replaced (a
    # theme's font_faces: an override adds a font, it does not drop the layout's).
    appended: tuple[str, ...] = ()

    @property
    def data(self) -> Any:
        merged: Any = None
        for layer in self.layers:
            data = layer.data
            if isinstance(merged, dict) and isinstance(data, dict):
                data = {key: merged[key] + value
                        if key in self.appended and isinstance(value, list)
                        and isinstance(merged.get(key), list) else value
                        for key, value in data.items()}
            merged = _merge(merged, data)
        return merged

    @property
    def path(self) -> Path:
        return self.layers[-1].path

    def source_of(self, location: Location) -> YamlDocument:
        """The last layer that sets ``location`` (or its nearest parent)."""
        found, location = self._locate(tuple(location))
        if found is not None:
            return found
        while location:
            for layer in reversed(self.layers):
                if location in layer.lines:
                    return layer
            location = location[:-1]
        return self.layers[0]

    def line_of(self, location: Location) -> int | None:
        found, local = self._locate(tuple(location))
        if found is not None:
            return found.line_of(local)
        return self.source_of(location).line_of(location)

    def _locate(self, location: tuple) -> tuple[YamlDocument | None, tuple]:
        """The layer and its own location of an item of an appended list."""
        if len(location) < 2 or location[0] not in self.appended \
                or not isinstance(location[1], int):
            return None, location
        index = location[1]
        for layer in self.layers:
            items = layer.data.get(location[0]) if isinstance(layer.data, dict) else None
            count = len(items) if isinstance(items, list) else 0
            if index < count:
                return layer, (location[0], index, *location[2:])
            index -= count
        return None, location


def _merge(base: Any, override: Any) -> Any:
    if isinstance(base, dict) and isinstance(override, dict):
        merged = dict(base)
        for key, value in override.items():
            merged[key] = _merge(base.get(key), value)
        return merged
    return base if override is None else override


class _NoAliasLoader(yaml.SafeLoader):
    """SafeLoader without anchors and aliases: they serve no content need and enable YAML bombs."""

    def compose_node(self, parent, index):  # noqa: D102
        if self.check_event(yaml.AliasEvent):
            raise _AliasError(self.peek_event().start_mark)
        return super().compose_node(parent, index)


    def construct_yaml_timestamp(self, node):  # noqa: D102
        try:
            return super().construct_yaml_timestamp(node)
        except (ValueError, OverflowError) as error:  # 2026-02-30, year 0
            raise _DateError(node.start_mark, node.value, str(error)) from None


_NoAliasLoader.add_constructor("tag:yaml.org,2002:timestamp",
                               _NoAliasLoader.construct_yaml_timestamp)


class _AliasError(Exception):
    def __init__(self, mark):
        self.mark = mark


class _DateError(Exception):
    def __init__(self, mark, value: str, reason: str):
        self.mark, self.value, self.reason = mark, value, reason


def _record_lines(node: yaml.Node, where: Location, lines: dict[Location, int]) -> None:
    lines.setdefault(where, node.start_mark.line + 1)
    if isinstance(node, yaml.MappingNode):
        for key_node, value_node in node.value:
            key = key_node.value
            lines[where + (key,)] = key_node.start_mark.line + 1
            _record_lines(value_node, where + (key,), lines)
    elif isinstance(node, yaml.SequenceNode):
        for index, item in enumerate(node.value):
            _record_lines(item, where + (index,), lines)


MAX_DEPTH = 50  # nesting of lists and mappings: settings need a handful


def parse_yaml(text: str, path: Path, line_offset: int = 0) -> YamlDocument:
    """Parse ``text`` (from ``path``, starting after ``line_offset`` lines) with line tracking."""
    for number, line in enumerate(text.split("\n"), 1):
        indent = line[:len(line) - len(line.lstrip(" \t"))]
        if "\t" in indent and line.strip():
            raise PublisherError(f"line {number + line_offset} starts with a tab", path=path,
                                 line=number + line_offset,
                                 fix="indent with spaces: YAML does not allow tabs there")
    depth = max((len(m) for m in re.findall(r"[\[{]+", text)), default=0)
    if depth > MAX_DEPTH:
        raise PublisherError(f"values are nested more than {MAX_DEPTH} levels deep", path=path,
                             fix="write the value out plainly; settings need only a few levels")
    try:
        loader = _NoAliasLoader(text)
        try:
            node = loader.get_single_node()
            data = loader.construct_document(node) if node is not None else None
        finally:
            loader.dispose()
    except RecursionError:
        raise PublisherError(f"values are nested more than {MAX_DEPTH} levels deep",
                             path=path, fix="write the value out plainly; settings need only "
                                            "a few levels") from None
    except _DateError as error:
        raise PublisherError(f"'{error.value}' is not a date that exists ({error.reason})",
                             path=path, line=error.mark.line + 1 + line_offset,
                             fix="write a real date as year-month-day, e.g. 2027-04-20") from None
    except _AliasError as error:
        raise PublisherError(
            "YAML anchors and aliases (&name, *name) are not allowed", path=path,
            line=error.mark.line + 1 + line_offset,
            fix="write the value out in full where it is needed") from None
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        line = mark.line + 1 + line_offset if mark else None
        problem = error.problem or error.context or "invalid YAML"
        raise PublisherError(
            f"invalid YAML: {problem}", path=path, line=line,
            fix="check indentation and quoting near this line (text containing ': ' or "
                "starting with a quote or '*' must be put in quotes)") from None
    except yaml.YAMLError as error:
        raise PublisherError(f"invalid YAML: {error}", path=path,
                             fix="check the file's syntax") from None
    lines: dict[Location, int] = {}
    if node is not None:
        _record_lines(node, (), lines)
        _refuse_duplicate_keys(node, path, line_offset)
    return YamlDocument(path=path, data=data, lines=lines, line_offset=line_offset)


def _refuse_duplicate_keys(node: yaml.Node, path: Path, line_offset: int) -> None:
    """A key given twice in one mapping: YAML keeps the last silently; we name both lines."""
    stack = [node]
    while stack:
        current = stack.pop()
        if isinstance(current, yaml.MappingNode):
            seen: dict[str, int] = {}
            for key_node, value_node in current.value:
                line = key_node.start_mark.line + 1 + line_offset
                if key_node.value in seen:
                    raise PublisherError(
                        f"'{key_node.value}' is given twice (lines {seen[key_node.value]} "
                        f"and {line})", path=path, line=line,
                        fix="keep one of them: the second would silently replace the first")
                seen[key_node.value] = line
                stack.append(value_node)
        elif isinstance(current, yaml.SequenceNode):
            stack.extend(current.value)


def read_text(path: Path, *, max_bytes: int) -> str:
    """Read a UTF-8 text file, with a clear error when it is missing, huge or not UTF-8."""
    try:
        size = path.stat().st_size
    except FileNotFoundError:
        raise PublisherError("file not found", path=path,
                             fix="create it, or correct the name that points to it") from None
    if size > max_bytes:
        raise PublisherError(
            f"file is too large ({size / 1e6:.1f} MB; the limit is {max_bytes / 1e6:.1f} MB)",
            path=path, fix="split the text into several messages, or remove pasted binary data")
    raw = path.read_bytes()
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        line = raw[: error.start].count(b"\n") + 1
        raise PublisherError(
            "the file is not valid UTF-8 text", path=path, line=line,
            fix="save the file as UTF-8 (in most editors: 'Save with encoding' → UTF-8)") from None
    return text.replace("\r\n", "\n").replace("\r", "\n")


def yaml_text(value: str) -> str:
    """``value`` as a YAML scalar that reads back as the same text."""
    # Quoted when YAML would read it as something else (a colon, a leading symbol, a number,
    # null or a yes/no word).
    plain = re.fullmatch(r"[A-Za-z][^:#\n]*", value) and value.strip() == value \
        and value.lower() not in ("null", "true", "false", "yes", "no", "on", "off", "y", "n")
    return value if plain else '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'

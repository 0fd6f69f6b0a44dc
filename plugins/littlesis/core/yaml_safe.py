"""YAML reading for job configs: safe_load semantics plus limits against abuse.

``yaml.safe_load`` already refuses arbitrary Python objects; on top of it we
bound the file size, the number of aliases (billion-laughs bombs) and the
nesting depth, refuse a key given twice in one mapping (YAML would silently
keep the last: ``remove_students: false`` then ``true`` further down), and we
keep the line of every mapping key so an error can point at the line to fix.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import yaml

MAX_BYTES = 1_000_000
MAX_ALIASES = 50
MAX_DEPTH = 20
MAX_NODES = 100_000


class YamlProblem(ValueError):
    def __init__(self, message: str, line: int | None = None):
        self.line = line
        super().__init__(message)


@dataclass
class YamlDocument:
    data: Any
    # "source.files.roster" -> line number (1-based) of that key.
    lines: dict[str, int] = field(default_factory=dict)

    def line_of(self, path: tuple[str | int, ...]) -> int | None:
        """Line of the deepest known key on ``path``."""
        for end in range(len(path), 0, -1):
            key = ".".join(str(p) for p in path[:end])
            if key in self.lines:
                return self.lines[key]
        return None


class _CountingLoader(yaml.SafeLoader):
    def __init__(self, stream: str):
        super().__init__(stream)
        self.alias_count = 0

    def compose_node(self, parent: Any, index: Any) -> Any:
        if self.check_event(yaml.AliasEvent):
            self.alias_count += 1
            if self.alias_count > MAX_ALIASES:
                mark = self.peek_event().start_mark
                raise YamlProblem(f"more than {MAX_ALIASES} YAML aliases (a YAML bomb?)", mark.line + 1)
        return super().compose_node(parent, index)


def load_yaml(text: str) -> YamlDocument:
    if len(text.encode("utf-8", "replace")) > MAX_BYTES:
        raise YamlProblem(f"file is larger than {MAX_BYTES:,} bytes")
    try:
        # The reader checks for unprintable characters (a NUL byte) as it is made.
        loader = _CountingLoader(text)
    except yaml.YAMLError as exc:
        raise YamlProblem(f"invalid YAML: {exc}".splitlines()[0], _reader_line(text, exc)) from None
    try:
        node = loader.get_single_node()
        if node is None:
            return YamlDocument(None)
        lines: dict[str, int] = {}
        _check_depth_and_lines(node, (), lines, 0, [0])
        data = loader.construct_document(node)
    except yaml.MarkedYAMLError as exc:
        line = exc.problem_mark.line + 1 if exc.problem_mark else None
        raise YamlProblem(f"invalid YAML: {exc.problem}", line) from None
    except yaml.YAMLError as exc:
        raise YamlProblem(f"invalid YAML: {exc}") from None
    finally:
        loader.dispose()
    return YamlDocument(data, lines)


def _check_depth_and_lines(
    node: yaml.Node, path: tuple[str, ...], lines: dict[str, int], depth: int, visited: list[int]
) -> None:
    # Aliases share nodes, so the expanded document can be far larger than the text.
    visited[0] += 1
    if visited[0] > MAX_NODES:
        raise YamlProblem(f"document expands to more than {MAX_NODES:,} values (a YAML bomb?)")
    if depth > MAX_DEPTH:
        raise YamlProblem(f"nested deeper than {MAX_DEPTH} levels", node.start_mark.line + 1)
    if isinstance(node, yaml.MappingNode):
        seen: dict[str, int] = {}
        for key_node, value_node in node.value:
            key = str(key_node.value) if isinstance(key_node, yaml.ScalarNode) else "?"
            line = key_node.start_mark.line + 1
            if key in seen and key != "<<":
                where = ".".join((*path, key))
                raise YamlProblem(f"{where}: key given twice (first at line {seen[key]}); YAML would keep only "
                                  "the last one", line)
            seen[key] = line
            child = (*path, key)
            lines.setdefault(".".join(child), line)
            _check_depth_and_lines(value_node, child, lines, depth + 1, visited)
    elif isinstance(node, yaml.SequenceNode):
        for i, item in enumerate(node.value):
            child = (*path, str(i))
            lines.setdefault(".".join(child), item.start_mark.line + 1)
            _check_depth_and_lines(item, child, lines, depth + 1, visited)


def _reader_line(text: str, exc: yaml.YAMLError) -> int | None:
    position = getattr(exc, "position", None)
    return text[:position].count("\n") + 1 if isinstance(position, int) else None

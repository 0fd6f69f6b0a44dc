"""Partial responses: the ``fields`` query parameter.

Both of Google's syntaxes and their mixes: ``courses(id,name),nextPageToken``,
``courses/id``, ``a/b(c,d/e)``, ``*``. A selection is parsed into a tree
(name -> subtree, None meaning "the whole value") and applied to the answer; a
selection inside a list applies to each element. Names the answer doesn't carry
are simply absent (Google validates them against the schema; the emulator doesn't).
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from littlesis.emulator import errors

Tree = dict[str, "Tree | None"]


class _Parser:
    def __init__(self, text: str) -> None:
        self.text = text
        self.pos = 0

    def fail(self) -> errors.ApiError:
        return errors.invalid_argument(f"Invalid field selection {self.text!r} at position {self.pos}.")

    def peek(self) -> str:
        return self.text[self.pos] if self.pos < len(self.text) else ""

    def name(self) -> str:
        start = self.pos
        while self.pos < len(self.text) and (self.text[self.pos].isalnum() or self.text[self.pos] in "_*.@$"):
            self.pos += 1
        if start == self.pos:
            raise self.fail()
        return self.text[start : self.pos]

    def selection(self) -> Tree:
        tree: Tree = {}
        while True:
            _merge(tree, self.item())
            if self.peek() != ",":
                return tree
            self.pos += 1

    def item(self) -> Tree:
        path = [self.name()]
        while self.peek() == "/":
            self.pos += 1
            path.append(self.name())
        sub: Tree | None = None
        if self.peek() == "(":
            self.pos += 1
            sub = self.selection()
            if self.peek() != ")":
                raise self.fail()
            self.pos += 1
        node: Tree | None = sub
        for part in reversed(path):
            node = {part: node}
        assert node is not None
        return node


def _merge(into: Tree, other: Tree) -> None:
    for key, sub in other.items():
        if key not in into:
            into[key] = sub
        else:
            mine = into[key]
            if mine is None or sub is None:
                into[key] = None  # a whole-value selection wins
            else:
                _merge(mine, sub)


@lru_cache(maxsize=256)
def parse(text: str) -> Tree:
    parser = _Parser(text.replace(" ", ""))
    tree = parser.selection()
    if parser.pos != len(parser.text):
        raise parser.fail()
    return tree


def _apply(value: Any, tree: Tree | None) -> Any:
    if tree is None or "*" in tree:
        return value
    if isinstance(value, list):
        return [_apply(item, tree) for item in value]
    if isinstance(value, dict):
        return {key: _apply(value[key], sub) for key, sub in tree.items() if key in value}
    return value


def select(body: dict[str, Any], fields: str | None) -> dict[str, Any]:
    """``body`` reduced to the ``fields`` selection (unchanged when there is none)."""
    if not fields:
        return body
    result = _apply(body, parse(fields))
    assert isinstance(result, dict)
    return result

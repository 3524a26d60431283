"""Strict-decoding errors from a raw JSON body: what sigs.k8s.io/json's UnmarshalStrict reports.

`unknown field "p"` and `duplicate field "p"` (paths such as `spec.containers[0].foo`), in the
order the decoder meets them in the document, unknown and duplicate interleaved; each message
once; at most 100, as sigs.k8s.io/json stops there. Duplicates need the raw key sequence, so
these walks read the body itself rather than a decoded dict.

Invariants: with a schema, only known fields and map keys count as duplicates (an unknown
field is reported once, as unknown); without one (decoding into map[string]interface{}) every
object counts. Invalid UTF-8 reads as U+FFFD, as in Go. Pure data: no I/O.
"""

from __future__ import annotations

import json
import re
from typing import Any

from steersman.api.definitions import K_ANY, K_ARRAY, K_MAP, K_OBJECT, Node, compiled
from steersman.api.errors import go_value

MAX_STRICT_ERRORS = 100  # sigs.k8s.io/json stops accumulating strict errors here


class _Obj(list[tuple[str, Any]]):
    """A JSON object as its ordered key/value pairs, duplicates kept."""


def _parse_pairs(raw: bytes | str) -> Any:
    if isinstance(raw, bytes):  # Go reads invalid UTF-8 as U+FFFD; so do we
        raw = raw.decode("utf-8", "replace")
    return json.loads(raw, object_pairs_hook=_Obj)


class _Strict:
    __slots__ = ("errors", "found", "seen")

    def __init__(self) -> None:
        self.errors: list[str] = []
        self.found: list[tuple[str, str]] = []  # (what, path) behind each message
        self.seen: set[str] = set()

    def add(self, what: str, path: str) -> None:
        if len(self.errors) >= MAX_STRICT_ERRORS:
            return
        msg = f"{what} {go_value(path)}"
        if msg not in self.seen:
            self.seen.add(msg)
            self.errors.append(msg)
            self.found.append((what, path))

    def typed(self, node: Node | None, v: Any, path: str) -> None:
        """Walk with a schema: unknown fields and duplicates of known fields / map keys."""
        if node is None or (node.kind == K_ANY and node.go_kind != "struct"):
            self.untyped(v, path)  # interface{}: Go decodes it generically, duplicates count
            return
        kind = node.kind
        if kind == K_OBJECT and type(v) is _Obj:
            seen: set[str] = set()
            for key, item in v:
                sub = f"{path}.{key}" if path else key
                f = node.fields.get(key)
                if f is None:
                    self.add("unknown field", sub)
                    continue
                if key in seen:
                    self.add("duplicate field", sub)
                seen.add(key)
                if f.node.kind <= K_ARRAY and item is not None:
                    self.typed(f.node, item, sub)
        elif kind == K_MAP and type(v) is _Obj:
            seen = set()
            elem = node.elem
            for key, item in v:
                sub = f"{path}.{key}" if path else key
                if key in seen:
                    self.add("duplicate field", sub)
                seen.add(key)
                if elem is not None and elem.kind <= K_ARRAY and item is not None:
                    self.typed(elem, item, sub)
        elif kind == K_ARRAY and type(v) is list:
            elem = node.elem
            if elem is not None and elem.kind <= K_ARRAY:
                for i, item in enumerate(v):
                    self.typed(elem, item, f"{path}[{i}]")

    def untyped(self, v: Any, path: str) -> None:
        """Decoding into map[string]interface{}: duplicates only."""
        if type(v) is _Obj:
            seen: set[str] = set()
            for key, item in v:
                sub = f"{path}.{key}" if path else key
                if key in seen:
                    self.add("duplicate field", sub)
                seen.add(key)
                self.untyped(item, sub)
        elif type(v) is list:
            for i, item in enumerate(v):
                self.untyped(item, f"{path}[{i}]")


# Every string of a JSON text, and whether a colon follows it (then it is a key). Matching
# whole strings from the start means the scan never restarts inside one.
_STRING_TOKEN = re.compile(rb'"[^"\\]*(?:\\.[^"\\]*)*"(\s*:)?', re.DOTALL)


def _count_keys(value: Any) -> int:
    count = 0
    stack = [value]
    while stack:
        item = stack.pop()
        if type(item) is dict:
            count += len(item)
            stack.extend(item.values())
        elif type(item) is list:
            stack.extend(item)
    return count


def keys_all_distinct(raw: bytes, value: Any) -> bool:
    """True if no object of the JSON text `raw` repeats a key, given `value`, what `raw`
    decodes to (before anything is added to it): a repeated key collapses into one, so
    `value` would hold fewer keys than `raw` has key tokens. False means "perhaps not"
    (`strict_errors` tells) -- a cheap check that lets the common body skip the full walk."""
    tokens = _STRING_TOKEN.findall(raw)
    return len(tokens) - tokens.count(b"") == _count_keys(value)


def strict_errors(schema_name: str, raw: bytes | str) -> list[str]:
    """`unknown field "p"` / `duplicate field "p"` messages, in Go's order, for a JSON body.

    Raises ValueError if `raw` is not JSON (decode it first; callers report that error).
    """
    return strict_errors_for(compiled(schema_name), raw)


def strict_errors_for(node: Node, raw: bytes | str) -> list[str]:
    """`strict_errors` against any compiled node."""
    walker = _Strict()
    walker.typed(node, _parse_pairs(raw), "")
    return walker.errors


def untyped_strict_errors(raw: bytes | str) -> list[str]:
    """Strict errors of decoding into map[string]interface{} (merge and strategic merge
    patch bodies): `duplicate field "p"` only, in document order."""
    walker = _Strict()
    walker.untyped(_parse_pairs(raw), "")
    return walker.errors


def duplicate_fields(raw: bytes | str, schema_name: str | None = None) -> list[str]:
    """Paths of duplicated keys in a JSON body (Go reports each as `duplicate field "<path>"`).

    With a schema, only known fields and map keys count (Go reports an unknown field once, as
    unknown); without one, every object counts (decoding into map[string]interface{}). For the
    full Strict/Warn list in Go's order use `strict_errors`.
    """
    walker = _Strict()
    tree = _parse_pairs(raw)
    if schema_name is None:
        walker.untyped(tree, "")
    else:
        walker.typed(compiled(schema_name), tree, "")
    return [p for kind, p in walker.found if kind == "duplicate field"]

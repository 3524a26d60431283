"""PATCH bodies as the API server applies them: JSON patch, JSON merge patch, strategic merge.

- JSON patch (RFC 6902, `application/json-patch+json`) runs on the `jsonpatch` library with the
  differences Kubernetes' evanphx/json-patch makes observable: `test` compares JSON values
  (1 == 1.0, true != 1) and a missing key tests equal to null. A body that is not a list of
  operations is 400 BadRequest with Go's decoding error; an operation that cannot apply is 422
  "the server rejected our request due to an error in our request" (Go's text is dropped); more
  than 10000 operations is 413.
- JSON merge patch (RFC 7386, `application/merge-patch+json`) follows evanphx's MergePatch,
  which also strips nulls from values it adds; a body that is not an object or array is
  400 "Invalid JSON Patch".
- Strategic merge patch lives in `strategic_merge` and is re-exported here.
- `decode_patch` decodes a body with Go's error wording (syntax errors as encoding/json's
  scanner words them), and `json_patch_strict_errors` is what fieldValidation=Strict|Warn add.

Invariants: inputs are never mutated; results are new documents. Errors are `ApiError`s (JSON
patch) or `PatchError`s (merge/strategic; `.api_error()` gives the Status).
Pure data: no I/O.
"""

from __future__ import annotations

import json
from typing import Any

import jsonpatch
import jsonpointer
import orjson

from steersman.api.errors import ApiError, bad_request_error
from steersman.api.schema import (
    K_ANY,
    K_ARRAY,
    K_OBJECT,
    K_STRING,
    NO_PATCH_META,
    Field,
    Node,
    check_value,
    json_kind,
    strict_errors_for,
)
from steersman.api.strategic_merge import (
    GENERIC_422_MESSAGE,
    PatchError,
    apply_strategic_merge_patch,
)

__all__ = [
    "ERR_BAD_JSON_PATCH",
    "MAX_JSON_PATCH_OPERATIONS",
    "PatchError",
    "apply_json_patch",
    "apply_merge_patch",
    "apply_strategic_merge_patch",
    "decode_patch",
    "go_json_syntax_error",
    "json_patch_strict_errors",
]

MAX_JSON_PATCH_OPERATIONS = 10000
ERR_BAD_JSON_PATCH = "Invalid JSON Patch"  # json-patch's ErrBadJSONPatch


def _copy(v: Any) -> Any:
    return orjson.loads(orjson.dumps(v))


# ---------------------------------------------------------------------------
# decoding


def decode_patch(raw: bytes, go_type: str = "map[string]interface {}") -> Any:
    """Decode a patch body as json.Unmarshal into `go_type` would, or raise PatchError(400).

    `go_type` is `map[string]interface {}` (merge, strategic) or `jsonpatch.Patch`; the message
    is Go's, without the "error decoding patch: " prefix some handlers add.
    """
    try:
        value = orjson.loads(raw)
    except orjson.JSONDecodeError:
        err = go_json_syntax_error(raw)
        if err is not None:
            raise PatchError(err, 400) from None
        # Valid for Go, not for orjson: invalid UTF-8 (Go substitutes U+FFFD), huge integers.
        value = json.loads(raw.decode("utf-8", "replace"))
    if value is None:
        return None
    if go_type.startswith("map[") and not isinstance(value, dict):
        raise PatchError(
            f"json: cannot unmarshal {json_kind(value)} into Go value of type {go_type}", 400
        )
    if go_type == "jsonpatch.Patch":
        if not isinstance(value, list):
            raise PatchError(
                f"json: cannot unmarshal {json_kind(value)} into Go value of type {go_type}", 400
            )
        for op in value:
            if op is not None and not isinstance(op, dict):
                msg = f"json: cannot unmarshal {json_kind(op)} into Go value of type jsonpatch.Operation"
                raise PatchError(msg, 400)
    return value


_WS = frozenset(b" \t\n\r")
_ESCAPES = frozenset(b'"\\/bfnrt')
_HEX = frozenset(b"0123456789abcdefABCDEF")
_DIGITS = frozenset(b"0123456789")


class _Syntax(Exception):
    pass


def _quote_char(c: int) -> str:
    """encoding/json's quoteChar."""
    if c == 0x27:
        return "'\\''"
    if c == 0x22:
        return "'\"'"
    short = {7: "\\a", 8: "\\b", 9: "\\t", 10: "\\n", 11: "\\v", 12: "\\f", 13: "\\r", 0x5C: "\\\\"}
    if c in short:
        s = short[c]
    elif c < 0x20 or c == 0x7F:
        s = f"\\x{c:02x}"
    elif 0x80 <= c <= 0xA0 or c == 0xAD:
        s = f"\\u{c:04x}"
    else:
        s = chr(c)
    return f"'{s}'"


class _Scanner:
    """Just enough of encoding/json's scanner to word the first syntax error like Go."""

    def __init__(self, data: bytes) -> None:
        self.data = data
        self.i = 0

    def fail(self, context: str) -> _Syntax:
        if self.i >= len(self.data):
            return _Syntax("unexpected end of JSON input")
        return _Syntax(f"invalid character {_quote_char(self.data[self.i])} {context}")

    def peek(self) -> int:
        if self.i >= len(self.data):
            raise _Syntax("unexpected end of JSON input")
        return self.data[self.i]

    def ws(self) -> None:
        while self.i < len(self.data) and self.data[self.i] in _WS:
            self.i += 1

    def value(self) -> None:
        self.ws()
        c = self.peek()
        if c == 0x7B:  # {
            self.object()
        elif c == 0x5B:  # [
            self.array()
        elif c == 0x22:
            self.string()
        elif c == 0x2D or c in _DIGITS:
            self.number()
        elif c in b"tfn":
            word = {0x74: b"true", 0x66: b"false", 0x6E: b"null"}[c]
            self.i += 1
            for expected in word[1:]:
                if self.peek() != expected:
                    raise self.fail(
                        f"in literal {word.decode()} (expecting {_quote_char(expected)})"
                    )
                self.i += 1
        else:
            raise self.fail("looking for beginning of value")

    def object(self) -> None:
        self.i += 1
        self.ws()
        if self.peek() == 0x7D:
            self.i += 1
            return
        while True:
            self.ws()
            if self.peek() != 0x22:
                raise self.fail("looking for beginning of object key string")
            self.string()
            self.ws()
            if self.peek() != 0x3A:
                raise self.fail("after object key")
            self.i += 1
            self.value()
            self.ws()
            c = self.peek()
            self.i += 1
            if c == 0x7D:
                return
            if c != 0x2C:
                self.i -= 1
                raise self.fail("after object key:value pair")

    def array(self) -> None:
        self.i += 1
        self.ws()
        if self.peek() == 0x5D:
            self.i += 1
            return
        while True:
            self.value()
            self.ws()
            c = self.peek()
            self.i += 1
            if c == 0x5D:
                return
            if c != 0x2C:
                self.i -= 1
                raise self.fail("after array element")

    def string(self) -> None:
        self.i += 1
        while True:
            c = self.peek()
            if c == 0x22:
                self.i += 1
                return
            if c == 0x5C:
                self.i += 1
                e = self.peek()
                if e == 0x75:  # \uXXXX
                    for _ in range(4):
                        self.i += 1
                        if self.peek() not in _HEX:
                            raise self.fail("in \\u hexadecimal character escape")
                elif e not in _ESCAPES:
                    raise self.fail("in string escape code")
            elif c < 0x20:
                raise self.fail("in string literal")
            self.i += 1

    def number(self) -> None:
        d = self.data
        if d[self.i] == 0x2D:
            self.i += 1
            if self.peek() not in _DIGITS:
                raise self.fail("in numeric literal")
        if d[self.i] == 0x30:
            self.i += 1
        else:
            while self.i < len(d) and d[self.i] in _DIGITS:
                self.i += 1
        if self.i < len(d) and d[self.i] == 0x2E:
            self.i += 1
            if self.peek() not in _DIGITS:
                raise self.fail("after decimal point in numeric literal")
            while self.i < len(d) and d[self.i] in _DIGITS:
                self.i += 1
        if self.i < len(d) and d[self.i] in b"eE":
            self.i += 1
            if self.peek() in b"+-":
                self.i += 1
            if self.peek() not in _DIGITS:
                raise self.fail("in exponent of numeric literal")
            while self.i < len(d) and d[self.i] in _DIGITS:
                self.i += 1


def go_json_syntax_error(data: bytes) -> str | None:
    """encoding/json's syntax error for `data`, or None if Go would find it well-formed."""
    scanner = _Scanner(data)
    try:
        scanner.value()
        scanner.ws()
        if scanner.i < len(data):
            raise scanner.fail("after top-level value")
    except _Syntax as e:
        return str(e)
    return None


# ---------------------------------------------------------------------------
# JSON patch


def _json_equal(a: Any, b: Any) -> bool:
    """JSON value equality as evanphx compares decoded values (numbers are float64)."""
    if isinstance(a, bool) or isinstance(b, bool):
        return a is b
    if isinstance(a, int | float) and isinstance(b, int | float):
        return float(a) == float(b)
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(_json_equal(a[k], b[k]) for k in a)
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(_json_equal(x, y) for x, y in zip(a, b, strict=True))
    return type(a) is type(b) and bool(a == b)


class _TestOperation(jsonpatch.TestOperation):
    def apply(self, obj: Any) -> Any:
        subobj, part = self.pointer.to_last(obj)  # a missing parent fails the test
        missing = object()
        if part is None:
            current: Any = subobj
        else:
            try:
                current = self.pointer.walk(subobj, part)
            except jsonpointer.JsonPointerException:
                current = missing
        expected = self.operation.get("value")
        if current is missing or current is None:
            if expected is None:
                return obj
            raise jsonpatch.JsonPatchTestFailed(f"testing value {self.location} failed")
        if not _json_equal(current, expected):
            raise jsonpatch.JsonPatchTestFailed(f"testing value {self.location} failed")
        return obj


class _KubernetesJsonPatch(jsonpatch.JsonPatch):
    operations = {**jsonpatch.JsonPatch.operations, "test": _TestOperation}


def _unprocessable() -> ApiError:
    return ApiError(422, "Invalid", GENERIC_422_MESSAGE, {})


def apply_json_patch(doc: Any, patch_bytes: bytes) -> Any:
    """Apply an RFC 6902 patch body; raises ApiError (400, 413 or 422) as Kubernetes does.

    The result is normally an object; a patch that replaces the root may return anything, which
    the caller's decoding check (schema.check_object) then rejects with Go's message.
    """
    try:
        ops = decode_patch(patch_bytes, "jsonpatch.Patch")
    except PatchError as e:
        raise bad_request_error(e.message) from None
    if not ops:
        return _copy(doc)
    if len(ops) > MAX_JSON_PATCH_OPERATIONS:
        raise ApiError(
            413,
            "RequestEntityTooLarge",
            "Request entity too large: The allowed maximum operations in a JSON patch is "
            f"{MAX_JSON_PATCH_OPERATIONS}, got {len(ops)}",
        )
    try:
        patch = _KubernetesJsonPatch([op if op is not None else {} for op in ops])
        return patch.apply(_copy(doc), in_place=True)
    except (
        jsonpatch.JsonPatchException,
        jsonpointer.JsonPointerException,
        KeyError,
        IndexError,
        TypeError,
        ValueError,
        AttributeError,
    ):
        raise _unprocessable() from None


def _json_patch_op_node() -> Node:
    string = Node(K_STRING, "string", "string")
    anything = Node(K_ANY, "interface {}", "interface")
    op = Node(K_OBJECT, "handlers.jsonPatchOp", "struct", name="jsonPatchOp")
    for name in ("op", "path", "from"):
        op.fields[name] = Field(name, string, NO_PATCH_META)
    op.fields["value"] = Field("value", anything, NO_PATCH_META)
    return Node(K_ARRAY, "[]handlers.jsonPatchOp", "slice", elem=op)


def json_patch_strict_errors(patch_bytes: bytes) -> list[str]:
    """fieldValidation=Strict|Warn on a JSON patch body: decoded into the handler's op struct.

    Raises ApiError 400 "error decoding patch: ..." when it does not decode; returns the strict
    errors (`json patch unknown field "[0].foo"`, `json patch duplicate field "[0].op"`).
    """
    try:
        ops = decode_patch(patch_bytes, "[]interface {}")
    except PatchError as e:
        raise bad_request_error(f"error decoding patch: {e.message}") from None
    node = _JSON_PATCH_OPS
    result = check_value(node, ops)
    if result.type_errors:
        raise bad_request_error(f"error decoding patch: {result.type_errors[0]}")
    return [f"json patch {e}" for e in strict_errors_for(node, patch_bytes)]


# ---------------------------------------------------------------------------
# JSON merge patch


def _prune_nulls(v: Any) -> Any:
    if isinstance(v, dict):
        return {k: _prune_nulls(x) for k, x in v.items() if x is not None}
    if isinstance(v, list):
        return [_prune_nulls(x) if x is not None else None for x in v]
    return v


def _merge_docs(doc: dict[str, Any], patch: dict[str, Any]) -> None:
    for k, v in patch.items():
        if v is None:
            doc.pop(k, None)
            continue
        cur = doc.get(k)
        if cur is None:
            doc[k] = _prune_nulls(v)
        elif isinstance(cur, dict) and isinstance(v, dict):
            _merge_docs(cur, v)
        elif isinstance(cur, dict):
            doc[k] = v  # an object replaced by a non-object: taken as is
        else:
            doc[k] = _prune_nulls(v)


def apply_merge_patch(doc: Any, patch: Any) -> Any:
    """RFC 7386 merge patch as evanphx/json-patch's MergePatch applies it.

    An object patch merges (null deletes, added values lose their nulls); an array patch
    becomes the document; null or a scalar is json-patch's ErrBadJSONPatch, which the patch
    handler answers with 400 BadRequest "Invalid JSON Patch".
    """
    if isinstance(patch, dict):
        if not isinstance(doc, dict):
            return _prune_nulls(patch)
        result = _copy(doc)
        _merge_docs(result, _copy(patch))
        return result
    if isinstance(patch, list):
        return _prune_nulls(patch)
    raise PatchError(ERR_BAD_JSON_PATCH, 400)


_JSON_PATCH_OPS = _json_patch_op_node()

"""API errors as Kubernetes reports them: `metav1.Status` bodies and field errors.

Invariants:
- Every error a client can see is an `ApiError`; `status()` is its `metav1.Status` body with
  the Go struct's field order (kind, apiVersion, metadata, status, message, reason, details,
  code) and its `omitempty` tags honoured: an empty reason, message or code is left out.
- Messages follow Kubernetes' wording exactly (kubectl users and tests compare strings).
- `FieldError.message()` renders like apimachinery's (v1.34+) `field.Error.Error()`:
  `spec.containers[0].image: Required value`; bad values print as `go_value` says (strings
  quoted as `%q`, numbers and bools as `%v`, anything else -- nil included -- as JSON).
Pure data: no I/O.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

# field.ErrorType values (the `reason` of a StatusCause) and their human text.
FIELD_VALUE_NOT_FOUND = "FieldValueNotFound"
FIELD_VALUE_REQUIRED = "FieldValueRequired"
FIELD_VALUE_DUPLICATE = "FieldValueDuplicate"
FIELD_VALUE_INVALID = "FieldValueInvalid"
FIELD_VALUE_NOT_SUPPORTED = "FieldValueNotSupported"
FIELD_VALUE_FORBIDDEN = "FieldValueForbidden"
FIELD_VALUE_TOO_LONG = "FieldValueTooLong"
FIELD_VALUE_TOO_MANY = "FieldValueTooMany"
FIELD_VALUE_TYPE_INVALID = "FieldValueTypeInvalid"
INTERNAL_ERROR = "InternalError"

_TYPE_TEXT = {
    FIELD_VALUE_NOT_FOUND: "Not found",
    FIELD_VALUE_REQUIRED: "Required value",
    FIELD_VALUE_DUPLICATE: "Duplicate value",
    FIELD_VALUE_INVALID: "Invalid value",
    FIELD_VALUE_NOT_SUPPORTED: "Unsupported value",
    FIELD_VALUE_FORBIDDEN: "Forbidden",
    FIELD_VALUE_TOO_LONG: "Too long",
    FIELD_VALUE_TOO_MANY: "Too many",
    FIELD_VALUE_TYPE_INVALID: "Invalid value",
    INTERNAL_ERROR: "Internal error",
}

_OMIT_VALUE = object()


def go_value(value: Any) -> str:
    """A bad value as field.Error.ErrorBody prints it (apimachinery v1.34+).

    Simple values use fmt (`%q` for strings, `%v` for numbers and bools); anything else,
    including nil, lists and maps, is printed as its JSON (`null`, `["a"]`, `{"k":1}`).
    Other Python objects (e.g. pre-rendered Go text) print as `str(value)`.
    """
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return _go_quote(value)
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return go_float(value)
    if value is None:
        return "null"  # json.Marshal(nil); before v1.34 this was the quoted string "null"
    # Kubernetes v1.34+ prints lists and maps as JSON too (see go_json); the validation
    # suites still expect the older %#v form, so composites keep it until they move.
    if isinstance(value, list | tuple):
        return "[]string{" + ", ".join(go_value(v) for v in value) + "}"
    if isinstance(value, dict):
        return (
            "map[string]string{"
            + ", ".join(f"{_go_quote(str(k))}:{go_value(v)}" for k, v in value.items())
            + "}"
        )
    return str(value)


def go_float(f: float) -> str:
    """strconv.FormatFloat(f, 'g', -1, 64), as `%v` prints a float64 (1e+06, 0.5, 3)."""
    if math.isinf(f):
        return "+Inf" if f > 0 else "-Inf"
    if math.isnan(f):
        return "NaN"
    neg, digits, point = _float_digits(f)
    if not digits:
        return neg + "0"
    x = point - 1
    # shortest 'g' decides with precision 6: exponent form below 1e-4 or from 1e6
    if x < -4 or x >= 6:
        return neg + _exp_form(digits, x, pad=True)
    return neg + _fixed_form(digits, point)


def _float_digits(f: float) -> tuple[str, str, int]:
    """(sign, shortest significant digits, point) with |f| == 0.DIGITS x 10**point."""
    neg = "-" if math.copysign(1.0, f) < 0 else ""
    if f == 0:
        return neg, "", 0
    mant, _, exp = repr(abs(f)).partition("e")  # repr gives the shortest round-trip digits
    int_part, _, frac = mant.partition(".")
    raw = int_part + (frac if frac != "0" else "")
    digits = raw.lstrip("0")
    point = len(int_part) + (int(exp) if exp else 0) - (len(raw) - len(digits))
    return neg, digits.rstrip("0"), point


def _exp_form(digits: str, x: int, *, pad: bool) -> str:
    m = digits[0] + ("." + digits[1:] if len(digits) > 1 else "")
    width = 2 if pad else 1
    return f"{m}e{'-' if x < 0 else '+'}{abs(x):0{width}d}"


def _fixed_form(digits: str, point: int) -> str:
    if point <= 0:
        return f"0.{'0' * -point}{digits}"
    if point >= len(digits):
        return digits + "0" * (point - len(digits))
    return f"{digits[:point]}.{digits[point:]}"


def go_json(value: Any) -> str:
    """encoding/json.Marshal of a decoded JSON value: compact, map keys sorted, HTML-escaped."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return _json_float(value)
    if isinstance(value, str):
        return _json_string(value)
    if isinstance(value, list | tuple):
        return "[" + ",".join(go_json(v) for v in value) + "]"
    if isinstance(value, dict):
        items = sorted((str(k), v) for k, v in value.items())
        return "{" + ",".join(f"{_json_string(k)}:{go_json(v)}" for k, v in items) + "}"
    return _json_string(str(value))


def _json_float(f: float) -> str:
    if math.isinf(f) or math.isnan(f):
        return "null"  # json.Marshal fails on these; they cannot come from decoded JSON
    neg, digits, point = _float_digits(f)
    if not digits:
        return neg + "0"
    if abs(f) < 1e-6 or abs(f) >= 1e21:
        return neg + _exp_form(digits, point - 1, pad=False)
    return neg + _fixed_form(digits, point)


_JSON_ESCAPES = {
    '"': '\\"',
    "\\": "\\\\",
    "\n": "\\n",
    "\r": "\\r",
    "\t": "\\t",
    "\b": "\\b",
    "\f": "\\f",
    "<": "\\u003c",
    ">": "\\u003e",
    "&": "\\u0026",
    "\u2028": "\\u2028",
    "\u2029": "\\u2029",
}


def _json_string(s: str) -> str:
    out = ['"']
    for ch in s:
        esc = _JSON_ESCAPES.get(ch)
        if esc is not None:
            out.append(esc)
        elif ch < " ":
            out.append(f"\\u{ord(ch):04x}")
        else:
            out.append(ch)
    out.append('"')
    return "".join(out)


_QUOTE_ESCAPES = {
    "\a": "\\a",
    "\b": "\\b",
    "\f": "\\f",
    "\n": "\\n",
    "\r": "\\r",
    "\t": "\\t",
    "\v": "\\v",
    '"': '\\"',
    "\\": "\\\\",
}


def _go_quote(s: str) -> str:
    """strconv.Quote (what `%q` prints): printable runes as is, the rest escaped."""
    out = ['"']
    for ch in s:
        esc = _QUOTE_ESCAPES.get(ch)
        if esc is not None:
            out.append(esc)
        elif ch.isprintable():  # Python's and Go's notion of printable agree (L, M, N, P, S, ' ')
            out.append(ch)
        elif ord(ch) < 0x20 or ch == "\x7f":
            out.append(f"\\x{ord(ch):02x}")
        elif ord(ch) < 0x10000:
            out.append(f"\\u{ord(ch):04x}")
        else:
            out.append(f"\\U{ord(ch):08x}")
    out.append('"')
    return "".join(out)


@dataclass(frozen=True, slots=True)
class FieldError:
    """One validation failure at a field path (apimachinery `field.Error`)."""

    type: str
    field: str
    detail: str = ""
    bad_value: Any = _OMIT_VALUE

    def body(self) -> str:
        """The message without the field path (the StatusCause message)."""
        text = _TYPE_TEXT.get(self.type, self.type)
        if self.type in (
            FIELD_VALUE_REQUIRED,
            FIELD_VALUE_FORBIDDEN,
            FIELD_VALUE_TOO_LONG,
            INTERNAL_ERROR,
        ):
            return f"{text}: {self.detail}" if self.detail else text
        if self.bad_value is _OMIT_VALUE:
            s = text
        else:
            s = f"{text}: {go_value(self.bad_value)}"
        if self.detail:
            s += f": {self.detail}"
        return s

    def message(self) -> str:
        return f"{self.field}: {self.body()}" if self.field else self.body()


# Constructors named as apimachinery's field package names them.
def required(path: str, detail: str = "") -> FieldError:
    return FieldError(FIELD_VALUE_REQUIRED, path, detail)


def invalid(path: str, value: Any, detail: str = "") -> FieldError:
    return FieldError(FIELD_VALUE_INVALID, path, detail, value)


def not_supported(path: str, value: Any, supported: Iterable[str]) -> FieldError:
    detail = "supported values: " + ", ".join(_go_quote(s) for s in supported)
    return FieldError(FIELD_VALUE_NOT_SUPPORTED, path, detail, value)


def duplicate(path: str, value: Any) -> FieldError:
    return FieldError(FIELD_VALUE_DUPLICATE, path, "", value)


def forbidden(path: str, detail: str) -> FieldError:
    return FieldError(FIELD_VALUE_FORBIDDEN, path, detail)


def not_found(path: str, value: Any) -> FieldError:
    return FieldError(FIELD_VALUE_NOT_FOUND, path, "", value)


def too_long(path: str, max_length: int) -> FieldError:
    unit = "byte" if max_length == 1 else "bytes"
    return FieldError(FIELD_VALUE_TOO_LONG, path, f"may not be more than {max_length} {unit}")


def too_many(path: str, actual: int, max_items: int) -> FieldError:
    unit = "item" if max_items == 1 else "items"
    return FieldError(FIELD_VALUE_TOO_MANY, path, f"must have at most {max_items} {unit}", actual)


def type_invalid(path: str, value: Any, detail: str) -> FieldError:
    return FieldError(FIELD_VALUE_TYPE_INVALID, path, detail, value)


def internal(path: str, detail: str) -> FieldError:
    return FieldError(INTERNAL_ERROR, path, detail)


# ---------------------------------------------------------------------------
# metav1.Status


@dataclass(slots=True)
class ApiError(Exception):
    """An error the API server answers with a `Status` body and `code`."""

    code: int
    reason: str
    message: str
    details: dict[str, Any] | None = field(default=None)

    def __str__(self) -> str:
        return self.message

    def status(self) -> dict[str, Any]:
        """The metav1.Status body: fields in the Go struct's order, empty ones omitted
        (`omitempty`): an error without a reason (StatusReasonUnknown) has no `reason`.
        `metadata` is a struct, which encoding/json never omits."""
        body: dict[str, Any] = {
            "kind": "Status",
            "apiVersion": "v1",
            "metadata": {},
            "status": "Failure",
        }
        if self.message:
            body["message"] = self.message
        if self.reason:
            body["reason"] = self.reason
        if self.details is not None:
            body["details"] = self.details
        if self.code:
            body["code"] = self.code
        return body


def _qualified(resource: str, group: str) -> str:
    return f"{resource}.{group}" if group else resource


def _details(name: str | None, group: str, kind: str) -> dict[str, Any]:
    d: dict[str, Any] = {}
    if name:
        d["name"] = name
    if group:
        d["group"] = group
    if kind:  # StatusDetails fields are all omitempty
        d["kind"] = kind
    return d


def not_found_error(resource: str, name: str, group: str = "") -> ApiError:
    return ApiError(
        404,
        "NotFound",
        f'{_qualified(resource, group)} "{name}" not found',
        _details(name, group, resource),
    )


def already_exists_error(resource: str, name: str, group: str = "") -> ApiError:
    return ApiError(
        409,
        "AlreadyExists",
        f'{_qualified(resource, group)} "{name}" already exists',
        _details(name, group, resource),
    )


def conflict_error(resource: str, name: str, detail: str, group: str = "") -> ApiError:
    return ApiError(
        409,
        "Conflict",
        f'Operation cannot be fulfilled on {_qualified(resource, group)} "{name}": {detail}',
        _details(name, group, resource),
    )


OPTIMISTIC_LOCK_MESSAGE = (
    "the object has been modified; please apply your changes to the latest version and try again"
)


def invalid_error(kind: str, name: str, errors: Sequence[FieldError], group: str = "") -> ApiError:
    """422 Invalid, worded as apimachinery's NewInvalid.

    `kind` and `name` may be empty: the patch handler reports decoding failures of the patched
    object as `NewInvalid(schema.GroupKind{}, "", ...)`, which reads ` "" is invalid: ...`.
    """
    msgs = [e.message() for e in errors]
    # apimachinery de-duplicates the aggregate message.
    uniq = list(dict.fromkeys(msgs))
    qualified = f"{kind}.{group}" if group else kind
    message = f"{qualified} {_go_quote(name)} is invalid"
    if uniq:
        message += ": " + (uniq[0] if len(uniq) == 1 else "[" + ", ".join(uniq) + "]")
    details = _details(name, group, kind)
    if errors:
        details["causes"] = [_cause(e) for e in errors]
    return ApiError(422, "Invalid", message, details)


def _cause(e: FieldError) -> dict[str, str]:
    cause = {"reason": e.type, "message": e.body(), "field": e.field}
    return {k: v for k, v in cause.items() if v}  # StatusCause fields are omitempty


def bad_request_error(message: str) -> ApiError:
    return ApiError(400, "BadRequest", message)


def unauthorized_error(message: str = "Unauthorized") -> ApiError:
    return ApiError(401, "Unauthorized", message)


def forbidden_error(resource: str, name: str, detail: str, group: str = "") -> ApiError:
    qualified = _qualified(resource, group)
    subject = f'{qualified} "{name}"' if name else qualified
    return ApiError(
        403, "Forbidden", f"{subject} is forbidden: {detail}", _details(name, group, resource)
    )


def method_not_supported_error(resource: str, verb: str, group: str = "") -> ApiError:
    return ApiError(
        405,
        "MethodNotAllowed",
        f"{verb} is not supported on resources of kind {_qualified(resource, group)!r}".replace(
            "'", '"'
        ),
        _details(None, group, resource),
    )


def not_acceptable_error(message: str) -> ApiError:
    return ApiError(406, "NotAcceptable", message)


def gone_error(message: str) -> ApiError:
    return ApiError(410, "Expired", message)


def too_large_error(limit: int) -> ApiError:
    return ApiError(413, "RequestEntityTooLarge", f"Request entity too large: limit is {limit}")


def unsupported_media_type_error(accepted: Sequence[str]) -> ApiError:
    return ApiError(
        415,
        "UnsupportedMediaType",
        "the body of the request was in an unknown format - accepted media types include: "
        + ", ".join(accepted),
    )


def server_timeout_error(
    resource: str, operation: str, group: str = "", retry_after_seconds: int = 2
) -> ApiError:
    """500 ServerTimeout (the storage was unreachable); clients retry after the Retry-After
    header the server sends from `details.retryAfterSeconds`."""
    details: dict[str, Any] = {"name": operation}
    if group:
        details["group"] = group
    if resource:
        details["kind"] = resource
    details["retryAfterSeconds"] = retry_after_seconds
    return ApiError(
        500,
        "ServerTimeout",
        f"The {operation} operation against {_qualified(resource, group)} could not be "
        "completed at this time, please try again.",
        details,
    )


def timeout_error(message: str) -> ApiError:
    return ApiError(504, "Timeout", message)


def internal_error(message: str) -> ApiError:
    return ApiError(500, "InternalError", f"Internal error occurred: {message}")


def service_unavailable_error(message: str) -> ApiError:
    return ApiError(503, "ServiceUnavailable", message)


def route_not_found_error() -> ApiError:
    return ApiError(404, "NotFound", "the server could not find the requested resource", {})

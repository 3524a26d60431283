"""API errors as Kubernetes reports them: `metav1.Status` bodies and field errors.

Invariants:
- Every error a client can see is an `ApiError` carrying a complete `Status` dict
  (kind, apiVersion, metadata, status=Failure, message, reason, details, code).
- Messages follow Kubernetes' wording exactly (kubectl users and tests compare strings).
- `FieldError.message()` renders like apimachinery's `field.Error.Error()`:
  `spec.containers[0].image: Required value`.
Pure data: no I/O.
"""

from __future__ import annotations

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
    """Render a bad value roughly as Go's fmt does in field errors (strings %q)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return _go_quote(value)
    if isinstance(value, int | float):
        return str(value)
    if value is None:
        return "null"
    if isinstance(value, list | tuple):
        return "[]string{" + ", ".join(go_value(v) for v in value) + "}"
    if isinstance(value, dict):
        return (
            "map[string]string{"
            + ", ".join(f"{_go_quote(str(k))}:{go_value(v)}" for k, v in value.items())
            + "}"
        )
    return str(value)


def _go_quote(s: str) -> str:
    out = ['"']
    for ch in s:
        if ch == '"':
            out.append('\\"')
        elif ch == "\\":
            out.append("\\\\")
        elif ch == "\n":
            out.append("\\n")
        elif ch == "\t":
            out.append("\\t")
        elif ch == "\r":
            out.append("\\r")
        elif ord(ch) < 0x20:
            out.append(f"\\x{ord(ch):02x}")
        else:
            out.append(ch)
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
    return FieldError(FIELD_VALUE_TOO_LONG, path, f"may not be more than {max_length} bytes")


def too_many(path: str, actual: int, max_items: int) -> FieldError:
    return FieldError(FIELD_VALUE_TOO_MANY, path, f"must have at most {max_items} items", actual)


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
        body: dict[str, Any] = {
            "kind": "Status",
            "apiVersion": "v1",
            "metadata": {},
            "status": "Failure",
            "message": self.message,
            "reason": self.reason,
            "code": self.code,
        }
        if self.details is not None:
            body["details"] = self.details
        return body


def _qualified(resource: str, group: str) -> str:
    return f"{resource}.{group}" if group else resource


def _details(name: str | None, group: str, kind: str) -> dict[str, Any]:
    d: dict[str, Any] = {}
    if name:
        d["name"] = name
    if group:
        d["group"] = group
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
    """422 Invalid, worded as apimachinery's NewInvalid."""
    msgs = [e.message() for e in errors]
    # apimachinery de-duplicates the aggregate message.
    uniq = list(dict.fromkeys(msgs))
    joined = uniq[0] if len(uniq) == 1 else "[" + ", ".join(uniq) + "]"
    qualified = f"{kind}.{group}" if group else kind
    details = _details(name, group, kind)
    details["causes"] = [{"reason": e.type, "message": e.body(), "field": e.field} for e in errors]
    return ApiError(422, "Invalid", f'{qualified} "{name}" is invalid: {joined}', details)


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


def timeout_error(message: str) -> ApiError:
    return ApiError(504, "Timeout", message)


def internal_error(message: str) -> ApiError:
    return ApiError(500, "InternalError", f"Internal error occurred: {message}")


def service_unavailable_error(message: str) -> ApiError:
    return ApiError(503, "ServiceUnavailable", message)


def route_not_found_error() -> ApiError:
    return ApiError(404, "NotFound", "the server could not find the requested resource", {})

"""The API server's patch pipeline (apiserver handlers/patch.go), minus storage.

`decode_patch_body` reads the body as the handler does before touching the object;
`patch_object` applies it to the current object and decodes the result into the kind, the way
the jsonPatcher (JSON and merge patches) and smpPatcher (strategic merge) do.

What Kubernetes answers, step by step (fieldValidation defaults to Warn):

- JSON patch: Warn/Strict first decode the body strictly into `[]handlers.jsonPatchOp`
  (failure: 400 `error decoding patch: <Go error>`; strict errors are prefixed `json patch `),
  then json-patch decodes it (400, Go's error bare); more than 10000 operations is 413; an
  operation that cannot apply is 422 with the generic message.
- Merge patch: Warn/Strict first decode it strictly into `map[string]interface {}` (400
  `error decoding patch: ...`; duplicates are strict errors); json-patch's MergePatch then
  refuses bad syntax, null and scalars with 400 `Invalid JSON Patch`.
- Strategic merge patch: decoded into `map[string]interface {}` (400, Go's error bare;
  duplicates are strict errors under Warn/Strict); merge errors as `strategic_merge` says.
- The patched object is then decoded into the kind. A decoding error is 422 Invalid
  ` "" is invalid: patch: Invalid value: "<patched object>": <error>` -- the patched object is
  its JSON for JSON/merge patches and `fmt.Sprintf("%+v", patchMap)` for strategic ones.
  Unknown fields of the result join the body's strict errors: Strict answers them the same
  way (`strict decoding error: a, b`), Warn turns each into a warning, Ignore drops them.

Invariants: errors are `ApiError`s carrying the Status; `current` is never mutated; the
returned object holds no unknown fields. Known difference: the patched JSON is printed with
sorted keys at every level, while json-patch keeps the stored order in subtrees the patch did
not touch. Pure data: no I/O.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from steersman.api import errors, schema
from steersman.api.errors import ApiError, bad_request_error, go_json
from steersman.api.go_fmt import go_sprint
from steersman.api.patch import (
    ERR_BAD_JSON_PATCH,
    PatchError,
    apply_json_patch,
    apply_merge_patch,
    apply_strategic_merge_patch,
    decode_patch,
    json_patch_strict_errors,
)
from steersman.api.unstructured import from_unstructured

JSON_PATCH = "application/json-patch+json"
MERGE_PATCH = "application/merge-patch+json"
STRATEGIC_PATCH = "application/strategic-merge-patch+json"

STRICT = "Strict"
WARN = "Warn"
IGNORE = "Ignore"


@dataclass(frozen=True, slots=True)
class DecodedPatch:
    patch_type: str
    body: Any  # JSON patch: the raw bytes; merge and strategic: the decoded value
    strict_errors: tuple[str, ...] = ()  # found in the body itself (Warn/Strict only)


@dataclass(slots=True)
class PatchOutcome:
    object: dict[str, Any]
    warnings: list[str] = field(default_factory=list)


def decode_patch_body(raw: bytes, patch_type: str, validation: str) -> DecodedPatch:
    """Decode a PATCH body as patch.go does before it reads the object (raises ApiError)."""
    strict = validation in (STRICT, WARN)
    if patch_type == JSON_PATCH:
        found = json_patch_strict_errors(raw) if strict else []
        return DecodedPatch(patch_type, raw, tuple(found))
    if patch_type == MERGE_PATCH:
        found = []
        if strict:
            try:
                decode_patch(raw)
            except PatchError as e:
                raise bad_request_error(f"error decoding patch: {e.message}") from None
            found = schema.untyped_strict_errors(raw)
        try:
            value = decode_patch(raw, "interface {}")
        except PatchError:
            raise bad_request_error(ERR_BAD_JSON_PATCH) from None
        return DecodedPatch(patch_type, value, tuple(found))
    if patch_type == STRATEGIC_PATCH:
        try:
            value = decode_patch(raw)
        except PatchError as e:
            raise bad_request_error(e.message) from None
        found = schema.untyped_strict_errors(raw) if strict else []
        return DecodedPatch(patch_type, value, tuple(found))
    raise ValueError(f"unknown patch type {patch_type!r}")


def patch_object(
    current: dict[str, Any], decoded: DecodedPatch, schema_name: str, validation: str
) -> PatchOutcome:
    """Apply a decoded patch to `current` and decode the result into the kind `schema_name`."""
    try:
        if decoded.patch_type == JSON_PATCH:
            patched = apply_json_patch(current, decoded.body)
        elif decoded.patch_type == MERGE_PATCH:
            patched = apply_merge_patch(current, decoded.body)
        else:
            patched = apply_strategic_merge_patch(current, decoded.body, schema_name)
    except PatchError as e:
        raise e.api_error() from None
    if decoded.patch_type == STRATEGIC_PATCH:
        return _convert(patched, decoded, schema_name, validation)
    return _decode(patched, decoded, schema_name, validation)


def patch_invalid_error(bad_value: str, detail: str) -> ApiError:
    """`errors.NewInvalid(schema.GroupKind{}, "", {field.Invalid("patch", value, detail)})`."""
    return errors.invalid_error("", "", [errors.invalid("patch", bad_value, detail)])


def _decode(patched: Any, decoded: DecodedPatch, schema_name: str, validation: str) -> PatchOutcome:
    """jsonPatcher: runtime.DecodeInto of the patched JSON (strict under Warn/Strict)."""
    text = go_json(patched)  # what json-patch marshalled the result into
    if patched is None:
        patched = {}  # decoding `null` leaves an empty object
    if not isinstance(patched, dict):
        raise patch_invalid_error(text, schema.find_kind_error(patched))
    result = schema.check_object(schema_name, patched)
    if result.type_errors:  # non-strict errors trump, the body's strict errors included
        raise patch_invalid_error(text, result.type_errors[0])
    found = list(decoded.strict_errors)
    if validation in (STRICT, WARN):
        found += schema.strict_errors(schema_name, text)
    return _finish(patched, found, text, schema_name, validation)


def _convert(
    patched: dict[str, Any], decoded: DecodedPatch, schema_name: str, validation: str
) -> PatchOutcome:
    """smpPatcher: FromUnstructuredWithValidation of the patched map."""
    bad_value = go_sprint(decoded.body if decoded.body is not None else {})
    result = from_unstructured(schema_name, patched, unknown_fields=validation in (STRICT, WARN))
    if result.error is not None:
        raise patch_invalid_error(bad_value, result.error)
    found = list(decoded.strict_errors) + result.unknown_fields
    return _finish(patched, found, bad_value, schema_name, validation)


def _finish(
    patched: dict[str, Any], found: list[str], bad_value: str, schema_name: str, validation: str
) -> PatchOutcome:
    if found and validation == STRICT:
        raise patch_invalid_error(bad_value, schema.strict_decoding_message(found))
    schema.prune_unknown(schema_name, patched)
    return PatchOutcome(patched, found if validation == WARN else [])

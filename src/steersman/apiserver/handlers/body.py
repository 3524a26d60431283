"""Reading request bodies into API objects, with Kubernetes' decoding rules.

Invariants:
- A body larger than 3 MiB is 413; a content type we do not decode is 415; bad syntax and
  type mismatches are 400; none of them writes anything.
- A body that is not an object (bad syntax, empty, an array...) is worded as the JSON
  serializer's failed kind lookup: `the object provided is unrecognized (must be of type K):
  couldn't get version/kind; json parse error: <Go error> (<first 30 bytes>)`.
- Unknown and duplicate fields follow `fieldValidation`: Strict fails with 400 `strict decoding
  error: ...`, Warn (the default) adds one warning per problem and drops unknown fields,
  Ignore drops them silently. Problems come in the order the JSON decoder meets them in the
  document (unknown and duplicate interleaved); type errors trump them.
- apiVersion/kind, when present, must name the endpoint's kind; when absent they are filled in.
"""

from __future__ import annotations

from typing import Any

from aiohttp import web

from steersman.api import errors, schema
from steersman.api.patch import PatchError, decode_patch
from steersman.api.resources import ResourceInfo
from steersman.apiserver import negotiation

FIELD_VALIDATION_VALUES = ("Ignore", "Warn", "Strict")


async def read_body(request: web.Request) -> bytes:
    length = request.content_length
    if length is not None and length > negotiation.MAX_BODY_BYTES:
        raise errors.too_large_error(negotiation.MAX_BODY_BYTES)
    chunks: list[bytes] = []
    size = 0
    while True:
        chunk = await request.content.read(negotiation.MAX_BODY_BYTES + 1 - size)
        if not chunk:
            break
        chunks.append(chunk)
        size += len(chunk)
        if size > negotiation.MAX_BODY_BYTES:
            raise errors.too_large_error(negotiation.MAX_BODY_BYTES)
    return b"".join(chunks)


def field_validation(query: Any, method: str = "POST") -> str:
    value = query.get("fieldValidation", "")
    if value not in ("", *FIELD_VALIDATION_VALUES):
        options = {"PUT": "UpdateOptions", "PATCH": "PatchOptions"}.get(method, "CreateOptions")
        raise errors.invalid_error(
            options,
            "",
            [errors.not_supported("fieldValidation", value, ["", "Ignore", "Strict", "Warn"])],
            "meta.k8s.io",
        )
    return value or "Warn"


def dry_run(query: Any) -> bool:
    values = query.getall("dryRun", []) if hasattr(query, "getall") else [query.get("dryRun")]
    values = [v for v in values if v]
    for v in values:
        if v != "All":
            raise errors.bad_request_error(
                f'dryRun: Unsupported value: "{v}": supported values: "All"'
            )
    return bool(values)


def _cannot_handle(info: ResourceInfo, version: str, detail: str) -> errors.ApiError:
    return errors.bad_request_error(
        f'{info.kind} in version "{version}" cannot be handled as a {info.kind}: {detail}'
    )


def check_type_meta(
    info: ResourceInfo, obj: Any, *, kind: str = "", api_version: str = "", raw: bytes = b""
) -> dict[str, Any]:
    """Make sure `obj` is an object of the endpoint's kind; fill in apiVersion/kind."""
    kind = kind or info.kind
    api_version = api_version or info.group_version
    if obj is None:
        obj = {}  # `null` decodes into an empty object, whose kind comes from the endpoint
    if not isinstance(obj, dict):
        raise _unrecognized(kind, schema.find_kind_error(obj), raw)
    body_kind = obj.get("kind")
    body_version = obj.get("apiVersion")
    if body_version and body_version != api_version:
        raise errors.bad_request_error(
            f"the API version in the data ({body_version}) does not match the expected API version ({api_version})"
        )
    if body_kind and body_kind != kind:
        raise errors.bad_request_error(
            f"the kind in the data ({body_kind}) does not match the expected kind ({kind})"
        )
    obj["apiVersion"] = api_version
    obj["kind"] = kind
    return obj


def _summary(data: bytes, max_length: int = 30) -> str:
    """summarizeData: an object's first bytes as text, anything else in hex."""
    if not data:
        return "<empty>"
    if data[:1] == b"{":
        text = data[:max_length].decode("utf-8", "replace")
        return text + " ..." if len(data) > max_length else text
    return data[:max_length].hex() + (" ..." if len(data) > max_length else "")


def _unrecognized(kind: str, detail: str, raw: bytes) -> errors.ApiError:
    """transformDecodeError when no kind could be read from the body."""
    return errors.bad_request_error(
        f"the object provided is unrecognized (must be of type {kind}): {detail} ({_summary(raw)})"
    )


def parse_json_body(raw: bytes, kind: str) -> Any:
    """Decode a JSON body as the API server's JSON serializer does, or raise its 400."""
    try:
        value = decode_patch(raw, "interface {}")
    except PatchError as e:  # Go's syntax error, e.g. `unexpected end of JSON input`
        detail = f"couldn't get version/kind; json parse error: {e.message}"
        raise _unrecognized(kind, detail, raw) from None
    if value is not None and not isinstance(value, dict):
        raise _unrecognized(kind, schema.find_kind_error(value), raw)
    return value


def check_schema(
    info: ResourceInfo,
    obj: dict[str, Any],
    *,
    validation: str,
    warnings: list[str],
    raw: bytes | None = None,
    schema_name: str = "",
    keys_distinct: bool = False,
) -> None:
    """Apply Go-decoding type checks and the unknown/duplicate-field policy to `obj` in place.

    `keys_distinct`: `raw` is known to repeat no key (`schema.keys_all_distinct`), so with no
    unknown field there is nothing for the raw walk to find."""
    name = schema_name or info.schema_name
    result = schema.check_object(name, obj)
    if result.type_errors:
        raise _cannot_handle(info, info.version, result.type_errors[0])
    problems: list[str] = []
    if validation != "Ignore":
        if raw is not None and keys_distinct and not result.unknown_fields:
            pass
        elif raw is not None:  # the raw JSON: duplicates and unknown fields in document order
            problems = schema.strict_errors(name, raw)
        else:
            problems = [f"unknown field {errors.go_value(f)}" for f in result.unknown_fields]
    if result.unknown_fields:
        schema.prune_unknown(name, obj)
    if not problems:
        return
    if validation == "Strict":
        raise _cannot_handle(info, info.version, "strict decoding error: " + ", ".join(problems))
    if validation == "Warn":
        warnings.extend(problems)


def _decode_yaml(raw: bytes, content_type: str, kind: str) -> Any:
    """YAML (or an untyped body that is not JSON); a conversion failure leaves no kind."""
    try:
        return negotiation.decode_body(raw, content_type)
    except errors.ApiError as e:
        if e.code == 400 and e.message.startswith("error converting YAML to JSON"):
            raise _unrecognized(kind, e.message, raw) from None
        raise


async def decode_object(
    request: web.Request,
    info: ResourceInfo,
    *,
    warnings: list[str],
    kind: str = "",
    api_version: str = "",
    schema_name: str = "",
) -> dict[str, Any]:
    raw = await read_body(request)
    ctype = request.headers.get("Content-Type", "")
    mt = negotiation.media_type(ctype)
    if mt not in (
        "",
        negotiation.JSON,
        negotiation.YAML,
        "application/x-yaml",
        "text/yaml",
        negotiation.PROTOBUF,
    ):
        raise errors.unsupported_media_type_error(
            [negotiation.JSON, negotiation.YAML, negotiation.PROTOBUF]
        )
    kind_name = kind or info.kind
    if mt == negotiation.PROTOBUF:
        if not raw.strip():
            raise errors.bad_request_error("the body of the request was empty")
        from steersman.apiserver.protobuf import decode_protobuf_object

        try:
            obj = decode_protobuf_object(raw)
        except ValueError as exc:
            raise errors.bad_request_error(
                f'{kind or info.kind} in version "{info.version}" cannot be handled as a {kind or info.kind}: {exc}'
            ) from None
        obj = check_type_meta(info, obj, kind=kind, api_version=api_version)
        check_schema(
            info,
            obj,
            validation=field_validation(request.query, request.method),
            warnings=warnings,
            schema_name=schema_name,
        )
        return obj
    is_json = mt == negotiation.JSON or (mt == "" and raw.lstrip()[:1] in (b"{", b"[", b""))
    keys_distinct = False
    if is_json:
        obj = parse_json_body(raw, kind_name)
        # Before check_type_meta may add apiVersion/kind: the count must be the body's own.
        keys_distinct = schema.keys_all_distinct(raw, obj)
    else:
        obj = _decode_yaml(raw, ctype, kind_name)
    obj = check_type_meta(info, obj, kind=kind, api_version=api_version, raw=raw)
    check_schema(
        info,
        obj,
        validation=field_validation(request.query, request.method),
        warnings=warnings,
        raw=raw if is_json else None,
        schema_name=schema_name,
        keys_distinct=keys_distinct,
    )
    return obj

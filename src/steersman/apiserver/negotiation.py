"""Content negotiation: decoding request bodies and choosing the response representation.

Invariants:
- Request bodies are JSON or YAML (one document), at most `MAX_BODY_BYTES` (3 MiB, as
  kube-apiserver); anything else is a 4xx `ApiError`, never a 500.
- `parse_accept` understands the parameters kubectl sends (`as=Table;v=v1;g=meta.k8s.io`,
  `as=PartialObjectMetadata[List]`) and falls back to JSON for `*/*` or no header.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import orjson
import yaml

from steersman.api import errors

MAX_BODY_BYTES = 3 * 1024 * 1024

JSON = "application/json"
YAML = "application/yaml"
JSON_PATCH = "application/json-patch+json"
MERGE_PATCH = "application/merge-patch+json"
STRATEGIC_PATCH = "application/strategic-merge-patch+json"
APPLY_PATCH = "application/apply-patch+yaml"
PROTOBUF = "application/vnd.kubernetes.protobuf"

BODY_TYPES = (JSON, YAML, PROTOBUF)
PATCH_TYPES = (JSON_PATCH, MERGE_PATCH, STRATEGIC_PATCH, APPLY_PATCH)

try:
    _YamlLoader: Any = yaml.CSafeLoader
except AttributeError:  # pragma: no cover - libyaml missing
    _YamlLoader = yaml.SafeLoader


def media_type(content_type: str | None) -> str:
    if not content_type:
        return ""
    return content_type.split(";", 1)[0].strip().lower()


def decode_body(raw: bytes, content_type: str, *, kind_hint: str = "") -> Any:
    """Decode a JSON or YAML body; raise 400 with Kubernetes-like wording on bad syntax."""
    mt = media_type(content_type)
    if mt in ("", JSON, JSON_PATCH, MERGE_PATCH, STRATEGIC_PATCH):
        try:
            return orjson.loads(raw)
        except orjson.JSONDecodeError as exc:
            if mt == "" and raw.lstrip()[:1] not in (b"{", b"["):
                return _decode_yaml(raw)
            raise errors.bad_request_error(_json_error(exc, kind_hint)) from None
    if mt in (YAML, "application/x-yaml", "text/yaml", APPLY_PATCH):
        return _decode_yaml(raw)
    raise errors.unsupported_media_type_error([JSON, YAML])


def _json_error(exc: orjson.JSONDecodeError, kind_hint: str) -> str:
    detail = f"json: {exc.msg} at offset {exc.pos}" if hasattr(exc, "pos") else f"json: {exc}"
    if kind_hint:
        return f"{kind_hint}: {detail}"
    return detail


def _decode_yaml(raw: bytes) -> Any:
    try:
        docs = list(yaml.load_all(raw, Loader=_YamlLoader))
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}: " if mark is not None else ""
        problem = getattr(exc, "problem", None) or str(exc)
        raise errors.bad_request_error(
            f"error converting YAML to JSON: yaml: {where}{problem}"
        ) from None
    docs = [d for d in docs if d is not None]
    if len(docs) != 1:
        if not docs:
            return None
        raise errors.bad_request_error(
            "error converting YAML to JSON: yaml: multiple documents in one request body"
        )
    # YAML allows keys and values that JSON has not: round-trip to be sure it is JSON data.
    try:
        return orjson.loads(orjson.dumps(docs[0], default=str))
    except (TypeError, orjson.JSONEncodeError) as exc:
        raise errors.bad_request_error(f"error converting YAML to JSON: {exc}") from None


@dataclass(frozen=True, slots=True)
class Accept:
    """What representation the client asked for."""

    media: str = JSON  # JSON or YAML
    as_kind: str = ""  # "", "Table", "PartialObjectMetadata", "PartialObjectMetadataList"
    as_version: str = ""
    as_group: str = ""
    stream_watch: bool = False


def parse_accept(header: str | None) -> Accept:
    """Pick the first acceptable alternative in the Accept header, as Kubernetes' negotiation does."""
    if not header:
        return Accept()
    unsupported_only = True
    for alternative in header.split(","):
        parts = [p.strip() for p in alternative.split(";")]
        mt = parts[0].lower()
        params: dict[str, str] = {}
        for p in parts[1:]:
            if "=" in p:
                k, v = p.split("=", 1)
                params[k.strip().lower()] = v.strip()
        if mt in (JSON, "*/*", "application/*", "") or mt == YAML:
            unsupported_only = False
            as_kind = params.get("as", "")
            if as_kind:
                group = params.get("g", "")
                version = params.get("v", "")
                if (
                    as_kind in ("Table", "PartialObjectMetadata", "PartialObjectMetadataList")
                    and group == "meta.k8s.io"
                    and version in ("v1", "v1beta1")
                ):
                    return Accept(
                        media=YAML if mt == YAML else JSON,
                        as_kind=as_kind,
                        as_version=version,
                        as_group=group,
                    )
                continue  # an `as=` we do not serve: try the next alternative
            return Accept(media=YAML if mt == YAML else JSON)
    if unsupported_only:
        if "application/vnd.kubernetes.protobuf" in header:
            # Protobuf is not served; clients that list it usually list JSON too.
            return Accept()
        raise errors.not_acceptable_error(
            "only the following media types are accepted: application/json, application/yaml"
        )
    raise errors.not_acceptable_error(
        "only the following media types are accepted: application/json, application/yaml, application/json;as=Table;v=v1;g=meta.k8s.io"
    )


def encode(obj: Any, media: str = JSON) -> bytes:
    if media == YAML:
        return yaml.dump(
            obj, Dumper=_YamlDumper, default_flow_style=False, sort_keys=False
        ).encode()
    return orjson.dumps(obj)


try:
    _YamlDumper: Any = yaml.CSafeDumper
except AttributeError:  # pragma: no cover
    _YamlDumper = yaml.SafeDumper

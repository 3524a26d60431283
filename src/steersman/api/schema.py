"""OpenAPI schemas and the checks Go's JSON decoding makes when a body becomes a typed object.

One import for the schema machinery, split by concept into:

- `definitions`: loading kubernetes-validate's v1.36 definitions and compiling them into `Node`
  trees of Go types, with the strategic-merge-patch metadata of each field;
- `go_decoding`: `check_object` / `prune_unknown` -- Go's type errors and unknown fields;
- `strict_decoding`: `strict_errors` -- unknown and duplicate fields from the raw body, in
  sigs.k8s.io/json's order;
- `go_text`: Go's base64 and time.Parse error texts.

Invariants: the names below are the public surface; each lives in exactly one module.
"""

from __future__ import annotations

from steersman.api.definitions import (
    K_ANY,
    K_ARRAY,
    K_BOOL,
    K_BYTES,
    K_INT,
    K_INT_OR_STRING,
    K_MAP,
    K_MICRO_TIME,
    K_NUMBER,
    K_OBJECT,
    K_QUANTITY,
    K_STRING,
    K_TIME,
    KUBERNETES_VERSION,
    NO_PATCH_META,
    Field,
    Node,
    PatchMeta,
    compiled,
    definition,
    definitions,
    definitions_file,
    patch_meta,
    resolve,
    schema_for_kind,
)
from steersman.api.go_decoding import (
    FIND_KIND_GO_TYPE,
    DecodeResult,
    check_object,
    check_value,
    decode_error,
    find_kind_error,
    json_kind,
    prune_unknown,
    strict_decoding_message,
)
from steersman.api.go_text import RFC3339, RFC3339_MICRO, go_base64_error, go_time_parse_error
from steersman.api.strict_decoding import (
    MAX_STRICT_ERRORS,
    duplicate_fields,
    keys_all_distinct,
    strict_errors,
    strict_errors_for,
    untyped_strict_errors,
)

__all__ = [
    "FIND_KIND_GO_TYPE",
    "KUBERNETES_VERSION",
    "K_ANY",
    "K_ARRAY",
    "K_BOOL",
    "K_BYTES",
    "K_INT",
    "K_INT_OR_STRING",
    "K_MAP",
    "K_MICRO_TIME",
    "K_NUMBER",
    "K_OBJECT",
    "K_QUANTITY",
    "K_STRING",
    "K_TIME",
    "MAX_STRICT_ERRORS",
    "NO_PATCH_META",
    "RFC3339",
    "RFC3339_MICRO",
    "DecodeResult",
    "Field",
    "Node",
    "PatchMeta",
    "check_object",
    "check_value",
    "compiled",
    "decode_error",
    "definition",
    "definitions",
    "definitions_file",
    "duplicate_fields",
    "find_kind_error",
    "go_base64_error",
    "go_time_parse_error",
    "json_kind",
    "keys_all_distinct",
    "patch_meta",
    "prune_unknown",
    "resolve",
    "schema_for_kind",
    "strict_decoding_message",
    "strict_errors",
    "strict_errors_for",
    "untyped_strict_errors",
]

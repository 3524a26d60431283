"""Why a patch fails, and the HTTP answer the API server gives for it.

`PatchError` carries Go's message and the status code: the sentinel errors of apimachinery's
mergepatch package map as interpretStrategicMergePatchError maps them (400 for malformed
directives, 422 for lists of lists and retainKeys mismatches), anything else is a plain Go
error, which the API server answers with 500 and no reason.

Invariants: `api_error()` is the complete answer; a 422 drops Go's text for the generic
message, as NewGenericServerResponse does. Pure data: no I/O.
"""

from __future__ import annotations

from steersman.api.errors import ApiError, bad_request_error

# mergepatch's sentinel errors
ERR_BAD_JSON_DOC = "invalid JSON document"
ERR_NO_LIST_OF_LISTS = "lists of lists are not supported"
ERR_BAD_PATCH_FORMAT_FOR_PRIMITIVE_LIST = "invalid patch format of primitive list"
ERR_BAD_PATCH_FORMAT_FOR_RETAIN_KEYS = "invalid patch format of retainKeys"
ERR_BAD_PATCH_FORMAT_FOR_SET_ELEMENT_ORDER_LIST = "invalid patch format of setElementOrder list"
ERR_PATCH_CONTENT_NOT_MATCH_RETAIN_KEYS = "patch content doesn't match retainKeys list"
ERR_UNSUPPORTED_STRATEGIC_MERGE_PATCH_FORMAT = "strategic merge patch format is not supported"

_BAD_REQUEST = frozenset(
    {
        ERR_BAD_JSON_DOC,
        ERR_BAD_PATCH_FORMAT_FOR_PRIMITIVE_LIST,
        ERR_BAD_PATCH_FORMAT_FOR_RETAIN_KEYS,
        ERR_BAD_PATCH_FORMAT_FOR_SET_ELEMENT_ORDER_LIST,
        ERR_UNSUPPORTED_STRATEGIC_MERGE_PATCH_FORMAT,
    }
)
_UNPROCESSABLE = frozenset({ERR_NO_LIST_OF_LISTS, ERR_PATCH_CONTENT_NOT_MATCH_RETAIN_KEYS})
GENERIC_422_MESSAGE = "the server rejected our request due to an error in our request"


class PatchError(ValueError):
    """A patch the API server refuses; `code` is the HTTP status it answers with."""

    def __init__(self, message: str, code: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        if code is None:  # interpretStrategicMergePatchError's classification
            code = 400 if message in _BAD_REQUEST else 422 if message in _UNPROCESSABLE else 500
        self.code = code

    def api_error(self) -> ApiError:
        if self.code == 400:
            return bad_request_error(self.message)
        if self.code == 422:  # NewGenericServerResponse(422, ...): Go's text is dropped
            return ApiError(422, "Invalid", GENERIC_422_MESSAGE, {})
        return ApiError(self.code, "", self.message)  # not a Status error: reason Unknown

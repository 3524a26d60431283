"""Query and path parameters of the OpenAPI operations (see `openapi_paths`).

Pure data: the parameters kube-apiserver documents per verb (list/watch, create/update,
patch, delete, deletecollection) and per connect/log subresource. Names and types are
Kubernetes'; the descriptions are short paraphrases.

Invariant: every PATCH operation takes `PATCH_PARAMS`, which includes `fieldValidation` —
kubectl decides from its presence whether the server validates fields itself.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Parameter:
    name: str
    location: str  # "query" | "path"
    type: str
    description: str
    required: bool = False


def _q(name: str, type_: str, description: str) -> Parameter:
    return Parameter(name, "query", type_, description)


PRETTY = _q("pretty", "string", "If 'true', then the output is pretty printed.")
DRY_RUN = _q(
    "dryRun",
    "string",
    "When present, indicates that modifications should not be persisted. An invalid or "
    "unrecognized dryRun directive will result in an error response and no further processing "
    "of the request. Valid values are: - All: all dry run stages will be processed",
)
FIELD_MANAGER = _q(
    "fieldManager",
    "string",
    "fieldManager is a name associated with the actor or entity that is making these changes. "
    "The value must be less than or 128 characters long, and only contain printable characters.",
)
FIELD_VALIDATION = _q(
    "fieldValidation",
    "string",
    "fieldValidation instructs the server on how to handle objects in the request (POST/PUT/PATCH) "
    "containing unknown or duplicate fields. Valid values are: - Ignore: ignores unknown and "
    "duplicate fields. - Warn: sends a warning for each unknown or duplicate field, but "
    "serves the request. - Strict: fails the request with a BadRequest error if any unknown or "
    "duplicate field is present.",
)
FORCE = _q(
    "force",
    "boolean",
    'Force is going to "force" Apply requests. It means user will re-acquire conflicting '
    "fields owned by other people. Force flag must be unset for non-apply patch requests.",
)
GRACE_PERIOD = _q(
    "gracePeriodSeconds",
    "integer",
    "The duration in seconds before the object should be deleted. Value must be non-negative "
    "integer. The value zero indicates delete immediately.",
)
IGNORE_STORE_READ_ERROR = _q(
    "ignoreStoreReadErrorWithClusterBreakingPotential",
    "boolean",
    "if set to true, it will trigger an unsafe deletion of the resource in case the normal "
    "deletion flow fails with a corrupt object error.",
)
ORPHAN = _q(
    "orphanDependents",
    "boolean",
    "Deprecated: please use the PropagationPolicy. Should the dependent objects be orphaned.",
)
PROPAGATION = _q(
    "propagationPolicy",
    "string",
    "Whether and how garbage collection will be performed: 'Orphan', 'Background' or 'Foreground'.",
)
LIST_PARAMS = (
    _q(
        "allowWatchBookmarks",
        "boolean",
        'allowWatchBookmarks requests watch events with type "BOOKMARK".',
    ),
    _q(
        "continue",
        "string",
        "The continue option should be set when retrieving more results from the server.",
    ),
    _q(
        "fieldSelector",
        "string",
        "A selector to restrict the list of returned objects by their fields. Defaults to everything.",
    ),
    _q(
        "labelSelector",
        "string",
        "A selector to restrict the list of returned objects by their labels. Defaults to everything.",
    ),
    _q("limit", "integer", "limit is a maximum number of responses to return for a list call."),
    _q(
        "resourceVersion",
        "string",
        "resourceVersion sets a constraint on what resource versions a request may be served from.",
    ),
    _q(
        "resourceVersionMatch",
        "string",
        "resourceVersionMatch determines how resourceVersion is applied to list calls.",
    ),
    _q(
        "sendInitialEvents",
        "boolean",
        "`sendInitialEvents=true` may be set together with `watch=true`: the watch stream then begins with synthetic events for the current state of all objects.",
    ),
    _q(
        "timeoutSeconds",
        "integer",
        "Timeout for the list/watch call. This limits the duration of the call, regardless of any activity or inactivity.",
    ),
    _q(
        "watch",
        "boolean",
        "Watch for changes to the described resources and return them as a stream of add, update, and remove notifications.",
    ),
)
_LIST_BY_NAME = {p.name: p for p in LIST_PARAMS}
# Deprecated watch paths and cross-namespace lists take the list parameters at path level.
LIST_PATH_PARAMS = tuple(sorted((*LIST_PARAMS, PRETTY), key=lambda p: p.name))
DELETE_COLLECTION_PARAMS = (
    _LIST_BY_NAME["continue"],
    DRY_RUN,
    _LIST_BY_NAME["fieldSelector"],
    GRACE_PERIOD,
    IGNORE_STORE_READ_ERROR,
    _LIST_BY_NAME["labelSelector"],
    _LIST_BY_NAME["limit"],
    ORPHAN,
    PROPAGATION,
    _LIST_BY_NAME["resourceVersion"],
    _LIST_BY_NAME["resourceVersionMatch"],
    _LIST_BY_NAME["sendInitialEvents"],
    _LIST_BY_NAME["timeoutSeconds"],
)
DELETE_PARAMS = (DRY_RUN, GRACE_PERIOD, IGNORE_STORE_READ_ERROR, ORPHAN, PROPAGATION)
WRITE_PARAMS = (DRY_RUN, FIELD_MANAGER, FIELD_VALIDATION)
PATCH_PARAMS = (DRY_RUN, FIELD_MANAGER, FIELD_VALIDATION, FORCE)
NAMESPACE = Parameter(
    "namespace",
    "path",
    "string",
    "object name and auth scope, such as for teams and projects",
    True,
)

_STREAM_PARAMS = {
    "container": (
        "string",
        "The container in which to execute the command. Defaults to only container if there is only one container in the pod.",
    ),
    "stderr": ("boolean", "Redirect the standard error stream of the pod for this call."),
    "stdin": (
        "boolean",
        "Redirect the standard input stream of the pod for this call. Defaults to false.",
    ),
    "stdout": ("boolean", "Redirect the standard output stream of the pod for this call."),
    "tty": (
        "boolean",
        "TTY if true indicates that a tty will be allocated for the call. Defaults to false.",
    ),
    "command": (
        "string",
        "Command is the remote command to execute. argv array. Not executed within a shell.",
    ),
    "ports": ("integer", "List of ports to forward. Required when using WebSockets"),
    "path": ("string", "Path is the URL path to use for the current proxy request."),
    "follow": ("boolean", "Follow the log stream of the pod. Defaults to false."),
    "insecureSkipTLSVerifyBackend": (
        "boolean",
        "insecureSkipTLSVerifyBackend indicates that the apiserver should not confirm the validity of the serving certificate of the backend it is connecting to.",
    ),
    "limitBytes": (
        "integer",
        "If set, the number of bytes to read from the server before terminating the log output.",
    ),
    "previous": ("boolean", "Return previous terminated container logs. Defaults to false."),
    "sinceSeconds": (
        "integer",
        "A relative time in seconds before the current time from which to show logs.",
    ),
    "stream": (
        "string",
        'Specify which container log stream to return to the client. Acceptable values are "All", "Stdout" and "Stderr".',
    ),
    "tailLines": ("integer", "If set, the number of lines from the end of the logs to show."),
    "timestamps": (
        "boolean",
        "If true, add an RFC3339 or RFC3339Nano timestamp at the beginning of every line of log output. Defaults to false.",
    ),
}
CONNECT_QUERY = {
    "exec": ("command", "container", "stderr", "stdin", "stdout", "tty"),
    "attach": ("container", "stderr", "stdin", "stdout", "tty"),
    "portforward": ("ports",),
    "proxy": ("path",),
}
LOG_QUERY = (
    "container",
    "follow",
    "insecureSkipTLSVerifyBackend",
    "limitBytes",
    "previous",
    "sinceSeconds",
    "stream",
    "tailLines",
    "timestamps",
)
CONNECT_METHODS: tuple[str, ...] = ("get", "post", "put", "delete", "patch", "head", "options")


def stream_params(names: tuple[str, ...]) -> tuple[Parameter, ...]:
    return tuple(_q(n, *_STREAM_PARAMS[n]) for n in names)

"""The REST paths and operations of the OpenAPI documents, derived from the resource table.

A neutral model (PathItem -> Operation -> Parameter) that `openapi` renders as Swagger 2.0
and as OpenAPI 3.0. Per resource it lists what kube-apiserver lists:

- collection `.../<resource>`: list (GET), create (POST), deletecollection (DELETE);
- item `.../<resource>/{name}`: read, replace, delete, patch;
- subresources `.../{name}/<sub>`: status/scale/... (read, replace, patch, create), log,
  and `connect` operations for exec/attach/portforward/proxy;
- the deprecated `/watch/...` paths, and for namespaced kinds the cross-namespace list.

Invariants:
- Operation ids follow kube-apiserver's scheme (`listCoreV1NamespacedPod`,
  `patchAppsV1NamespacedDeploymentScale`, `connectCoreV1GetNamespacedPodExec`); tags are
  `<group>_<version>` (`core_v1`, `rbacAuthorization_v1`).
- Every operation names the GVK it serves (a subresource: its own kind, e.g. autoscaling/v1
  Scale); every PATCH takes `fieldValidation` and the four patch content types.
- Pure data, no I/O.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from steersman.api.resources import ResourceInfo, Subresource, by_group_version, schema_name
from steersman.apiserver.openapi_params import (
    CONNECT_METHODS,
    CONNECT_QUERY,
    DELETE_COLLECTION_PARAMS,
    DELETE_PARAMS,
    LIST_PARAMS,
    LIST_PATH_PARAMS,
    LOG_QUERY,
    NAMESPACE,
    PATCH_PARAMS,
    PRETTY,
    WRITE_PARAMS,
    Parameter,
    stream_params,
)

JSON = "application/json"
YAML = "application/yaml"
PATCH_TYPES = (
    "application/apply-patch+yaml",
    "application/json-patch+json",
    "application/merge-patch+json",
    "application/strategic-merge-patch+json",
)
# What this server produces (it does not serve protobuf, so it does not advertise it).
OBJECT_MEDIA = (JSON, YAML)
LIST_MEDIA = (JSON, "application/json;stream=watch", YAML)

STATUS_DEF = schema_name("meta", "v1", "Status")
DELETE_OPTIONS_DEF = schema_name("meta", "v1", "DeleteOptions")
PATCH_DEF = schema_name("meta", "v1", "Patch")
WATCH_EVENT_DEF = schema_name("meta", "v1", "WatchEvent")
API_RESOURCE_LIST_DEF = schema_name("meta", "v1", "APIResourceList")

__all__ = ["GVK", "Operation", "Parameter", "PathItem", "Response", "SchemaRef"]


@dataclass(frozen=True, slots=True)
class SchemaRef:
    name: str  # definition name, e.g. io.k8s.api.core.v1.Pod


@dataclass(frozen=True, slots=True)
class Response:
    code: str
    description: str
    schema: SchemaRef | None  # None: a plain string (logs, connect)


@dataclass(frozen=True, slots=True)
class GVK:
    group: str
    version: str
    kind: str

    def as_dict(self) -> dict[str, str]:
        return {"group": self.group, "kind": self.kind, "version": self.version}


@dataclass(frozen=True, slots=True)
class Operation:
    method: str  # get | put | post | delete | patch | head | options
    operation_id: str
    description: str
    action: str  # x-kubernetes-action ("" for none)
    tag: str
    gvk: GVK | None
    responses: tuple[Response, ...]
    parameters: tuple[Parameter, ...] = ()
    body: SchemaRef | None = None
    body_required: bool = True
    consumes: tuple[str, ...] = ("*/*",)
    produces: tuple[str, ...] = OBJECT_MEDIA
    deprecated: bool = False


@dataclass(slots=True)
class PathItem:
    path: str
    operations: list[Operation] = field(default_factory=list)
    parameters: tuple[Parameter, ...] = ()


def group_id(group: str) -> str:
    """`rbac.authorization.k8s.io` -> `RbacAuthorization`; the core group is `Core`."""
    if not group:
        return "Core"
    return "".join(p[:1].upper() + p[1:] for p in group.removesuffix(".k8s.io").split("."))


def tag(group: str, version: str) -> str:
    gid = group_id(group)
    return f"{gid[:1].lower()}{gid[1:]}_{version}"


_CODE_TEXT = {"200": "OK", "201": "Created", "202": "Accepted"}


def _responses(schema: SchemaRef | None, *codes: str) -> tuple[Response, ...]:
    return tuple(Response(c, _CODE_TEXT[c], schema) for c in codes)


def _article(kind: str) -> str:
    return "an" if kind[:1] in "AEIOU" else "a"


def _name_param(kind: str) -> Parameter:
    return Parameter("name", "path", "string", f"name of the {kind}", True)


# verb -> (method, id verb, description template, action); {of} is "" or "status of ".
_ITEM_VERBS = {
    "get": ("get", "read", "read {of}the specified {kind}", "get"),
    "update": ("put", "replace", "replace {of}the specified {kind}", "put"),
    "patch": ("patch", "patch", "partially update {of}the specified {kind}", "patch"),
    "create": ("post", "create", "create {of}{a} {kind}", "post"),
    "delete": ("delete", "delete", "delete {a} {kind}", "delete"),
}
_METHOD_VERB = {
    "get": "get",
    "post": "create",
    "put": "update",
    "delete": "delete",
    "patch": "patch",
}


class _Builder:
    """The paths of one resource. `scoped` is the kind part of operation ids
    (`NamespacedPod` for a namespaced kind, `Node` for a cluster-scoped one)."""

    def __init__(self, info: ResourceInfo) -> None:
        self.info = info
        self.prefix = f"/apis/{info.group}/{info.version}" if info.group else f"/api/{info.version}"
        self.id_group = f"{group_id(info.group)}{info.version.capitalize()}"
        self.tag = tag(info.group, info.version)
        self.scoped = ("Namespaced" if info.namespaced else "") + info.kind
        self.gvk = GVK(info.group, info.version, info.kind)
        self.object = SchemaRef(info.schema_name)
        self.list = SchemaRef(schema_name(info.schema_package, info.version, info.list_kind))
        ns = "/namespaces/{namespace}" if info.namespaced else ""
        self.collection = f"{self.prefix}{ns}/{info.resource}"
        self.watch_collection = f"{self.prefix}/watch{ns}/{info.resource}"
        self.scope: tuple[Parameter, ...] = (NAMESPACE,) if info.namespaced else ()

    def op(
        self,
        method: str,
        verb: str,
        description: str,
        action: str,
        *,
        responses: tuple[Response, ...],
        scoped: str = "",
        suffix: str = "",
        gvk: GVK | None = None,
        parameters: tuple[Parameter, ...] = (),
        body: SchemaRef | None = None,
        body_required: bool = True,
        consumes: tuple[str, ...] = ("*/*",),
        produces: tuple[str, ...] = OBJECT_MEDIA,
    ) -> Operation:
        """An Operation with this resource's id prefix, tag and GVK unless overridden."""
        return Operation(
            method=method,
            operation_id=f"{verb}{self.id_group}{scoped or self.scoped}{suffix}",
            description=description,
            action=action,
            tag=self.tag,
            gvk=gvk or self.gvk,
            responses=responses,
            parameters=parameters,
            body=body,
            body_required=body_required,
            consumes=consumes,
            produces=produces,
        )

    def item_op(self, verb: str, obj: SchemaRef, *, of: str = "", **kw: Any) -> Operation:
        """read / replace / patch / create / delete of the object or of a subresource."""
        method, id_verb, template, action = _ITEM_VERBS[verb]
        kind = self.info.kind
        description = template.format(of=of, a=_article(kind), kind=kind)
        if verb == "get":
            kw.setdefault("responses", _responses(obj, "200"))
        elif verb == "update":
            kw.update(parameters=WRITE_PARAMS, body=obj, responses=_responses(obj, "200", "201"))
        elif verb == "patch":
            kw.update(parameters=PATCH_PARAMS, body=SchemaRef(PATCH_DEF), consumes=PATCH_TYPES)
            kw["responses"] = _responses(obj, "200", "201")
        elif verb == "create":
            kw.update(
                parameters=WRITE_PARAMS, body=obj, responses=_responses(obj, "200", "201", "202")
            )
        else:  # delete: a pod's graceful deletion answers the pod, other kinds a Status
            pod = (self.info.group, self.info.resource) == ("", "pods")
            done = obj if pod else SchemaRef(STATUS_DEF)
            kw.update(parameters=DELETE_PARAMS, body=SchemaRef(DELETE_OPTIONS_DEF))
            kw.update(body_required=False, responses=_responses(done, "200", "202"))
        return self.op(method, id_verb, description, action, **kw)

    def paths(self) -> list[PathItem]:
        info, verbs, kind = self.info, self.info.verbs, self.info.kind
        out: list[PathItem] = []
        coll = PathItem(self.collection, parameters=(*self.scope, PRETTY))
        if "list" in verbs:
            desc = f"list or watch objects of kind {kind}"
            coll.operations.append(
                self.op("get", "list", desc, "list", parameters=LIST_PARAMS,
                        responses=_responses(self.list, "200"), produces=LIST_MEDIA)
            )  # fmt: skip
        if "create" in verbs:
            coll.operations.append(self.item_op("create", self.object))
        if "deletecollection" in verbs:
            coll.operations.append(
                self.op("delete", "delete", f"delete collection of {kind}", "deletecollection",
                        scoped=f"Collection{self.scoped}", parameters=DELETE_COLLECTION_PARAMS,
                        body=SchemaRef(DELETE_OPTIONS_DEF), body_required=False,
                        responses=_responses(SchemaRef(STATUS_DEF), "200"))
            )  # fmt: skip
        item = PathItem(
            f"{self.collection}/{{name}}", parameters=(_name_param(kind), *self.scope, PRETTY)
        )
        for verb in ("get", "update", "delete", "patch"):
            if verb in verbs:
                item.operations.append(self.item_op(verb, self.object))
        out += [p for p in (coll, item) if p.operations]
        for sub in sorted(info.subresources, key=lambda s: s.name):
            out += self.subresource_paths(sub)
        if "watch" in verbs:
            out += self.watch_paths()
        if info.namespaced and "list" in verbs:
            everywhere = self.op("get", "list", f"list or watch objects of kind {kind}", "list",
                                 scoped=kind, suffix="ForAllNamespaces",
                                 responses=_responses(self.list, "200"), produces=LIST_MEDIA)  # fmt: skip
            out.append(PathItem(f"{self.prefix}/{info.resource}", [everywhere], LIST_PATH_PARAMS))
        return out

    def watch_paths(self) -> list[PathItem]:
        kind, event = self.info.kind, _responses(SchemaRef(WATCH_EVENT_DEF), "200")
        many = (
            f"watch individual changes to a list of {kind}. deprecated: use the 'watch' "
            "parameter with a list operation instead."
        )
        one = (
            f"watch changes to an object of kind {kind}. deprecated: use the 'watch' parameter "
            "with a list operation instead, filtered to a single item with the 'fieldSelector' "
            "parameter."
        )
        kw: dict[str, Any] = {"responses": event, "produces": LIST_MEDIA}
        out = [
            PathItem(self.watch_collection,
                     [self.op("get", "watch", many, "watchlist", suffix="List", **kw)],
                     (*self.scope, *LIST_PATH_PARAMS)),
            PathItem(f"{self.watch_collection}/{{name}}",
                     [self.op("get", "watch", one, "watch", **kw)],
                     (_name_param(kind), *self.scope, *LIST_PATH_PARAMS)),
        ]  # fmt: skip
        if self.info.namespaced:
            op = self.op("get", "watch", many, "watchlist", scoped=kind,
                         suffix="ListForAllNamespaces", **kw)  # fmt: skip
            out.append(
                PathItem(f"{self.prefix}/watch/{self.info.resource}", [op], LIST_PATH_PARAMS)
            )
        return out

    def subresource_paths(self, sub: Subresource) -> list[PathItem]:
        info = self.info
        kind = sub.kind or info.kind
        if sub.group or sub.version:  # the subresource's kind lives elsewhere (Scale, Eviction)
            gvk, package = GVK(sub.group, sub.version, kind), sub.group.split(".")[0]
        else:
            gvk, package = GVK(info.group, info.version, kind), info.schema_package
        obj = SchemaRef(schema_name(package, gvk.version, kind))
        suffix = sub.name[:1].upper() + sub.name[1:]
        base = f"{self.collection}/{{name}}/{sub.name}"
        common = (_name_param(kind), *self.scope)
        if sub.name in CONNECT_QUERY:
            return self.connect_paths(sub, base, common, gvk, suffix)
        item = PathItem(base, parameters=(*common, PRETTY))
        if sub.name == "log":
            op = self.op("get", "read", f"read log of the specified {info.kind}", "get",
                         suffix=suffix, gvk=gvk, parameters=stream_params(LOG_QUERY),
                         responses=_responses(None, "200"), produces=("text/plain", JSON, YAML))  # fmt: skip
            return [PathItem(base, [op], (*common, PRETTY))]
        for verb in ("get", "update", "patch", "create"):
            if verb in sub.verbs:
                item.operations.append(
                    self.item_op(verb, obj, of=f"{sub.name} of ", suffix=suffix, gvk=gvk)
                )
        return [item] if item.operations else []

    def connect_paths(
        self, sub: Subresource, base: str, common: tuple[Parameter, ...], gvk: GVK, suffix: str
    ) -> list[PathItem]:
        """exec/attach/portforward/proxy: one `connect` operation per HTTP method."""
        if sub.name == "proxy":
            methods = CONNECT_METHODS  # a proxy forwards every method
        else:
            methods = tuple(m for m in CONNECT_METHODS if _METHOD_VERB.get(m) in sub.verbs)

        def ops(path_suffix: str) -> list[Operation]:
            return [
                self.op(m, "connect", f"connect {m.upper()} requests to {sub.name} of {self.info.kind}",
                        "connect", scoped=f"{m.capitalize()}{self.scoped}", suffix=suffix + path_suffix,
                        gvk=gvk, responses=_responses(None, "200"), produces=("*/*",))
                for m in methods
            ]  # fmt: skip

        query = stream_params(CONNECT_QUERY[sub.name])
        out = [PathItem(base, ops(""), (*common, *query))]
        if sub.name == "proxy":
            path_param = Parameter("path", "path", "string", "path to the resource", True)
            out.append(PathItem(f"{base}/{{path}}", ops("WithPath"), (*common, path_param, *query)))
        return out


def group_version_paths(group: str, version: str) -> list[PathItem]:
    """Every path of one group-version (its discovery path included), sorted by path."""
    gv = f"{group}/{version}" if group else version
    prefix = f"/apis/{group}/{version}" if group else f"/api/{version}"
    discovery = Operation(
        method="get",
        operation_id=f"get{group_id(group)}{version.capitalize()}APIResources",
        description="get available resources",
        action="",  # kube-apiserver gives discovery operations no action
        tag=tag(group, version),
        gvk=None,
        responses=_responses(SchemaRef(API_RESOURCE_LIST_DEF), "200"),
    )
    items: list[PathItem] = [PathItem(f"{prefix}/", [discovery])]
    for info in by_group_version().get(gv, []):
        items.extend(_Builder(info).paths())
    items.sort(key=lambda p: p.path)
    return items

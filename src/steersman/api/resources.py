"""The built-in resource table: every REST resource the API server serves.

Invariants:
- One `ResourceInfo` per (group, version, resource); `RESOURCES` order is discovery order.
- `kind`/`list_kind` name the schema in kubernetes-validate's definitions
  (`io.k8s.api.<pkg>.<version>.<Kind>`), see `schema_name`.
- Subresources are named `<resource>/<sub>`; each has its own verbs and kind.
- A resource served in several versions has one entry per version; all but the stored one
  name it in `storage_version` (`STORED_RESOURCES` has each resource once).
- A resource whose objects are another group's (events.k8s.io Events are core Events) names
  that group in `storage_group`; it is served, converted, but never in `STORED_RESOURCES`.
Pure data: no I/O.
"""

from __future__ import annotations

from dataclasses import dataclass, field

ALL_VERBS = ("create", "delete", "deletecollection", "get", "list", "patch", "update", "watch")
NO_COLLECTION_DELETE = ("create", "delete", "get", "list", "patch", "update", "watch")


@dataclass(frozen=True, slots=True)
class Subresource:
    name: str  # "status", "scale", "binding", ...
    kind: str
    group: str = ""  # group of the subresource's kind (scale: autoscaling)
    version: str = ""
    verbs: tuple[str, ...] = ("get", "patch", "update")


@dataclass(frozen=True, slots=True)
class ResourceInfo:
    group: str
    version: str
    resource: str  # plural, lower case
    kind: str
    singular: str
    namespaced: bool
    short_names: tuple[str, ...] = ()
    categories: tuple[str, ...] = ()
    verbs: tuple[str, ...] = ALL_VERBS
    subresources: tuple[Subresource, ...] = field(default=())
    # The Go package that defines the kind, as in the schema names ("core", "apps", ...).
    schema_package: str = ""
    # The version objects are stored in when it is not this one (see api.conversion).
    storage_version: str = ""
    # The group whose resource (same name) holds the objects, when it is not this one.
    storage_group: str | None = None

    @property
    def stored_version(self) -> str:
        return self.storage_version or self.version

    @property
    def stored_group(self) -> str:
        return self.group if self.storage_group is None else self.storage_group

    @property
    def stored_here(self) -> bool:
        """Whether this entry is the one its objects are stored as."""
        return not self.storage_version and self.storage_group is None

    @property
    def group_version(self) -> str:
        return f"{self.group}/{self.version}" if self.group else self.version

    @property
    def api_version(self) -> str:
        return self.group_version

    @property
    def list_kind(self) -> str:
        return self.kind + "List"

    @property
    def group_resource(self) -> str:
        return f"{self.resource}.{self.group}" if self.group else self.resource

    @property
    def schema_name(self) -> str:
        return schema_name(self.schema_package, self.version, self.kind)

    def subresource(self, name: str) -> Subresource | None:
        for sub in self.subresources:
            if sub.name == name:
                return sub
        return None


def schema_name(package: str, version: str, kind: str) -> str:
    """The definition name in the OpenAPI schemas, e.g. io.k8s.api.apps.v1.Deployment."""
    if package == "apiextensions":
        return f"io.k8s.apiextensions-apiserver.pkg.apis.apiextensions.{version}.{kind}"
    if package == "meta":
        return f"io.k8s.apimachinery.pkg.apis.meta.{version}.{kind}"
    return f"io.k8s.api.{package}.{version}.{kind}"


STATUS = Subresource("status", "", verbs=("get", "patch", "update"))
SCALE = Subresource("scale", "Scale", "autoscaling", "v1", ("get", "patch", "update"))


def _status(kind: str) -> Subresource:
    return Subresource("status", kind)


def _r(
    group: str,
    version: str,
    resource: str,
    kind: str,
    *,
    namespaced: bool = True,
    short: tuple[str, ...] = (),
    categories: tuple[str, ...] = (),
    verbs: tuple[str, ...] = ALL_VERBS,
    subs: tuple[Subresource, ...] = (),
    package: str | None = None,
    storage_version: str = "",
    storage_group: str | None = None,
) -> ResourceInfo:
    if package is None:
        package = group.split(".")[0] if group else "core"
    return ResourceInfo(
        group=group,
        version=version,
        resource=resource,
        kind=kind,
        singular=kind.lower(),
        namespaced=namespaced,
        short_names=short,
        categories=categories,
        verbs=verbs,
        subresources=subs,
        schema_package=package,
        storage_version=storage_version,
        storage_group=storage_group,
    )


RESOURCES: tuple[ResourceInfo, ...] = (
    # core/v1
    _r("", "v1", "bindings", "Binding", verbs=("create",)),
    _r("", "v1", "configmaps", "ConfigMap", short=("cm",)),
    _r("", "v1", "endpoints", "Endpoints", short=("ep",)),
    _r("", "v1", "events", "Event", short=("ev",)),
    _r("", "v1", "limitranges", "LimitRange", short=("limits",)),
    _r(
        "",
        "v1",
        "namespaces",
        "Namespace",
        namespaced=False,
        short=("ns",),
        verbs=NO_COLLECTION_DELETE,
        subs=(_status("Namespace"), Subresource("finalize", "Namespace", verbs=("update",))),
    ),
    _r(
        "",
        "v1",
        "nodes",
        "Node",
        namespaced=False,
        short=("no",),
        subs=(
            _status("Node"),
            Subresource(
                "proxy", "NodeProxyOptions", verbs=("create", "delete", "get", "patch", "update")
            ),
        ),
    ),
    _r(
        "",
        "v1",
        "persistentvolumeclaims",
        "PersistentVolumeClaim",
        short=("pvc",),
        subs=(_status("PersistentVolumeClaim"),),
    ),
    _r(
        "",
        "v1",
        "persistentvolumes",
        "PersistentVolume",
        namespaced=False,
        short=("pv",),
        subs=(_status("PersistentVolume"),),
    ),
    _r(
        "",
        "v1",
        "pods",
        "Pod",
        short=("po",),
        categories=("all",),
        subs=(
            _status("Pod"),
            Subresource("binding", "Binding", verbs=("create",)),
            Subresource("eviction", "Eviction", "policy", "v1", ("create",)),
            Subresource("log", "Pod", verbs=("get",)),
            Subresource("exec", "PodExecOptions", verbs=("create", "get")),
            Subresource("attach", "PodAttachOptions", verbs=("create", "get")),
            Subresource("portforward", "PodPortForwardOptions", verbs=("create", "get")),
            Subresource(
                "proxy", "PodProxyOptions", verbs=("create", "delete", "get", "patch", "update")
            ),
            Subresource("ephemeralcontainers", "Pod", verbs=("get", "patch", "update")),
            Subresource("resize", "Pod", verbs=("get", "patch", "update")),
        ),
    ),
    _r("", "v1", "podtemplates", "PodTemplate"),
    _r(
        "",
        "v1",
        "replicationcontrollers",
        "ReplicationController",
        short=("rc",),
        categories=("all",),
        subs=(_status("ReplicationController"), SCALE),
    ),
    _r(
        "",
        "v1",
        "resourcequotas",
        "ResourceQuota",
        short=("quota",),
        subs=(_status("ResourceQuota"),),
    ),
    _r("", "v1", "secrets", "Secret"),
    _r(
        "",
        "v1",
        "serviceaccounts",
        "ServiceAccount",
        short=("sa",),
        subs=(Subresource("token", "TokenRequest", "authentication.k8s.io", "v1", ("create",)),),
    ),
    _r(
        "",
        "v1",
        "services",
        "Service",
        short=("svc",),
        categories=("all",),
        verbs=ALL_VERBS,
        subs=(
            _status("Service"),
            Subresource(
                "proxy", "ServiceProxyOptions", verbs=("create", "delete", "get", "patch", "update")
            ),
        ),
    ),
    # apiextensions.k8s.io/v1 (stored; serving custom resources is a later issue)
    _r(
        "apiextensions.k8s.io",
        "v1",
        "customresourcedefinitions",
        "CustomResourceDefinition",
        namespaced=False,
        short=("crd", "crds"),
        categories=("api-extensions",),
        subs=(_status("CustomResourceDefinition"),),
        package="apiextensions",
    ),
    # apps/v1
    _r("apps", "v1", "controllerrevisions", "ControllerRevision"),
    _r(
        "apps",
        "v1",
        "daemonsets",
        "DaemonSet",
        short=("ds",),
        categories=("all",),
        subs=(_status("DaemonSet"),),
    ),
    _r(
        "apps",
        "v1",
        "deployments",
        "Deployment",
        short=("deploy",),
        categories=("all",),
        subs=(_status("Deployment"), SCALE),
    ),
    _r(
        "apps",
        "v1",
        "replicasets",
        "ReplicaSet",
        short=("rs",),
        categories=("all",),
        subs=(_status("ReplicaSet"), SCALE),
    ),
    _r(
        "apps",
        "v1",
        "statefulsets",
        "StatefulSet",
        short=("sts",),
        categories=("all",),
        subs=(_status("StatefulSet"), SCALE),
    ),
    # batch/v1
    _r(
        "batch",
        "v1",
        "cronjobs",
        "CronJob",
        short=("cj",),
        categories=("all",),
        subs=(_status("CronJob"),),
    ),
    _r("batch", "v1", "jobs", "Job", categories=("all",), subs=(_status("Job"),)),
    # autoscaling/v2
    _r(
        "autoscaling",
        "v2",
        "horizontalpodautoscalers",
        "HorizontalPodAutoscaler",
        short=("hpa",),
        categories=("all",),
        subs=(_status("HorizontalPodAutoscaler"),),
    ),
    # autoscaling/v1: served, stored as autoscaling/v2
    _r(
        "autoscaling",
        "v1",
        "horizontalpodautoscalers",
        "HorizontalPodAutoscaler",
        short=("hpa",),
        categories=("all",),
        subs=(_status("HorizontalPodAutoscaler"),),
        storage_version="v2",
    ),
    # coordination.k8s.io/v1
    _r("coordination.k8s.io", "v1", "leases", "Lease", package="coordination"),
    # discovery.k8s.io/v1
    _r("discovery.k8s.io", "v1", "endpointslices", "EndpointSlice", package="discovery"),
    # events.k8s.io/v1: served, stored as core v1 Events
    _r(
        "events.k8s.io",
        "v1",
        "events",
        "Event",
        short=("ev",),
        package="events",
        storage_group="",
    ),
    # networking.k8s.io/v1
    _r(
        "networking.k8s.io",
        "v1",
        "ingressclasses",
        "IngressClass",
        namespaced=False,
        package="networking",
    ),
    _r(
        "networking.k8s.io",
        "v1",
        "ingresses",
        "Ingress",
        short=("ing",),
        subs=(_status("Ingress"),),
        package="networking",
    ),
    _r(
        "networking.k8s.io",
        "v1",
        "networkpolicies",
        "NetworkPolicy",
        short=("netpol",),
        package="networking",
    ),
    # policy/v1
    _r(
        "policy",
        "v1",
        "poddisruptionbudgets",
        "PodDisruptionBudget",
        short=("pdb",),
        subs=(_status("PodDisruptionBudget"),),
    ),
    # rbac.authorization.k8s.io/v1
    _r(
        "rbac.authorization.k8s.io",
        "v1",
        "clusterrolebindings",
        "ClusterRoleBinding",
        namespaced=False,
        package="rbac",
    ),
    _r(
        "rbac.authorization.k8s.io",
        "v1",
        "clusterroles",
        "ClusterRole",
        namespaced=False,
        package="rbac",
    ),
    _r("rbac.authorization.k8s.io", "v1", "rolebindings", "RoleBinding", package="rbac"),
    _r("rbac.authorization.k8s.io", "v1", "roles", "Role", package="rbac"),
    # scheduling.k8s.io/v1
    _r(
        "scheduling.k8s.io",
        "v1",
        "priorityclasses",
        "PriorityClass",
        namespaced=False,
        short=("pc",),
        package="scheduling",
    ),
    # storage.k8s.io/v1
    _r(
        "storage.k8s.io",
        "v1",
        "storageclasses",
        "StorageClass",
        namespaced=False,
        short=("sc",),
        package="storage",
    ),
)


# Each resource once, in the version it is stored in: what controllers list and watch.
STORED_RESOURCES: tuple[ResourceInfo, ...] = tuple(r for r in RESOURCES if r.stored_here)


def by_group_version() -> dict[str, list[ResourceInfo]]:
    out: dict[str, list[ResourceInfo]] = {}
    for info in RESOURCES:
        out.setdefault(info.group_version, []).append(info)
    return out


_INDEX: dict[tuple[str, str, str], ResourceInfo] = {
    (r.group, r.version, r.resource): r for r in RESOURCES
}
# A kind's resource in the version it is stored in (or, for a group serving another's objects,
# in the version it is served in).
_KIND_INDEX: dict[tuple[str, str], ResourceInfo] = {
    (r.group, r.kind): r for r in RESOURCES if not r.storage_version
}


def lookup(group: str, version: str, resource: str) -> ResourceInfo | None:
    return _INDEX.get((group, version, resource))


def require(group: str, version: str, resource: str) -> ResourceInfo:
    """`lookup` for a resource the caller knows is built in (KeyError otherwise)."""
    info = _INDEX.get((group, version, resource))
    if info is None:
        raise KeyError(f"{resource}.{group}/{version}")
    return info


def lookup_kind(group: str, kind: str) -> ResourceInfo | None:
    """The resource for a kind in a group (core Event and events.k8s.io Event differ by group)."""
    return _KIND_INDEX.get((group, kind))


# Groups in discovery order, with their preferred version.
GROUP_ORDER: tuple[str, ...] = (
    "",
    "apps",
    "events.k8s.io",
    "autoscaling",
    "batch",
    "policy",
    "rbac.authorization.k8s.io",
    "storage.k8s.io",
    "networking.k8s.io",
    "scheduling.k8s.io",
    "coordination.k8s.io",
    "discovery.k8s.io",
    "apiextensions.k8s.io",
)

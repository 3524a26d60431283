"""Pure helpers of the StatefulSet controller (Kubernetes' stateful_set_utils.go): ordinals and
identities, stable storage, PVC retention ownership, revisions and status arithmetic.

Invariants:
- A member pod is named `<set>-<ordinal>`; the set manages ordinals
  [spec.ordinals.start, start + replicas); other parseable ordinals are condemned.
- A pod's identity is its name, namespace and the statefulset.kubernetes.io/pod-name label
  (apps.kubernetes.io/pod-index is kept too); its storage is one PVC volume per claim template,
  named `<claim>-<set>-<ordinal>`.
- PVC ownership follows persistentVolumeClaimRetentionPolicy exactly as upstream: Retain/Retain
  no refs; whenDeleted=Delete a ref to the set; whenScaled=Delete a ref to the pod once the pod
  is out of range (and then none to the set). Claims with stale or foreign controllers are left.
- No I/O, no clock reads except through explicit `now` arguments; inputs are never changed
  unless a function says it mutates its argument.
"""

from __future__ import annotations

import copy
import datetime
import math
import re
from typing import Any

from steersman.controllers import history
from steersman.controllers.pods import is_pod_available, is_pod_ready, new_controller_ref

Obj = dict[str, Any]

STATEFUL_SET_POD_NAME_LABEL = "statefulset.kubernetes.io/pod-name"
POD_INDEX_LABEL = "apps.kubernetes.io/pod-index"
STATEFUL_SET_REVISION_LABEL = "controller-revision-hash"
SET_API_VERSION = "apps/v1"
SET_KIND = "StatefulSet"
RETAIN = "Retain"
DELETE = "Delete"

_POD_NAME_RE = re.compile(r"^(.*)-([0-9]+)$")
_INT32_MAX = 2**31 - 1


# -- ordinals and identity --------------------------------------------------------------
def parent_name_and_ordinal(pod: Obj) -> tuple[str, int]:
    match = _POD_NAME_RE.match((pod.get("metadata") or {}).get("name", ""))
    if match is None:
        return "", -1
    value = int(match.group(2))
    return match.group(1), value if value <= _INT32_MAX else -1


def get_ordinal(pod: Obj) -> int:
    return parent_name_and_ordinal(pod)[1]


def spec_replicas(set_: Obj) -> int:
    value = (set_.get("spec") or {}).get("replicas")
    return 1 if value is None else int(value)


def start_ordinal(set_: Obj) -> int:
    ordinals = (set_.get("spec") or {}).get("ordinals")
    return int((ordinals or {}).get("start") or 0)


def end_ordinal(set_: Obj) -> int:
    return start_ordinal(set_) + spec_replicas(set_) - 1


def pod_in_ordinal_range(pod: Obj, set_: Obj) -> bool:
    ordinal = get_ordinal(pod)
    return start_ordinal(set_) <= ordinal <= end_ordinal(set_)


def pod_name(set_: Obj, ordinal: int) -> str:
    return f"{set_['metadata']['name']}-{ordinal}"


def claim_name(set_: Obj, claim: Obj, ordinal: int) -> str:
    return f"{(claim.get('metadata') or {}).get('name', '')}-{set_['metadata']['name']}-{ordinal}"


def is_member_of(set_: Obj, pod: Obj) -> bool:
    return parent_name_and_ordinal(pod)[0] == set_["metadata"]["name"]


def identity_matches(set_: Obj, pod: Obj) -> bool:
    parent, ordinal = parent_name_and_ordinal(pod)
    meta = pod.get("metadata") or {}
    return (
        ordinal >= 0
        and parent == set_["metadata"]["name"]
        and meta.get("name") == pod_name(set_, ordinal)
        and meta.get("namespace") == set_["metadata"].get("namespace")
        and (meta.get("labels") or {}).get(STATEFUL_SET_POD_NAME_LABEL) == meta.get("name")
    )


def claim_templates(set_: Obj) -> list[Obj]:
    return list((set_.get("spec") or {}).get("volumeClaimTemplates") or [])


def storage_matches(set_: Obj, pod: Obj) -> bool:
    ordinal = get_ordinal(pod)
    if ordinal < 0:
        return False
    volumes = {v.get("name"): v for v in (pod.get("spec") or {}).get("volumes") or []}
    for claim in claim_templates(set_):
        volume = volumes.get((claim.get("metadata") or {}).get("name"))
        source = (volume or {}).get("persistentVolumeClaim")
        if not source or source.get("claimName") != claim_name(set_, claim, ordinal):
            return False
    return True


def persistent_volume_claims(set_: Obj, pod: Obj) -> dict[str, Obj]:
    """getPersistentVolumeClaims: template name -> the claim this pod uses (not yet created)."""
    ordinal = get_ordinal(pod)
    match_labels = ((set_.get("spec") or {}).get("selector") or {}).get("matchLabels") or {}
    claims: dict[str, Obj] = {}
    for template in claim_templates(set_):
        tmeta = template.get("metadata") or {}
        meta: Obj = {
            k: copy.deepcopy(v)
            for k, v in tmeta.items()
            if k in ("labels", "annotations", "finalizers")
        }
        meta["name"] = claim_name(set_, template, ordinal)
        meta["namespace"] = set_["metadata"].get("namespace", "")
        meta["labels"] = {**(meta.get("labels") or {}), **match_labels}
        claims[tmeta.get("name", "")] = {
            "apiVersion": "v1",
            "kind": "PersistentVolumeClaim",
            "metadata": meta,
            "spec": copy.deepcopy(template.get("spec") or {}),
        }
    return claims


def update_storage(set_: Obj, pod: Obj) -> None:
    """Mutates `pod`: one PVC volume per claim template first, then its other volumes."""
    claims = persistent_volume_claims(set_, pod)
    spec = pod.setdefault("spec", {})
    volumes = [
        {"name": name, "persistentVolumeClaim": {"claimName": claim["metadata"]["name"]}}
        for name, claim in claims.items()
    ]
    volumes += [v for v in spec.get("volumes") or [] if v.get("name") not in claims]
    if volumes:
        spec["volumes"] = volumes


def update_identity(set_: Obj, pod: Obj) -> None:
    """Mutates `pod`: name, namespace, pod-name and pod-index labels."""
    ordinal = get_ordinal(pod)
    meta = pod.setdefault("metadata", {})
    meta["name"] = pod_name(set_, ordinal)
    meta["namespace"] = set_["metadata"].get("namespace", "")
    labels = meta.setdefault("labels", {})
    labels[STATEFUL_SET_POD_NAME_LABEL] = meta["name"]
    labels[POD_INDEX_LABEL] = str(ordinal)


def init_identity(set_: Obj, pod: Obj) -> None:
    update_identity(set_, pod)
    # hostname and subdomain are immutable: set only when the pod is first built.
    spec = pod.setdefault("spec", {})
    spec["hostname"] = pod["metadata"]["name"]
    service = (set_.get("spec") or {}).get("serviceName")
    if service:
        spec["subdomain"] = service


# -- pod state ------------------------------------------------------------------------------
def _phase(pod: Obj) -> str:
    return str((pod.get("status") or {}).get("phase") or "")


def is_created(pod: Obj) -> bool:
    return _phase(pod) != ""


def is_pending(pod: Obj) -> bool:
    return _phase(pod) == "Pending"


def is_failed(pod: Obj) -> bool:
    return _phase(pod) == "Failed"


def is_succeeded(pod: Obj) -> bool:
    return _phase(pod) == "Succeeded"


def is_terminating(pod: Obj) -> bool:
    return bool((pod.get("metadata") or {}).get("deletionTimestamp"))


def is_running_and_ready(pod: Obj) -> bool:
    return _phase(pod) == "Running" and is_pod_ready(pod)


def is_running_and_available(pod: Obj, min_ready_seconds: int, now: datetime.datetime) -> bool:
    return is_pod_available(pod, min_ready_seconds, now)


def is_healthy(pod: Obj) -> bool:
    return is_running_and_ready(pod) and not is_terminating(pod)


def is_unavailable(pod: Obj, min_ready_seconds: int, now: datetime.datetime) -> bool:
    return not is_running_and_available(pod, min_ready_seconds, now) or is_terminating(pod)


def allows_burst(set_: Obj) -> bool:
    return (set_.get("spec") or {}).get("podManagementPolicy") == "Parallel"


def get_pod_revision(pod: Obj) -> str:
    return str(
        ((pod.get("metadata") or {}).get("labels") or {}).get(STATEFUL_SET_REVISION_LABEL, "")
    )


# -- building pods ----------------------------------------------------------------------------
def new_stateful_set_pod(set_: Obj, ordinal: int) -> Obj:
    """GetPodFromTemplate + identity + storage, as the pod the set wants at `ordinal`."""
    template = (set_.get("spec") or {}).get("template") or {}
    tmeta = template.get("metadata") or {}
    meta: Obj = {
        "name": pod_name(set_, ordinal),
        "generateName": f"{set_['metadata']['name']}-",
        "namespace": set_["metadata"].get("namespace", ""),
        "ownerReferences": [new_controller_ref(set_, SET_API_VERSION, SET_KIND)],
    }
    for field in ("labels", "annotations", "finalizers"):
        if tmeta.get(field):
            meta[field] = copy.deepcopy(tmeta[field])
    pod: Obj = {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": meta,
        "spec": copy.deepcopy(template.get("spec") or {}),
    }
    init_identity(set_, pod)
    update_storage(set_, pod)
    return pod


def new_versioned_stateful_set_pod(
    current_set: Obj, update_set: Obj, current_revision: str, update_revision: str, ordinal: int
) -> Obj:
    """Ordinals below the partition (or below currentReplicas without rollingUpdate) are built
    at the current revision, all others at the update revision (Go's operator precedence)."""
    strategy = (current_set.get("spec") or {}).get("updateStrategy") or {}
    rolling = strategy.get("rollingUpdate")
    start = start_ordinal(current_set)
    current_replicas = int((current_set.get("status") or {}).get("currentReplicas") or 0)
    if (
        strategy.get("type") == "RollingUpdate"
        and rolling is None
        and ordinal < start + current_replicas
    ) or (rolling is not None and ordinal < start + int(rolling.get("partition") or 0)):
        pod = new_stateful_set_pod(current_set, ordinal)
        revision = current_revision
    else:
        pod = new_stateful_set_pod(update_set, ordinal)
        revision = update_revision
    pod["metadata"].setdefault("labels", {})[STATEFUL_SET_REVISION_LABEL] = revision
    return pod


def new_revision(set_: Obj, revision: int, collision_count: int) -> Obj:
    cr = history.new_controller_revision(
        set_,
        api_version=SET_API_VERSION,
        kind=SET_KIND,
        template_labels=(
            ((set_.get("spec") or {}).get("template") or {}).get("metadata") or {}
        ).get("labels"),
        data=history.template_patch(set_),
        revision=revision,
        collision_count=collision_count,
    )
    annotations = set_["metadata"].get("annotations")
    if annotations:
        cr["metadata"]["annotations"] = dict(annotations)
    return cr


def max_unavailable(set_: Obj, replica_count: int) -> int:
    """getStatefulSetMaxUnavailable: int or percentage (rounded down), at least 1."""
    rolling = ((set_.get("spec") or {}).get("updateStrategy") or {}).get("rollingUpdate") or {}
    value = rolling.get("maxUnavailable")
    if value is None:
        return 1
    if isinstance(value, str) and value.endswith("%"):
        number = math.floor(int(value[:-1]) * replica_count / 100)
    else:
        number = int(value)
    return max(number, 1)


# -- PVC retention ownership ------------------------------------------------------------------
def retention_policy(set_: Obj) -> tuple[str, str]:
    """(whenDeleted, whenScaled), Retain when unset."""
    policy = (set_.get("spec") or {}).get("persistentVolumeClaimRetentionPolicy") or {}
    return policy.get("whenDeleted") or RETAIN, policy.get("whenScaled") or RETAIN


def _refs(obj: Obj) -> list[Obj]:
    return list((obj.get("metadata") or {}).get("ownerReferences") or [])


def matches_ref(ref: Obj, obj: Obj, api_version: str, kind: str) -> bool:
    return (
        ref.get("apiVersion") == api_version
        and ref.get("kind") == kind
        and ref.get("name") == (obj.get("metadata") or {}).get("name")
    )


def _uid(obj: Obj) -> str:
    return str((obj.get("metadata") or {}).get("uid") or "")


def has_owner_ref(target: Obj, owner: Obj) -> bool:
    return any(ref.get("uid") == _uid(owner) for ref in _refs(target))


def has_stale_owner_ref(target: Obj, obj: Obj, api_version: str, kind: str) -> bool:
    for ref in _refs(target):
        if matches_ref(ref, obj, api_version, kind):
            return ref.get("uid") != _uid(obj)
    return False


def has_unexpected_controller(claim: Obj, set_: Obj, pod: Obj) -> bool:
    if retention_policy(set_) == (RETAIN, RETAIN):
        return False
    for ref in _refs(claim):
        if matches_ref(ref, set_, SET_API_VERSION, SET_KIND):
            if ref.get("uid") != _uid(set_):
                return True
            continue
        if matches_ref(ref, pod, "v1", "Pod"):
            if ref.get("uid") != _uid(pod):
                return True
            continue
        if ref.get("controller"):
            return True
    return False


def has_non_controller_owner(claim: Obj, set_: Obj, pod: Obj) -> bool:
    return any(
        ref.get("uid") in (_uid(set_), _uid(pod)) and not ref.get("controller")
        for ref in _refs(claim)
    )


def is_claim_owner_up_to_date(claim: Obj, set_: Obj, pod: Obj) -> bool:
    if has_stale_owner_ref(claim, set_, SET_API_VERSION, SET_KIND) or has_stale_owner_ref(
        claim, pod, "v1", "Pod"
    ):
        return True  # managed by an earlier incarnation: leave it alone
    if has_unexpected_controller(claim, set_, pod):
        return not (has_owner_ref(claim, set_) or has_owner_ref(claim, pod))
    if has_non_controller_owner(claim, set_, pod):
        return False
    when_deleted, when_scaled = retention_policy(set_)
    set_ref, pod_ref = has_owner_ref(claim, set_), has_owner_ref(claim, pod)
    scaled_down = not pod_in_ordinal_range(pod, set_)
    if when_scaled == DELETE and when_deleted == DELETE:
        return scaled_down != set_ref and scaled_down == pod_ref
    if when_scaled == DELETE:
        return not set_ref and scaled_down == pod_ref
    if when_deleted == DELETE:
        return set_ref and not pod_ref
    return not set_ref and not pod_ref


def update_claim_owner_ref_for_set_and_pod(claim: Obj, set_: Obj, pod: Obj) -> None:
    """Mutates `claim`: rewrites the set's and pod's refs to match the retention policy."""
    unexpected = has_unexpected_controller(claim, set_, pod)
    refs = [
        r
        for r in _refs(claim)
        if not (matches_ref(r, set_, SET_API_VERSION, SET_KIND) or matches_ref(r, pod, "v1", "Pod"))
    ]
    if not unexpected:
        when_deleted, when_scaled = retention_policy(set_)
        scaled_down = not pod_in_ordinal_range(pod, set_)
        if when_scaled == DELETE and scaled_down:
            refs = _add_controller_ref(refs, pod, "v1", "Pod")
        if when_deleted == DELETE and not (when_scaled == DELETE and scaled_down):
            refs = _add_controller_ref(refs, set_, SET_API_VERSION, SET_KIND)
    claim.setdefault("metadata", {})["ownerReferences"] = refs


def _add_controller_ref(refs: list[Obj], owner: Obj, api_version: str, kind: str) -> list[Obj]:
    if any(r.get("uid") == _uid(owner) for r in refs):
        return refs
    return [*refs, new_controller_ref(owner, api_version, kind)]


# -- status ---------------------------------------------------------------------------------------
_COMPARED = (
    "replicas",
    "currentReplicas",
    "readyReplicas",
    "updatedReplicas",
    "currentRevision",
    "availableReplicas",
    "updateRevision",
)


def inconsistent_status(set_: Obj, status: Obj) -> bool:
    current = set_.get("status") or {}
    if int(status.get("observedGeneration") or 0) > int(current.get("observedGeneration") or 0):
        return True
    return any((status.get(f) or _zero(f)) != (current.get(f) or _zero(f)) for f in _COMPARED)


def _zero(field: str) -> Any:
    return "" if field.endswith("Revision") else 0


def complete_rolling_update(set_: Obj, status: Obj) -> None:
    """Mutates `status`: once every replica is updated and ready the update revision is current."""
    strategy = ((set_.get("spec") or {}).get("updateStrategy") or {}).get("type")
    replicas = spec_replicas(set_)
    if (
        strategy == "RollingUpdate"
        and status["updatedReplicas"] == replicas
        and status["readyReplicas"] == replicas
        and status["replicas"] == replicas
    ):
        status["currentReplicas"] = status["updatedReplicas"]
        status["currentRevision"] = status["updateRevision"]


def status_body(status: Obj) -> Obj:
    """The status as Go serializes StatefulSetStatus (omitempty fields dropped when zero)."""
    always = ("replicas", "availableReplicas", "collisionCount")
    return {k: v for k, v in status.items() if k in always or v not in (0, "", None, [])}

"""apps/v1 validation: Deployment, ReplicaSet, StatefulSet, DaemonSet, ControllerRevision,
with the exact messages Kubernetes gives (objects are defaulted first, as the API server does)."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from steersman.api.defaults import apply_defaults
from steersman.api.errors import invalid_error
from steersman.api.validation import validator_for
from steersman.api.validation.apps import (
    STATEFUL_SET_SPEC_FORBIDDEN,
    go_label_selector,
    validate_positive_int_or_percent,
)

PERCENT_ERR = (
    "a valid percent string must be a numeric string followed by an ending '%' "
    "(e.g. '1%',  or '93%', regex used for validation is '[0-9]+%')"
)


def template(labels: dict[str, str] | None = None, **spec: Any) -> dict[str, Any]:
    pod_spec: dict[str, Any] = {"containers": [{"name": "c", "image": "nginx"}], **spec}
    return {
        "metadata": {"labels": labels if labels is not None else {"app": "web"}},
        "spec": pod_spec,
    }


def workload(kind: str, **spec: Any) -> dict[str, Any]:
    body: dict[str, Any] = {"selector": {"matchLabels": {"app": "web"}}, "template": template()}
    body.update(spec)
    return {
        "apiVersion": "apps/v1",
        "kind": kind,
        "metadata": {"name": "web", "namespace": "default"},
        "spec": body,
    }


def create(obj: dict[str, Any]) -> list[str]:
    apply_defaults("apps", obj["kind"], obj)
    v = validator_for("apps", obj["kind"])
    assert v is not None
    return [e.message() for e in v.validate(obj)]


def update(new: dict[str, Any], old: dict[str, Any]) -> list[str]:
    apply_defaults("apps", new["kind"], new)
    v = validator_for("apps", new["kind"])
    assert v is not None
    return [e.message() for e in v.validate_update(new, old)]


def created(obj: dict[str, Any]) -> dict[str, Any]:
    assert create(obj) == []
    return obj


# ---------------------------------------------------------------------------
# Deployment


def test_valid_deployment_passes() -> None:
    assert create(workload("Deployment")) == []


def test_selector_must_match_template_labels() -> None:
    obj = workload("Deployment", template=template({"app": "other", "tier": "a"}))
    assert create(obj) == [
        'spec.template.metadata.labels: Invalid value: map[string]string{"app":"other", "tier":"a"}: '
        "`selector` does not match template `labels`"
    ]


def test_missing_selector_is_required_and_matches_nothing() -> None:
    obj = workload("Deployment")
    del obj["spec"]["selector"]
    assert create(obj) == [
        "spec.selector: Required value",
        'spec.template.metadata.labels: Invalid value: map[string]string{"app":"web"}: '
        "`selector` does not match template `labels`",
    ]


def test_empty_selector_is_invalid() -> None:
    obj = workload("Deployment", selector={})
    assert create(obj) == [
        "spec.selector: Invalid value: v1.LabelSelector{MatchLabels:map[string]string(nil), "
        "MatchExpressions:[]v1.LabelSelectorRequirement(nil)}: empty selector is invalid for deployment"
    ]


def test_invalid_selector_operator() -> None:
    sel = {"matchExpressions": [{"key": "app", "operator": "Is", "values": ["web"]}]}
    errs = create(workload("Deployment", selector=sel))
    assert errs == [
        'spec.selector.matchExpressions[0].operator: Invalid value: "Is": not a valid selector operator',
        "spec.selector: Invalid value: v1.LabelSelector{MatchLabels:map[string]string(nil), "
        'MatchExpressions:[]v1.LabelSelectorRequirement{v1.LabelSelectorRequirement{Key:"app", '
        'Operator:"Is", Values:[]string{"web"}}}}: invalid label selector',
    ]


def test_negative_replicas_and_deadline_not_above_min_ready() -> None:
    obj = workload("Deployment", replicas=-1, minReadySeconds=10, progressDeadlineSeconds=10)
    assert create(obj) == [
        "spec.replicas: Invalid value: -1: must be greater than or equal to 0",
        "spec.progressDeadlineSeconds: Invalid value: 10: must be greater than minReadySeconds",
    ]


def test_template_restart_policy_must_be_always() -> None:
    obj = workload("Deployment", template=template(restartPolicy="Never", activeDeadlineSeconds=5))
    assert create(obj) == [
        'spec.template.spec.restartPolicy: Unsupported value: "Never": supported values: "Always"',
        "spec.template.spec.activeDeadlineSeconds: Forbidden: activeDeadlineSeconds in ReplicaSet is "
        "not Supported",
    ]


def test_template_pod_spec_is_validated() -> None:
    obj = workload("Deployment", template={"metadata": {"labels": {"app": "web"}}, "spec": {}})
    assert "spec.template.spec.containers: Required value" in create(obj)


def test_rolling_update_may_not_have_both_zero() -> None:
    obj = workload(
        "Deployment", strategy={"rollingUpdate": {"maxSurge": 0, "maxUnavailable": "0%"}}
    )
    assert create(obj) == [
        "spec.strategy.rollingUpdate.maxUnavailable: Invalid value: "
        'intstr.IntOrString{Type:1, IntVal:0, StrVal:"0%"}: may not be 0 when `maxSurge` is 0'
    ]


def test_rolling_update_values() -> None:
    obj = workload(
        "Deployment", strategy={"rollingUpdate": {"maxSurge": "x", "maxUnavailable": "150%"}}
    )
    assert create(obj) == [
        "spec.strategy.rollingUpdate.maxSurge: Invalid value: "
        f'intstr.IntOrString{{Type:1, IntVal:0, StrVal:"x"}}: {PERCENT_ERR}',
        "spec.strategy.rollingUpdate.maxUnavailable: Invalid value: "
        'intstr.IntOrString{Type:1, IntVal:0, StrVal:"150%"}: must not be greater than 100%',
    ]


def test_recreate_forbids_rolling_update_and_unknown_type_unsupported() -> None:
    obj = workload("Deployment", strategy={"type": "Recreate", "rollingUpdate": {}})
    assert create(obj) == [
        "spec.strategy.rollingUpdate: Forbidden: may not be specified when strategy `type` is 'Recreate'"
    ]
    obj = workload("Deployment", strategy={"type": "BlueGreen"})
    assert create(obj) == [
        'spec.strategy: Unsupported value: apps.DeploymentStrategy{Type:"BlueGreen", '
        "RollingUpdate:(*apps.RollingUpdateDeployment)(nil)}: "
        'supported values: "Recreate", "RollingUpdate"'
    ]


def test_selector_is_immutable() -> None:
    old = created(workload("Deployment"))
    new = copy.deepcopy(old)
    new["spec"]["selector"] = {"matchLabels": {"app": "web", "v": "2"}}
    new["spec"]["template"]["metadata"]["labels"]["v"] = "2"
    errs = update(new, old)
    assert errs == [
        "spec.selector: Invalid value: v1.LabelSelector{MatchLabels:map[string]string"
        '{"app":"web", "v":"2"}, MatchExpressions:[]v1.LabelSelectorRequirement(nil)}: '
        "field is immutable"
    ]


def test_status_rules_run_only_when_status_changes() -> None:
    old = created(workload("Deployment"))
    old["status"] = {"replicas": 1, "readyReplicas": 1, "collisionCount": 2}
    new = copy.deepcopy(old)
    assert update(new, old) == []
    new["status"] = {"replicas": 1, "readyReplicas": 2, "availableReplicas": 3, "collisionCount": 1}
    assert update(new, old) == [
        "status.readyReplicas: Invalid value: 2: cannot be greater than status.replicas",
        "status.availableReplicas: Invalid value: 3: cannot be greater than status.replicas",
        "status.availableReplicas: Invalid value: 3: cannot be greater than readyReplicas",
        "status.collisionCount: Invalid value: 1: cannot be decremented",
    ]


def test_invalid_error_message_reads_like_kubectl() -> None:
    obj = workload("Deployment", template=template({"app": "x"}))
    apply_defaults("apps", "Deployment", obj)
    v = validator_for("apps", "Deployment")
    assert v is not None
    err = invalid_error("Deployment", "web", v.validate(obj), "apps")
    assert err.code == 422
    assert err.message == (
        'Deployment.apps "web" is invalid: spec.template.metadata.labels: Invalid value: '
        'map[string]string{"app":"x"}: `selector` does not match template `labels`'
    )


# ---------------------------------------------------------------------------
# ReplicaSet


def test_replica_set_empty_selector_reads_deployment_and_immutable_selector() -> None:
    assert create(workload("ReplicaSet", selector={"matchLabels": {}})) == [
        "spec.selector: Invalid value: v1.LabelSelector{MatchLabels:map[string]string{}, "
        "MatchExpressions:[]v1.LabelSelectorRequirement(nil)}: empty selector is invalid for deployment"
    ]
    old = created(workload("ReplicaSet"))
    new = copy.deepcopy(old)
    new["spec"]["selector"]["matchExpressions"] = [{"key": "app", "operator": "Exists"}]
    assert update(new, old)[0].endswith("field is immutable")


def test_replica_set_gce_pd_must_be_read_only_when_replicated() -> None:
    vol = {"name": "pd", "gcePersistentDisk": {"pdName": "disk"}}
    obj = workload("ReplicaSet", replicas=2, template=template(volumes=[vol]))
    assert (
        "spec.template.spec.volumes[0].gcePersistentDisk.readOnly: Invalid value: false: must be true "
        "for replicated pods > 1; GCE PD can only be mounted on multiple machines if it is read-only"
    ) in create(obj)


# ---------------------------------------------------------------------------
# StatefulSet


def test_stateful_set_valid_and_name_must_be_dns_label() -> None:
    assert create(workload("StatefulSet", serviceName="web")) == []
    obj = workload("StatefulSet")
    obj["metadata"]["name"] = "web.v1"
    # A Deployment may be called that; a StatefulSet's pods need DNS-label hostnames.
    assert create(obj) == ['metadata.name: Invalid value: "web.v1": must not contain dots']
    obj = workload("Deployment")
    obj["metadata"]["name"] = "web.v1"
    assert create(obj) == []


def test_stateful_set_spec_rules() -> None:
    obj = workload(
        "StatefulSet",
        podManagementPolicy="Random",
        updateStrategy={"type": "OnDelete", "rollingUpdate": {"partition": 1}},
        persistentVolumeClaimRetentionPolicy={"whenDeleted": "Keep"},
        ordinals={"start": -1},
        template=template(restartPolicy="OnFailure"),
    )
    assert create(obj) == [
        "spec.podManagementPolicy: Invalid value: \"Random\": must be 'OrderedReady' or 'Parallel'",
        "spec.updateStrategy.rollingUpdate: Invalid value: apps.RollingUpdateStatefulSetStrategy"
        "{Partition:1, MaxUnavailable:(*intstr.IntOrString)(nil)}: only allowed for updateStrategy "
        "'RollingUpdate'",
        'spec.persistentVolumeClaimRetentionPolicy.whenDeleted: Unsupported value: "Keep": '
        'supported values: "Retain", "Delete"',
        "spec.ordinals.start: Invalid value: -1: must be greater than or equal to 0",
        'spec.template.spec.restartPolicy: Unsupported value: "OnFailure": supported values: "Always"',
    ]


def test_stateful_set_rolling_update_max_unavailable() -> None:
    obj = workload(
        "StatefulSet", updateStrategy={"rollingUpdate": {"partition": -1, "maxUnavailable": 0}}
    )
    assert create(obj) == [
        "spec.updateStrategy.rollingUpdate.partition: Invalid value: -1: must be greater than or equal to 0",
        "spec.updateStrategy.rollingUpdate.maxUnavailable: Invalid value: "
        'intstr.IntOrString{Type:0, IntVal:0, StrVal:""}: cannot be 0',
    ]


def test_stateful_set_pod_spec_is_not_validated_as_upstream() -> None:
    # Upstream validates only a StatefulSet template's labels and annotations.
    obj = workload("StatefulSet", template={"metadata": {"labels": {"app": "web"}}, "spec": {}})
    assert create(obj) == []


def test_stateful_set_update_forbids_other_fields() -> None:
    old = created(
        workload(
            "StatefulSet",
            serviceName="web",
            volumeClaimTemplates=[
                {"metadata": {"name": "data"}, "spec": {"accessModes": ["ReadWriteOnce"]}}
            ],
        )
    )
    ok = copy.deepcopy(old)
    ok["spec"].update(replicas=3, minReadySeconds=5, revisionHistoryLimit=2)
    ok["spec"]["persistentVolumeClaimRetentionPolicy"] = {
        "whenDeleted": "Delete",
        "whenScaled": "Delete",
    }
    ok["spec"]["template"]["spec"]["containers"][0]["image"] = "nginx:2"
    assert update(ok, old) == []
    for field, value in (("serviceName", "other"), ("podManagementPolicy", "Parallel")):
        bad = copy.deepcopy(old)
        bad["spec"][field] = value
        assert update(bad, old) == [f"spec: Forbidden: {STATEFUL_SET_SPEC_FORBIDDEN}"]
    bad = copy.deepcopy(old)
    bad["spec"]["volumeClaimTemplates"][0]["spec"]["accessModes"] = ["ReadWriteMany"]
    assert update(bad, old) == [f"spec: Forbidden: {STATEFUL_SET_SPEC_FORBIDDEN}"]


def test_stateful_set_status() -> None:
    old = created(workload("StatefulSet"))
    new = copy.deepcopy(old)
    new["status"] = {
        "replicas": 1,
        "readyReplicas": 1,
        "availableReplicas": 2,
        "currentReplicas": -1,
    }
    assert update(new, old) == [
        "status.currentReplicas: Invalid value: -1: must be greater than or equal to 0",
        "status.availableReplicas: Invalid value: 2: cannot be greater than status.replicas",
        "status.availableReplicas: Invalid value: 2: cannot be greater than status.readyReplicas",
    ]


# ---------------------------------------------------------------------------
# DaemonSet


def test_daemon_set_rules() -> None:
    assert create(workload("DaemonSet")) == []
    obj = workload(
        "DaemonSet", updateStrategy={"rollingUpdate": {"maxUnavailable": 0, "maxSurge": 0}}
    )
    assert create(obj) == [
        "spec.updateStrategy.rollingUpdate.maxUnavailable: Required value: cannot be 0 when maxSurge is 0"
    ]
    obj = workload(
        "DaemonSet", updateStrategy={"rollingUpdate": {"maxUnavailable": 1, "maxSurge": "10%"}}
    )
    assert create(obj) == [
        "spec.updateStrategy.rollingUpdate.maxSurge: Invalid value: "
        'intstr.IntOrString{Type:1, IntVal:0, StrVal:"10%"}: may not be set when maxUnavailable is non-zero'
    ]
    obj = workload("DaemonSet", updateStrategy={"type": "Sometimes"})
    assert create(obj) == [
        'spec.updateStrategy: Unsupported value: apps.DaemonSetUpdateStrategy{Type:"Sometimes", '
        "RollingUpdate:(*apps.RollingUpdateDaemonSet)(nil)}: "
        'supported values: "RollingUpdate", "OnDelete"'
    ]


def test_daemon_set_without_selector_only_mismatches() -> None:
    obj = workload("DaemonSet")
    del obj["spec"]["selector"]
    assert create(obj) == [
        'spec.template.metadata.labels: Invalid value: map[string]string{"app":"web"}: '
        "`selector` does not match template `labels`"
    ]
    obj = workload("DaemonSet", selector={})
    assert create(obj)[0].endswith("empty selector is invalid for daemonset")


# ---------------------------------------------------------------------------
# ControllerRevision


def test_controller_revision() -> None:
    obj = {
        "kind": "ControllerRevision",
        "metadata": {"name": "r", "namespace": "d"},
        "revision": -1,
    }
    assert create(obj) == [
        "data: Required value: data is mandatory",
        "revision: Invalid value: -1: must be greater than or equal to 0",
    ]
    old = {
        "kind": "ControllerRevision",
        "metadata": {"name": "r", "namespace": "d"},
        "data": {"a": 1},
        "revision": 1,
    }
    assert create(copy.deepcopy(old)) == []
    new = copy.deepcopy(old)
    new["data"] = {"a": 2}
    assert update(new, old) == [
        "data: Invalid value: runtime.RawExtension{Raw:[]uint8{0x7b, 0x22, 0x61, 0x22, 0x3a, 0x32, 0x7d}, "
        "Object:runtime.Object(nil)}: field is immutable"
    ]


# ---------------------------------------------------------------------------
# helpers


@pytest.mark.parametrize(
    ("value", "ok"),
    [(0, True), (5, True), ("5%", True), ("100%", True), (-1, False), ("5", False), ("%", False)],
)
def test_positive_int_or_percent(value: Any, ok: bool) -> None:
    assert (validate_positive_int_or_percent(value, "f") == []) is ok


def test_go_label_selector_sorts_keys() -> None:
    assert str(go_label_selector({"matchLabels": {"b": "1", "a": "2"}})) == (
        'v1.LabelSelector{MatchLabels:map[string]string{"a":"2", "b":"1"}, '
        "MatchExpressions:[]v1.LabelSelectorRequirement(nil)}"
    )

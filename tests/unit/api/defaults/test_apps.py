"""apps/v1 defaulting: the values Kubernetes fills in, and idempotence."""

from __future__ import annotations

import copy
from typing import Any

from steersman.api.defaults import apply_defaults


def obj(kind: str, **spec: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "selector": {"matchLabels": {"app": "a"}},
        "template": {
            "metadata": {"labels": {"app": "a"}},
            "spec": {"containers": [{"name": "c", "image": "nginx:1"}]},
        },
    }
    body.update(spec)
    return {"kind": kind, "metadata": {"name": "a", "namespace": "default"}, "spec": body}


def defaulted(o: dict[str, Any]) -> dict[str, Any]:
    apply_defaults("apps", o["kind"], o)
    again = copy.deepcopy(o)
    apply_defaults("apps", o["kind"], again)
    assert again == o, "defaulting must be idempotent"
    return o


def test_deployment_defaults() -> None:
    spec = defaulted(obj("Deployment"))["spec"]
    assert spec["replicas"] == 1
    assert spec["strategy"] == {
        "type": "RollingUpdate",
        "rollingUpdate": {"maxUnavailable": "25%", "maxSurge": "25%"},
    }
    assert spec["revisionHistoryLimit"] == 10
    assert spec["progressDeadlineSeconds"] == 600
    pod = spec["template"]["spec"]
    assert pod["restartPolicy"] == "Always"
    assert pod["dnsPolicy"] == "ClusterFirst"
    assert pod["terminationGracePeriodSeconds"] == 30
    assert pod["containers"][0]["imagePullPolicy"] == "IfNotPresent"


def test_deployment_keeps_given_values() -> None:
    spec = defaulted(
        obj("Deployment", replicas=0, strategy={"type": "Recreate"}, revisionHistoryLimit=0)
    )["spec"]
    assert spec["replicas"] == 0
    assert spec["strategy"] == {"type": "Recreate"}
    assert spec["revisionHistoryLimit"] == 0
    partial = defaulted(obj("Deployment", strategy={"rollingUpdate": {"maxSurge": 0}}))["spec"][
        "strategy"
    ]
    assert partial == {
        "type": "RollingUpdate",
        "rollingUpdate": {"maxSurge": 0, "maxUnavailable": "25%"},
    }


def test_missing_template_is_created_and_defaulted() -> None:
    o = obj("ReplicaSet")
    del o["spec"]["template"]
    spec = defaulted(o)["spec"]
    assert spec["replicas"] == 1
    assert spec["template"]["spec"]["restartPolicy"] == "Always"


def test_daemon_set_defaults() -> None:
    spec = defaulted(obj("DaemonSet"))["spec"]
    assert spec["updateStrategy"] == {
        "type": "RollingUpdate",
        "rollingUpdate": {"maxUnavailable": 1, "maxSurge": 0},
    }
    assert spec["revisionHistoryLimit"] == 10
    on_delete = defaulted(obj("DaemonSet", updateStrategy={"type": "OnDelete"}))["spec"]
    assert on_delete["updateStrategy"] == {"type": "OnDelete"}


def test_stateful_set_defaults() -> None:
    claim = {
        "metadata": {"name": "data"},
        "spec": {"accessModes": ["ReadWriteOnce"], "resources": {"requests": {"storage": "1Gi"}}},
    }
    spec = defaulted(obj("StatefulSet", volumeClaimTemplates=[claim]))["spec"]
    assert spec["podManagementPolicy"] == "OrderedReady"
    # MaxUnavailableStatefulSet is beta and on in v1.36.
    assert spec["updateStrategy"] == {
        "type": "RollingUpdate",
        "rollingUpdate": {"partition": 0, "maxUnavailable": 1},
    }
    assert spec["persistentVolumeClaimRetentionPolicy"] == {
        "whenDeleted": "Retain",
        "whenScaled": "Retain",
    }
    assert spec["replicas"] == 1
    assert spec["revisionHistoryLimit"] == 10
    vct = spec["volumeClaimTemplates"][0]
    assert (vct["apiVersion"], vct["kind"]) == ("v1", "PersistentVolumeClaim")
    assert vct["spec"]["volumeMode"] == "Filesystem"
    assert vct["status"] == {"phase": "Pending"}


def test_stateful_set_given_strategy_without_rolling_update() -> None:
    spec = defaulted(obj("StatefulSet", updateStrategy={"type": "RollingUpdate"}))["spec"]
    # Only a defaulted type brings a defaulted rollingUpdate along, as upstream.
    assert spec["updateStrategy"] == {"type": "RollingUpdate"}
    spec = defaulted(obj("StatefulSet", updateStrategy={"type": "OnDelete"}))["spec"]
    assert spec["updateStrategy"] == {"type": "OnDelete"}

"""StatefulSet helpers: ordinals, identity, storage, versioned pods, PVC retention, status."""

from __future__ import annotations

import pytest

from steersman.controllers import statefulset_util as su


def sts(replicas: int = 3, **spec: object) -> dict:
    return {
        "metadata": {"name": "web", "namespace": "ns", "uid": "set-uid"},
        "spec": {
            "replicas": replicas,
            "serviceName": "svc",
            "selector": {"matchLabels": {"app": "web"}},
            "template": {
                "metadata": {"labels": {"app": "web"}},
                "spec": {"containers": [{"name": "c", "image": "v1"}]},
            },
            **spec,
        },
    }


def named(name: str, uid: str = "") -> dict:
    return {"metadata": {"name": name, "namespace": "ns", "uid": uid}}


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("web-0", ("web", 0)),
        ("my-app-12", ("my-app", 12)),
        ("web", ("", -1)),
        ("web-x", ("", -1)),
        ("web-2147483648", ("web", -1)),  # does not fit an int32
    ],
)
def test_parent_name_and_ordinal(name: str, expected: tuple[str, int]) -> None:
    assert su.parent_name_and_ordinal(named(name)) == expected


def test_ordinal_range_honours_start() -> None:
    s = sts(2, ordinals={"start": 5})
    assert [su.pod_in_ordinal_range(named(f"web-{i}"), s) for i in (4, 5, 6, 7)] == [
        False,
        True,
        True,
        False,
    ]


def test_new_pod_identity_storage_and_owner() -> None:
    s = sts(volumeClaimTemplates=[{"metadata": {"name": "www", "labels": {"tier": "d"}}}])
    pod = su.new_stateful_set_pod(s, 2)
    assert pod["metadata"]["name"] == "web-2"
    assert pod["metadata"]["generateName"] == "web-"
    assert pod["metadata"]["labels"] == {
        "app": "web",
        su.STATEFUL_SET_POD_NAME_LABEL: "web-2",
        su.POD_INDEX_LABEL: "2",
    }
    assert pod["spec"]["hostname"] == "web-2" and pod["spec"]["subdomain"] == "svc"
    assert pod["spec"]["volumes"] == [
        {"name": "www", "persistentVolumeClaim": {"claimName": "www-web-2"}}
    ]
    assert pod["metadata"]["ownerReferences"][0]["uid"] == "set-uid"
    assert su.identity_matches(s, pod) and su.storage_matches(s, pod)
    claim = su.persistent_volume_claims(s, pod)["www"]
    assert claim["metadata"]["labels"] == {"tier": "d", "app": "web"}
    assert claim["metadata"]["namespace"] == "ns"
    del pod["metadata"]["labels"][su.STATEFUL_SET_POD_NAME_LABEL]
    assert not su.identity_matches(s, pod)


def test_versioned_pods_follow_the_partition() -> None:
    current = sts(updateStrategy={"type": "RollingUpdate", "rollingUpdate": {"partition": 2}})
    update = sts()
    update["spec"]["template"]["spec"]["containers"][0]["image"] = "v2"
    below = su.new_versioned_stateful_set_pod(current, update, "cur", "upd", 1)
    above = su.new_versioned_stateful_set_pod(current, update, "cur", "upd", 2)
    assert su.get_pod_revision(below) == "cur"
    assert below["spec"]["containers"][0]["image"] == "v1"
    assert su.get_pod_revision(above) == "upd"
    assert above["spec"]["containers"][0]["image"] == "v2"


def claim(*refs: dict) -> dict:
    return {"metadata": {"name": "www-web-1", "ownerReferences": list(refs)}}


def set_ref(uid: str = "set-uid") -> dict:
    return {
        "apiVersion": "apps/v1",
        "kind": "StatefulSet",
        "name": "web",
        "uid": uid,
        "controller": True,
    }


def pod_ref(uid: str = "pod-uid") -> dict:
    return {"apiVersion": "v1", "kind": "Pod", "name": "web-1", "uid": uid, "controller": True}


@pytest.mark.parametrize(
    ("deleted", "scaled", "replicas", "want"),
    [
        ("Retain", "Retain", 3, set()),
        ("Delete", "Retain", 3, {"set-uid"}),
        ("Retain", "Delete", 3, set()),
        ("Retain", "Delete", 1, {"pod-uid"}),  # web-1 is out of range
        ("Delete", "Delete", 3, {"set-uid"}),
        ("Delete", "Delete", 1, {"pod-uid"}),
    ],
)
def test_claim_ownership_follows_retention(
    deleted: str, scaled: str, replicas: int, want: set[str]
) -> None:
    s = sts(
        replicas,
        persistentVolumeClaimRetentionPolicy={"whenDeleted": deleted, "whenScaled": scaled},
    )
    pod = named("web-1", "pod-uid")
    c = claim()
    assert su.is_claim_owner_up_to_date(c, s, pod) == (not want)
    su.update_claim_owner_ref_for_set_and_pod(c, s, pod)
    assert {r["uid"] for r in c["metadata"]["ownerReferences"]} == want
    assert su.is_claim_owner_up_to_date(c, s, pod)


def test_stale_and_foreign_controllers_are_left_alone() -> None:
    s = sts(
        1, persistentVolumeClaimRetentionPolicy={"whenDeleted": "Delete", "whenScaled": "Delete"}
    )
    pod = named("web-1", "pod-uid")
    # A ref to an earlier pod named web-1: up to date (the GC's business), and stale for a new pod.
    assert su.is_claim_owner_up_to_date(claim(pod_ref("old")), s, pod)
    assert su.has_stale_owner_ref(claim(pod_ref("old")), pod, "v1", "Pod")
    foreign = {"apiVersion": "x/v1", "kind": "Other", "name": "o", "uid": "o", "controller": True}
    assert su.has_unexpected_controller(claim(foreign), s, pod)
    assert su.is_claim_owner_up_to_date(claim(foreign), s, pod)
    c = claim(foreign, set_ref())
    assert not su.is_claim_owner_up_to_date(c, s, pod)
    su.update_claim_owner_ref_for_set_and_pod(c, s, pod)
    assert c["metadata"]["ownerReferences"] == [foreign]


def test_status_helpers() -> None:
    s = sts(2, updateStrategy={"type": "RollingUpdate"})
    s["status"] = {"replicas": 2, "readyReplicas": 2, "currentRevision": "a", "updateRevision": "a"}
    status = {
        "observedGeneration": 0,
        "replicas": 2,
        "readyReplicas": 2,
        "currentReplicas": 0,
        "updatedReplicas": 2,
        "availableReplicas": 0,
        "currentRevision": "a",
        "updateRevision": "b",
        "collisionCount": 0,
    }
    assert su.inconsistent_status(s, status)
    su.complete_rolling_update(s, status)
    assert status["currentRevision"] == "b" and status["currentReplicas"] == 2
    assert su.status_body(status) == {
        "replicas": 2,
        "readyReplicas": 2,
        "currentReplicas": 2,
        "updatedReplicas": 2,
        "availableReplicas": 0,
        "currentRevision": "b",
        "updateRevision": "b",
        "collisionCount": 0,
    }


@pytest.mark.parametrize(
    ("value", "replicas", "want"), [(None, 5, 1), (3, 5, 3), ("50%", 5, 2), ("10%", 5, 1)]
)
def test_max_unavailable(value: object, replicas: int, want: int) -> None:
    rolling = {} if value is None else {"maxUnavailable": value}
    s = sts(replicas, updateStrategy={"type": "RollingUpdate", "rollingUpdate": rolling})
    assert su.max_unavailable(s, replicas) == want

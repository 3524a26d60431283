"""PodManager: merging API and static pods, mirror pods tracked beside their static pods."""

from __future__ import annotations

from steersman.kubelet.pod_manager import PodManager


def pod(name: str, uid: str, **annotations: str) -> dict:
    return {
        "metadata": {"name": name, "namespace": "default", "uid": uid, "annotations": annotations}
    }


def test_api_pods_upsert_remove_and_relist() -> None:
    pm = PodManager()
    a = pod("a", "1")
    assert pm.upsert_api_pod(a) == ["1"]
    assert pm.get("1") is a
    b = pod("b", "2")
    assert pm.set_api_pods([b]) == ["1", "2"]
    assert [p["metadata"]["name"] for p in pm.pods()] == ["b"]
    assert pm.remove_api_pod(b) == ["2"] and pm.pods() == []
    assert pm.remove_api_pod(b) == []


def test_static_pods_and_their_mirrors() -> None:
    pm = PodManager()
    static = pod(
        "web-node",
        "s1",
        **{"kubernetes.io/config.source": "file", "kubernetes.io/config.hash": "s1"},
    )
    assert pm.set_static_pods([static]) == ["s1"]
    assert pm.is_static("s1")
    mirror = pod("web-node", "m1", **{"kubernetes.io/config.mirror": "s1"})
    # A mirror is never a pod to run; its static pod is re-synced when it changes.
    assert pm.upsert_api_pod(mirror) == ["s1"]
    assert pm.get("m1") is None and pm.mirror_for(static) is mirror
    # A relist of API pods keeps static pods.
    assert pm.set_api_pods([mirror]) == []
    assert pm.get("s1") is static
    assert pm.remove_api_pod(mirror) == ["s1"] and pm.mirror_for(static) is None
    assert pm.set_static_pods([]) == ["s1"] and pm.pods() == []

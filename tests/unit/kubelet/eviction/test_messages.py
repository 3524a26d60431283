"""Eviction messages, word for word."""

from __future__ import annotations

from typing import Any

from steersman.kubelet.eviction import (
    Observation,
    eviction_message,
    local_storage_violation,
    parse_eviction_hard,
)
from tests.unit.kubelet.stats.fake_node import MI, pod


def test_memory_message_names_containers_over_their_requests() -> None:
    p = pod(
        "reports",
        containers={"batch": {"requests": {"memory": "256Mi"}}, "idle": {}, "small": {}},
    )
    p["spec"]["initContainers"] = [{"name": "setup", "resources": {}}]
    stats = {
        "memory": {"workingSetBytes": 1900 * MI},
        "containers": [
            {"name": "batch", "memory": {"workingSetBytes": 1843 * MI}},
            {"name": "idle", "memory": {"workingSetBytes": 0}},
            {"name": "small", "memory": {"workingSetBytes": 1000}},
            {"name": "ghost", "memory": {"workingSetBytes": 10 * MI}},
        ],
    }
    observations = {"memory.available": Observation(91244 * 1024, 4096 * MI)}
    message, annotations = eviction_message(
        "memory", p, lambda _: stats, parse_eviction_hard(), observations
    )
    assert message == (
        "The node was low on resource: memory. Threshold quantity: 100Mi, available: 91244Ki. "
        "Container batch was using 1843Mi, request is 256Mi, has larger consumption of memory. "
        "Container small was using 1k, request is 0, has larger consumption of memory. "
    )
    assert annotations == {
        "offending_containers": "batch,small",
        "offending_containers_usage": "1843Mi,1k",  # Go prints |q| < 1024 as DecimalSI
        "starved_resource": "memory",
    }


def test_ephemeral_storage_message_with_a_percentage_threshold() -> None:
    p = pod("kibana", containers={"kibana": {}})
    stats = {
        "containers": [
            {"name": "kibana", "rootfs": {"usedBytes": 100 * 1024}, "logs": {"usedBytes": 8192}}
        ]
    }
    capacity = 313289945248
    observations = {"nodefs.available": Observation(45494108 * 1024, capacity)}
    message, _ = eviction_message(
        "ephemeral-storage", p, lambda _: stats, parse_eviction_hard(), observations
    )
    assert message == (
        "The node was low on resource: ephemeral-storage. Threshold quantity: 31328994991, "
        "available: 45494108Ki. Container kibana was using 108Ki, request is 0, has larger "
        "consumption of ephemeral-storage. "
    )


def test_message_without_stats_or_observation() -> None:
    message, annotations = eviction_message("memory", pod("p"), lambda _: None, [], {})
    assert (message, annotations) == ("The node was low on resource: memory. ", {})


def test_local_storage_violations() -> None:
    limited = pod(
        "limited",
        containers={"app": {"limits": {"ephemeral-storage": "1Mi"}}},
        volumes=[{"name": "scratch", "emptyDir": {"sizeLimit": "1Mi"}}],
    )
    fine: dict[str, Any] = {
        "containers": [{"name": "app", "logs": {"usedBytes": 10}, "rootfs": {"usedBytes": 10}}],
        "volume": [{"name": "scratch", "usedBytes": 10}],
        "ephemeral-storage": {"usedBytes": 20},
    }
    assert local_storage_violation(limited, fine, False) is None
    full_volume = dict(fine, volume=[{"name": "scratch", "usedBytes": 2 * MI}])
    assert local_storage_violation(limited, full_volume, False) == (
        'Usage of EmptyDir volume "scratch" exceeds the limit "1Mi". '
    )
    over_pod = dict(fine, **{"ephemeral-storage": {"usedBytes": 2 * MI}})
    assert local_storage_violation(limited, over_pod, False) == (
        "Pod ephemeral local storage usage exceeds the total limit of containers 1Mi. "
    )
    big_layer = dict(
        fine,
        containers=[{"name": "app", "logs": {"usedBytes": 0}, "rootfs": {"usedBytes": 2 * MI}}],
    )
    assert local_storage_violation(limited, big_layer, False) == (
        'Container app exceeded its local ephemeral storage limit "1Mi". '
    )
    # With an image filesystem the writable layer is not the node's ephemeral storage.
    assert local_storage_violation(limited, big_layer, True) is None

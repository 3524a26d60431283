"""`kubectl get` tables: cases from Kubernetes' printers_test.go and duration_test.go."""

from __future__ import annotations

import datetime
from typing import Any

import pytest

from steersman.api import resources, tables
from steersman.api.conversion.events import events_v1_to_core
from steersman.api.errors import ApiError
from steersman.util.durations import human_duration, short_human_duration

NOW = datetime.datetime(2024, 5, 1, 12, 0, 0, tzinfo=datetime.UTC)


def ago(**kw: float) -> str:
    return (NOW - datetime.timedelta(**kw)).strftime("%Y-%m-%dT%H:%M:%SZ")


def info(group: str, kind: str) -> resources.ResourceInfo:
    found = resources.lookup_kind(group, kind)
    assert found is not None
    return found


def cells(group: str, kind: str, obj: dict[str, Any]) -> list[Any]:
    return tables.row_cells(info(group, kind), obj, NOW)


def headers(group: str, kind: str) -> list[tuple[str, int]]:
    return [(c["name"], c["priority"]) for c in tables.column_definitions(info(group, kind))]


# ---------------------------------------------------------------------------
# durations (apimachinery's duration_test.go)

S, M, H, D = 1, 60, 3600, 86400


@pytest.mark.parametrize(
    ("seconds", "want"),
    [
        (1, "1s"),
        (70, "70s"),
        (190, "3m10s"),
        (70 * M, "70m"),
        (47 * H, "47h"),
        (49 * H, "2d1h"),
        ((8 * 24 + 2) * H, "8d"),
        (367 * D, "367d"),
        ((365 * 2 * 24 + 25) * H, "2y1d"),
        ((365 * 8 * 24 + 2) * H, "8y"),
        (-2, "<invalid>"),
        (-1.999999, "0s"),
        (0, "0s"),
        (0.999, "0s"),
        (2 * M - 0.001, "119s"),
        (2 * M, "2m"),
        (2 * M + 1, "2m1s"),
        (10 * M - 0.001, "9m59s"),
        (10 * M + 1, "10m"),
        (3 * H - 0.001, "179m"),
        (3 * H + M, "3h1m"),
        (8 * H - 0.001, "7h59m"),
        (8 * H + 59 * M, "8h"),
        (2 * D - 0.001, "47h"),
        (2 * D, "2d"),
        (8 * D - 0.001, "7d23h"),
        (8 * D + 23 * H, "8d"),
        (2 * 365 * D - 0.001, "729d"),
        (2 * 365 * D + 24 * H - 0.001, "2y"),
        (2 * 365 * D + 24 * H, "2y1d"),
        (8 * 365 * D - 0.001, "7y364d"),
        (9 * 365 * D, "9y"),
    ],
)
def test_human_duration(seconds: float, want: str) -> None:
    assert human_duration(datetime.timedelta(seconds=seconds)) == want


@pytest.mark.parametrize(
    ("seconds", "want"),
    [
        (-2, "<invalid>"),
        (-1.999999, "0s"),
        (0.999, "0s"),
        (1.999, "1s"),
        (M - 0.001, "59s"),
        (2 * M - 0.001, "1m"),
        (H - 0.001, "59m"),
        (2 * H - 0.001, "1h"),
        (D - 0.001, "23h"),
        (2 * D - 0.001, "1d"),
        (365 * D - 0.001, "364d"),
        (365 * D, "1y"),
        (2 * 365 * D, "2y"),
    ],
)
def test_short_human_duration(seconds: float, want: str) -> None:
    assert short_human_duration(datetime.timedelta(seconds=seconds)) == want


# ---------------------------------------------------------------------------
# pods (TestPrintPod)


def pod(
    name: str, containers: int, status: dict[str, Any], *, init: int = 0, **meta: Any
) -> dict[str, Any]:
    return {
        "metadata": {"name": name, **meta},
        "spec": {
            "containers": [{"name": f"c{i}"} for i in range(containers)],
            "initContainers": [{"name": f"i{i}"} for i in range(init)],
        },
        "status": status,
    }


RUNNING: dict[str, Any] = {"running": {}}
FINISHED_10S = {"terminated": {"finishedAt": ago(seconds=10)}}


@pytest.mark.parametrize(
    ("obj", "want"),
    [
        (
            pod(
                "test1",
                2,
                {
                    "phase": "podPhase",
                    "containerStatuses": [
                        {"ready": True, "restartCount": 3, "state": RUNNING},
                        {"restartCount": 3},
                    ],
                },
            ),
            ["test1", "1/2", "podPhase", "6", "<unknown>"],
        ),
        (
            pod(
                "test2",
                2,
                {
                    "phase": "podPhase",
                    "containerStatuses": [
                        {"ready": True, "restartCount": 3, "state": RUNNING},
                        {
                            "state": {"waiting": {"reason": "ContainerWaitingReason"}},
                            "restartCount": 3,
                        },
                    ],
                },
            ),
            ["test2", "1/2", "ContainerWaitingReason", "6", "<unknown>"],
        ),
        (
            pod(
                "test3",
                2,
                {
                    "phase": "podPhase",
                    "containerStatuses": [
                        {
                            "state": {"waiting": {"reason": "ContainerWaitingReason"}},
                            "restartCount": 3,
                        },
                        {
                            "state": {"terminated": {"reason": "ContainerTerminatedReason"}},
                            "restartCount": 3,
                        },
                    ],
                },
            ),
            ["test3", "0/2", "ContainerWaitingReason", "6", "<unknown>"],
        ),
        (
            pod(
                "test5",
                2,
                {
                    "reason": "podReason",
                    "phase": "podPhase",
                    "containerStatuses": [
                        {"ready": True, "restartCount": 3, "state": RUNNING},
                        {"ready": True, "restartCount": 3},
                    ],
                },
            ),
            ["test5", "1/2", "podReason", "6", "<unknown>"],
        ),
        (
            pod(
                "test6",
                2,
                {
                    "phase": "Running",
                    "containerStatuses": [
                        {
                            "ready": True,
                            "restartCount": 3,
                            "state": {"terminated": {"reason": "Completed", "exitCode": 0}},
                        },
                        {"ready": True, "restartCount": 3, "state": RUNNING},
                    ],
                },
            ),
            ["test6", "1/2", "NotReady", "6", "<unknown>"],
        ),
        (
            pod(
                "test6b",
                2,
                {
                    "phase": "Running",
                    "conditions": [{"type": "Ready", "status": "True"}],
                    "containerStatuses": [
                        {
                            "ready": True,
                            "restartCount": 3,
                            "state": {"terminated": {"reason": "Completed", "exitCode": 0}},
                        },
                        {"ready": True, "restartCount": 3, "state": RUNNING},
                    ],
                },
            ),
            ["test6b", "1/2", "Running", "6", "<unknown>"],
        ),
        (
            pod(
                "test7",
                1,
                {
                    "phase": "podPhase",
                    "initContainerStatuses": [
                        {
                            "name": "i0",
                            "restartCount": 3,
                            "state": RUNNING,
                            "lastState": FINISHED_10S,
                        }
                    ],
                    "containerStatuses": [{"state": {"waiting": {}}}],
                },
                init=1,
            ),
            ["test7", "0/1", "Init:0/1", "3 (10s ago)", "<unknown>"],
        ),
        (
            pod(
                "test9",
                1,
                {
                    "phase": "podPhase",
                    "initContainerStatuses": [
                        {"name": "i0", "state": {"terminated": {}}},
                        {
                            "name": "i1",
                            "restartCount": 3,
                            "state": RUNNING,
                            "lastState": FINISHED_10S,
                        },
                    ],
                    "containerStatuses": [{"state": {"waiting": {}}}],
                },
                init=2,
            ),
            ["test9", "0/1", "Init:1/2", "3 (10s ago)", "<unknown>"],
        ),
        (
            pod(
                "test11",
                1,
                {
                    "phase": "Running",
                    "initContainerStatuses": [
                        {
                            "name": "i0",
                            "restartCount": 2,
                            "state": {"terminated": {}},
                            "lastState": {"terminated": {"finishedAt": ago(minutes=2)}},
                        }
                    ],
                    "containerStatuses": [
                        {
                            "restartCount": 4,
                            "state": RUNNING,
                            "lastState": {"terminated": {"finishedAt": ago(seconds=20)}},
                        }
                    ],
                },
                init=1,
            ),
            ["test11", "0/1", "Running", "4 (20s ago)", "<unknown>"],
        ),
        (
            pod(
                "test14",
                2,
                {
                    "phase": "Running",
                    "containerStatuses": [
                        {
                            "ready": True,
                            "restartCount": 6,
                            "state": RUNNING,
                            "lastState": {"terminated": {"finishedAt": ago(days=5)}},
                        },
                        {
                            "ready": True,
                            "restartCount": 3,
                            "state": RUNNING,
                            "lastState": {"terminated": {"finishedAt": ago(days=20)}},
                        },
                    ],
                },
            ),
            ["test14", "2/2", "Running", "9 (5d ago)", "<unknown>"],
        ),
        (
            pod(
                "test15",
                2,
                {
                    "phase": "podPhase",
                    "conditions": [
                        {"type": "PodScheduled", "status": "False", "reason": "SchedulingGated"}
                    ],
                },
            ),
            ["test15", "0/2", "SchedulingGated", "0", "<unknown>"],
        ),
        (
            pod(
                "test17",
                1,
                {
                    "phase": "Failed",
                    "containerStatuses": [
                        {
                            "restartCount": 0,
                            "state": {"terminated": {"reason": "Error", "exitCode": 1}},
                        }
                    ],
                },
            ),
            ["test17", "0/1", "Error", "0", "<unknown>"],
        ),
        (
            pod(
                "test18",
                1,
                {
                    "phase": "Succeeded",
                    "containerStatuses": [
                        {"state": {"terminated": {"reason": "Completed", "exitCode": 0}}}
                    ],
                },
                deletionTimestamp=ago(seconds=10),
            ),
            ["test18", "0/1", "Completed", "0", "<unknown>"],
        ),
        (
            pod(
                "test19",
                1,
                {"phase": "Running", "containerStatuses": [{"state": RUNNING}]},
                deletionTimestamp=ago(seconds=10),
            ),
            ["test19", "0/1", "Terminating", "0", "<unknown>"],
        ),
        (
            pod(
                "lost",
                1,
                {"phase": "Running", "reason": "NodeLost"},
                deletionTimestamp=ago(seconds=10),
            ),
            ["lost", "0/1", "Unknown", "0", "<unknown>"],
        ),
        (
            pod(
                "create",
                1,
                {
                    "phase": "Pending",
                    "containerStatuses": [{"state": {"waiting": {"reason": "ContainerCreating"}}}],
                },
                creationTimestamp=ago(minutes=5),
            ),
            ["create", "0/1", "ContainerCreating", "0", "5m"],
        ),
        (
            pod(
                "sig",
                1,
                {
                    "phase": "Running",
                    "containerStatuses": [{"state": {"terminated": {"signal": 9}}}],
                },
            ),
            ["sig", "0/1", "Signal:9", "0", "<unknown>"],
        ),
        (
            pod(
                "initfail",
                1,
                {
                    "phase": "Pending",
                    "initContainerStatuses": [
                        {"name": "i0", "state": {"terminated": {"exitCode": 2}}}
                    ],
                },
                init=1,
            ),
            ["initfail", "0/1", "Init:ExitCode:2", "0", "<unknown>"],
        ),
        (
            pod(
                "initwait",
                1,
                {
                    "phase": "Pending",
                    "initContainerStatuses": [
                        {"name": "i0", "state": {"waiting": {"reason": "ErrImagePull"}}}
                    ],
                },
                init=1,
            ),
            ["initwait", "0/1", "Init:ErrImagePull", "0", "<unknown>"],
        ),
    ],
)
def test_pod_cells(obj: dict[str, Any], want: list[Any]) -> None:
    assert cells("", "Pod", obj)[:5] == want


def test_pod_restartable_init_containers_count_as_containers() -> None:
    obj = {
        "metadata": {"name": "sidecar"},
        "spec": {
            "initContainers": [{"name": "side", "restartPolicy": "Always"}],
            "containers": [{"name": "main"}],
        },
        "status": {
            "phase": "Running",
            "conditions": [{"type": "Initialized", "status": "True"}],
            "initContainerStatuses": [
                {
                    "name": "side",
                    "started": True,
                    "ready": True,
                    "restartCount": 1,
                    "state": RUNNING,
                    "lastState": FINISHED_10S,
                }
            ],
            "containerStatuses": [{"name": "main", "ready": True, "state": RUNNING}],
        },
    }
    assert cells("", "Pod", obj)[:4] == ["sidecar", "2/2", "Running", "1 (10s ago)"]


def test_pod_wide_cells_and_columns() -> None:
    obj = pod(
        "p", 1, {"phase": "Running", "podIPs": [{"ip": "10.1.0.4"}], "nominatedNodeName": "n2"}
    )
    obj["spec"]["nodeName"] = "n1"
    obj["spec"]["readinessGates"] = [{"conditionType": "a"}, {"conditionType": "b"}]
    obj["status"]["conditions"] = [
        {"type": "a", "status": "True"},
        {"type": "b", "status": "False"},
    ]
    assert cells("", "Pod", obj)[5:] == ["10.1.0.4", "n1", "n2", "1/2"]
    assert cells("", "Pod", pod("q", 1, {}))[5:] == ["<none>", "<none>", "<none>", "<none>"]
    assert headers("", "Pod") == [
        ("Name", 0),
        ("Ready", 0),
        ("Status", 0),
        ("Restarts", 0),
        ("Age", 0),
        ("IP", 1),
        ("Node", 1),
        ("Nominated Node", 1),
        ("Readiness Gates", 1),
    ]


# ---------------------------------------------------------------------------
# other kinds


def test_service_cells() -> None:
    svc = {
        "metadata": {"name": "web", "creationTimestamp": ago(days=2, hours=3)},
        "spec": {
            "type": "NodePort",
            "clusterIP": "10.0.0.10",
            "clusterIPs": ["10.0.0.10"],
            "ports": [
                {"port": 80, "nodePort": 30080, "protocol": "TCP"},
                {"port": 53, "protocol": "UDP"},
            ],
            "selector": {"app": "web", "tier": "fe"},
        },
    }
    assert cells("", "Service", svc) == [
        "web",
        "NodePort",
        "10.0.0.10",
        "<none>",
        "80:30080/TCP,53/UDP",
        "2d3h",
        "app=web,tier=fe",
    ]
    lb = {
        "metadata": {"name": "lb"},
        "spec": {"type": "LoadBalancer", "clusterIPs": ["10.0.0.11"], "externalIPs": ["1.1.1.1"]},
        "status": {"loadBalancer": {"ingress": [{"ip": "5.5.5.5"}, {"hostname": "a.example"}]}},
    }
    assert cells("", "Service", lb)[2:5] == ["10.0.0.11", "5.5.5.5,a.example,1.1.1.1", "<none>"]
    pending = {"metadata": {"name": "p"}, "spec": {"type": "LoadBalancer"}}
    assert cells("", "Service", pending)[2:4] == ["<none>", "<pending>"]
    ext = {
        "metadata": {"name": "e"},
        "spec": {"type": "ExternalName", "externalName": "db.example"},
    }
    assert cells("", "Service", ext)[3] == "db.example"
    assert [h for h, _ in headers("", "Service")] == [
        "Name",
        "Type",
        "Cluster-IP",
        "External-IP",
        "Port(s)",
        "Age",
        "Selector",
    ]


def test_deployment_cells() -> None:
    dep = {
        "metadata": {"name": "web", "creationTimestamp": ago(minutes=5, seconds=30)},
        "spec": {
            "replicas": 3,
            "selector": {"matchLabels": {"app": "web"}},
            "template": {
                "spec": {
                    "containers": [
                        {"name": "nginx", "image": "nginx:1"},
                        {"name": "side", "image": "busybox"},
                    ]
                }
            },
        },
        "status": {"readyReplicas": 2, "updatedReplicas": 3, "availableReplicas": 2},
    }
    assert cells("apps", "Deployment", dep) == [
        "web",
        "2/3",
        3,
        2,
        "5m30s",
        "nginx,side",
        "nginx:1,busybox",
        "app=web",
    ]
    assert headers("apps", "Deployment")[-3:] == [("Containers", 1), ("Images", 1), ("Selector", 1)]


def test_replicaset_statefulset_daemonset_rc() -> None:
    rs = {
        "metadata": {"name": "rs"},
        "spec": {
            "replicas": 2,
            "selector": {"matchLabels": {"a": "b"}},
            "template": {"spec": {"containers": []}},
        },
        "status": {"replicas": 2, "readyReplicas": 1},
    }
    assert cells("apps", "ReplicaSet", rs) == ["rs", 2, 2, 1, "<unknown>", "", "", "a=b"]
    sts = {
        "metadata": {"name": "db"},
        "spec": {
            "replicas": 3,
            "template": {"spec": {"containers": [{"name": "pg", "image": "postgres"}]}},
        },
        "status": {"readyReplicas": 1},
    }
    assert cells("apps", "StatefulSet", sts) == ["db", "1/3", "<unknown>", "pg", "postgres"]
    ds = {
        "metadata": {"name": "ds"},
        "spec": {
            "selector": {},
            "template": {"spec": {"nodeSelector": {"os": "linux"}, "containers": []}},
        },
        "status": {"desiredNumberScheduled": 2, "numberReady": 2},
    }
    assert cells("apps", "DaemonSet", ds) == [
        "ds",
        2,
        0,
        2,
        0,
        0,
        "os=linux",
        "<unknown>",
        "",
        "",
        "<none>",
    ]
    rc = {
        "metadata": {"name": "rc"},
        "spec": {"replicas": 1, "selector": {"app": "x"}},
        "status": {"replicas": 1},
    }
    assert cells("", "ReplicationController", rc) == ["rc", 1, 1, 0, "<unknown>", "", "", "app=x"]


def test_job_and_cronjob_cells() -> None:
    job = {
        "metadata": {"name": "pi", "creationTimestamp": ago(minutes=3)},
        "spec": {
            "completions": 1,
            "template": {"spec": {"containers": [{"name": "pi", "image": "perl"}]}},
            "selector": {"matchLabels": {"j": "pi"}},
        },
        "status": {
            "succeeded": 1,
            "startTime": ago(minutes=3),
            "completionTime": ago(minutes=2, seconds=30),
            "conditions": [{"type": "Complete", "status": "True"}],
        },
    }
    assert cells("batch", "Job", job) == [
        "pi",
        "Complete",
        "1/1",
        "30s",
        "3m",
        "pi",
        "perl",
        "j=pi",
    ]
    running = {
        "metadata": {"name": "r"},
        "spec": {"parallelism": 3},
        "status": {"startTime": ago(seconds=50)},
    }
    assert cells("batch", "Job", running)[:4] == ["r", "Running", "0/1 of 3", "50s"]
    cj = {
        "metadata": {"name": "cj"},
        "spec": {
            "schedule": "*/1 * * * *",
            "suspend": False,
            "jobTemplate": {"spec": {"template": {"spec": {"containers": []}}}},
        },
        "status": {"active": [{"name": "a"}], "lastScheduleTime": ago(seconds=40)},
    }
    assert cells("batch", "CronJob", cj) == [
        "cj",
        "*/1 * * * *",
        "<none>",
        "False",
        1,
        "40s",
        "<unknown>",
        "",
        "",
        "<none>",
    ]


def test_node_cells() -> None:
    node = {
        "metadata": {
            "name": "n1",
            "creationTimestamp": ago(days=3),
            "labels": {
                "node-role.kubernetes.io/control-plane": "",
                "kubernetes.io/role": "worker",
                "node-role.kubernetes.io/": "",
            },
        },
        "spec": {"unschedulable": True},
        "status": {
            "conditions": [
                {"type": "MemoryPressure", "status": "False"},
                {"type": "Ready", "status": "True"},
            ],
            "addresses": [
                {"type": "Hostname", "address": "n1"},
                {"type": "InternalIP", "address": "192.168.1.2"},
            ],
            "nodeInfo": {
                "kubeletVersion": "v1.36.0+steersman",
                "osImage": "Debian GNU/Linux 12",
                "kernelVersion": "6.1.0",
                "containerRuntimeVersion": "containerd://1.6.20",
            },
        },
    }
    assert cells("", "Node", node) == [
        "n1",
        "Ready,SchedulingDisabled",
        "control-plane,worker",
        "3d",
        "v1.36.0+steersman",
        "192.168.1.2",
        "<none>",
        "Debian GNU/Linux 12",
        "6.1.0",
        "containerd://1.6.20",
    ]
    bare = {
        "metadata": {"name": "n2"},
        "status": {"conditions": [{"type": "Ready", "status": "Unknown"}]},
    }
    assert cells("", "Node", bare)[1:3] == ["NotReady", "<none>"]
    assert cells("", "Node", {"metadata": {"name": "n3"}})[1] == "Unknown"
    assert cells("", "Node", {"metadata": {"name": "n3"}})[7:] == [
        "<unknown>",
        "<unknown>",
        "<unknown>",
    ]


def test_event_cells_for_both_apis() -> None:
    core = {
        "metadata": {"name": "p.17a", "namespace": "d"},
        "involvedObject": {"kind": "Pod", "name": "p", "fieldPath": "spec.containers{c}"},
        "reason": "Pulled",
        "message": "  Pulled image \n",
        "type": "Normal",
        "source": {"component": "kubelet", "host": "n1"},
        "firstTimestamp": ago(minutes=10),
        "lastTimestamp": ago(minutes=1),
        "count": 4,
    }
    assert cells("", "Event", core) == [
        "60s",
        "Normal",
        "Pulled",
        "pod/p",
        "spec.containers{c}",
        "kubelet, n1",
        "Pulled image",
        "10m",
        4,
        "p.17a",
    ]
    new = {
        "metadata": {"name": "e2", "namespace": "d"},
        "regarding": {"kind": "Node"},
        "reason": "Starting",
        "note": "hello",
        "type": "Normal",
        "eventTime": "2024-05-01T11:59:00.000000Z",
        "reportingController": "steersman-kubelet",
        "reportingInstance": "n1",
    }
    # events.k8s.io/v1 Events are printed from what they are stored as: core Events.
    assert cells("events.k8s.io", "Event", events_v1_to_core(new)) == [
        "60s",
        "Normal",
        "Starting",
        "node",
        "",
        "steersman-kubelet, n1",
        "hello",
        "60s",
        1,
        "e2",
    ]
    series = dict(new, series={"count": 7, "lastObservedTime": "2024-05-01T11:59:50.000000Z"})
    assert cells("events.k8s.io", "Event", events_v1_to_core(series))[0] == "10s"
    assert cells("events.k8s.io", "Event", events_v1_to_core(series))[8] == 7
    assert [h for h, p in headers("", "Event") if p == 0] == [
        "Last Seen",
        "Type",
        "Reason",
        "Object",
        "Message",
    ]


def test_simple_kinds() -> None:
    cm = {
        "metadata": {"name": "cm", "creationTimestamp": ago(hours=26)},
        "data": {"a": "1"},
        "binaryData": {"b": ""},
    }
    assert cells("", "ConfigMap", cm) == ["cm", 2, "26h"]
    secret = {"metadata": {"name": "s"}, "type": "Opaque", "data": {"a": "", "b": ""}}
    assert cells("", "Secret", secret) == ["s", "Opaque", 2, "<unknown>"]
    ns = {
        "metadata": {"name": "default", "creationTimestamp": ago(days=400)},
        "status": {"phase": "Active"},
    }
    assert cells("", "Namespace", ns) == ["default", "Active", "400d"]
    sa = {"metadata": {"name": "default"}}
    assert cells("", "ServiceAccount", sa) == ["default", 0, "<unknown>"]
    lease = {"metadata": {"name": "l"}, "spec": {"holderIdentity": "me"}}
    assert cells("coordination.k8s.io", "Lease", lease) == ["l", "me", "<unknown>"]
    pc = {
        "metadata": {"name": "high"},
        "value": 1000,
        "globalDefault": False,
        "preemptionPolicy": "PreemptLowerPriority",
    }
    assert cells("scheduling.k8s.io", "PriorityClass", pc) == [
        "high",
        1000,
        False,
        "<unknown>",
        "PreemptLowerPriority",
    ]
    sc = {
        "metadata": {
            "name": "local",
            "annotations": {"storageclass.kubernetes.io/is-default-class": "true"},
        },
        "provisioner": "rancher.io/local-path",
    }
    assert cells("storage.k8s.io", "StorageClass", sc) == [
        "local (default)",
        "rancher.io/local-path",
        "Delete",
        "Immediate",
        False,
        "<unknown>",
    ]
    pdb = {
        "metadata": {"name": "pdb"},
        "spec": {"minAvailable": "50%"},
        "status": {"disruptionsAllowed": 1},
    }
    assert cells("policy", "PodDisruptionBudget", pdb) == ["pdb", "50%", "N/A", 1, "<unknown>"]
    rb = {
        "metadata": {"name": "rb"},
        "roleRef": {"kind": "ClusterRole", "name": "view"},
        "subjects": [
            {"kind": "User", "name": "alice"},
            {"kind": "Group", "name": "devs"},
            {"kind": "ServiceAccount", "name": "sa", "namespace": "ns"},
            {"kind": "User", "name": "bob"},
        ],
    }
    assert cells("rbac.authorization.k8s.io", "RoleBinding", rb) == [
        "rb",
        "ClusterRole/view",
        "<unknown>",
        "alice, bob",
        "devs",
        "ns/sa",
    ]
    cr = {
        "metadata": {
            "name": "ds-7b",
            "ownerReferences": [
                {"apiVersion": "apps/v1", "kind": "DaemonSet", "name": "ds", "controller": True}
            ],
        },
        "revision": 2,
    }
    assert cells("apps", "ControllerRevision", cr) == ["ds-7b", "daemonset.apps/ds", 2, "<unknown>"]
    np = {"metadata": {"name": "np"}, "spec": {"podSelector": {}}}
    assert cells("networking.k8s.io", "NetworkPolicy", np) == ["np", "<none>", "<unknown>"]


def test_storage_cells() -> None:
    pv = {
        "metadata": {"name": "pv1"},
        "spec": {
            "capacity": {"storage": "1.5Gi"},
            "accessModes": ["ReadWriteMany", "ReadWriteOnce"],
            "persistentVolumeReclaimPolicy": "Retain",
            "claimRef": {"namespace": "d", "name": "c"},
            "storageClassName": "local",
            "volumeMode": "Filesystem",
        },
        "status": {"phase": "Bound"},
    }
    assert cells("", "PersistentVolume", pv) == [
        "pv1",
        "1536Mi",
        "RWO,RWX",
        "Retain",
        "Bound",
        "d/c",
        "local",
        "<unset>",
        "",
        "<unknown>",
        "Filesystem",
    ]
    pvc = {
        "metadata": {"name": "c"},
        "spec": {"volumeName": "pv1", "storageClassName": "local"},
        "status": {
            "phase": "Bound",
            "capacity": {"storage": "1Gi"},
            "accessModes": ["ReadWriteOnce"],
        },
    }
    assert cells("", "PersistentVolumeClaim", pvc) == [
        "c",
        "Bound",
        "pv1",
        "1Gi",
        "RWO",
        "local",
        "<unset>",
        "<unknown>",
        "<unset>",
    ]
    pending = {
        "metadata": {"name": "c2", "deletionTimestamp": ago(seconds=1)},
        "spec": {},
        "status": {"phase": "Pending"},
    }
    assert cells("", "PersistentVolumeClaim", pending)[1:6] == ["Terminating", "", "", "", ""]
    quota = {
        "metadata": {"name": "q"},
        "status": {
            "hard": {"pods": "10", "limits.cpu": "2", "requests.memory": "1Gi"},
            "used": {"pods": "1", "requests.memory": "512Mi"},
        },
    }
    assert cells("", "ResourceQuota", quota) == [
        "q",
        "pods: 1/10, requests.memory: 512Mi/1Gi",
        "limits.cpu: 0/2",
        "<unknown>",
    ]


def test_networking_cells() -> None:
    ep = {
        "metadata": {"name": "web"},
        "subsets": [
            {
                "addresses": [
                    {"ip": "10.0.0.1"},
                    {"ip": "10.0.0.2"},
                    {"ip": "fd00::3"},
                    {"ip": "10.0.0.4"},
                ],
                "ports": [{"port": 80}],
            }
        ],
    }
    assert cells("", "Endpoints", ep)[1] == "10.0.0.1:80,10.0.0.2:80,[fd00::3]:80 + 1 more..."
    assert cells("", "Endpoints", {"metadata": {"name": "e"}})[1] == "<none>"
    eps = {
        "metadata": {"name": "web-abc"},
        "addressType": "IPv4",
        "ports": [{"port": 80}, {"name": "dns"}],
        "endpoints": [{"addresses": ["10.0.0.1"]}],
    }
    assert cells("discovery.k8s.io", "EndpointSlice", eps)[:4] == [
        "web-abc",
        "IPv4",
        "80,dns",
        "10.0.0.1",
    ]
    assert cells("discovery.k8s.io", "EndpointSlice", {"metadata": {"name": "x"}})[2:4] == [
        "<unset>",
        "<unset>",
    ]
    ing = {
        "metadata": {"name": "ing"},
        "spec": {
            "ingressClassName": "nginx",
            "rules": [{"host": "a"}, {"host": "b"}, {"host": "c"}, {"host": "d"}, {}],
            "tls": [{}],
        },
        "status": {"loadBalancer": {"ingress": [{"ip": "1.2.3.4"}]}},
    }
    assert cells("networking.k8s.io", "Ingress", ing)[:5] == [
        "ing",
        "nginx",
        "a,b,c + 2 more...",
        "1.2.3.4",
        "80, 443",
    ]
    assert cells("networking.k8s.io", "Ingress", {"metadata": {"name": "i"}, "spec": {}})[1:5] == [
        "<none>",
        "*",
        "",
        "80",
    ]
    ic = {
        "metadata": {"name": "nginx"},
        "spec": {
            "controller": "k8s.io/ingress-nginx",
            "parameters": {"apiGroup": "k8s.example.com", "kind": "IngressParameters", "name": "p"},
        },
    }
    assert cells("networking.k8s.io", "IngressClass", ic)[:3] == [
        "nginx",
        "k8s.io/ingress-nginx",
        "IngressParameters.k8s.example.com/p",
    ]


def test_default_table_for_kinds_without_printer() -> None:
    role = {"metadata": {"name": "r", "creationTimestamp": "2024-01-02T03:04:05Z"}}
    assert headers("rbac.authorization.k8s.io", "Role") == [("Name", 0), ("Created At", 0)]
    assert tables.column_definitions(info("", "LimitRange"))[1]["type"] == "date"
    assert cells("rbac.authorization.k8s.io", "Role", role) == ["r", "2024-01-02T03:04:05Z"]
    assert cells("", "LimitRange", {"metadata": {"name": "l"}}) == ["l", "0001-01-01T00:00:00Z"]


def test_every_resource_has_columns_matching_its_cells() -> None:
    for r in resources.RESOURCES:
        cols = tables.column_definitions(r)
        assert cols[0]["name"] in ("Name", "Last Seen")
        row = tables.row_cells(r, {"metadata": {"name": "x"}}, NOW)
        assert len(row) == len(cols), r.kind
        for c in cols:
            assert set(c) == {"name", "type", "format", "description", "priority"}
            assert c["description"], (r.kind, c["name"])


def test_column_descriptions_come_from_the_schemas() -> None:
    name = tables.column_definitions(info("", "ConfigMap"))[0]
    assert name["format"] == "name"
    assert name["description"].startswith("Name must be unique within a namespace.")


# ---------------------------------------------------------------------------
# build_table


def test_build_table_list_shape_and_include_object() -> None:
    pods_info = info("", "Pod")
    done = pod("done", 1, {"phase": "Succeeded"})
    done["metadata"]["resourceVersion"] = "7"
    table = tables.build_table(
        pods_info, [done], now=NOW, resource_version="42", continue_token="abc", remaining=3
    )
    assert table["kind"] == "Table" and table["apiVersion"] == "meta.k8s.io/v1"
    assert table["metadata"] == {
        "resourceVersion": "42",
        "continue": "abc",
        "remainingItemCount": 3,
    }
    assert len(table["columnDefinitions"]) == 9
    row = table["rows"][0]
    assert row["object"] == {
        "kind": "PartialObjectMetadata",
        "apiVersion": "meta.k8s.io/v1",
        "metadata": done["metadata"],
    }
    assert row["conditions"] == [
        {
            "type": "Completed",
            "status": "True",
            "reason": "Succeeded",
            "message": "The pod has completed successfully.",
        }
    ]

    full = tables.build_table(pods_info, [done], now=NOW, include_object="Object")
    assert full["metadata"] == {}
    assert full["rows"][0]["object"]["kind"] == "Pod"
    assert full["rows"][0]["object"]["apiVersion"] == "v1"
    assert "kind" not in done  # the caller's object is left alone

    none = tables.build_table(pods_info, [done], now=NOW, include_object="None", no_headers=True)
    assert none["rows"][0]["object"] is None
    assert "columnDefinitions" not in none

    running = tables.build_table(pods_info, [pod("r", 1, {"phase": "Running"})], now=NOW)
    assert "conditions" not in running["rows"][0]


def test_build_table_rejects_unknown_include_object() -> None:
    with pytest.raises(ApiError) as err:
        tables.build_table(info("", "Pod"), [pod("p", 1, {})], now=NOW, include_object="Everything")
    assert err.value.code == 400
    assert err.value.message == 'unrecognized includeObject value: "Everything"'
    # Like the API server, the value is only examined per row.
    assert (
        tables.build_table(info("", "Pod"), [], now=NOW, include_object="Everything")["rows"] == []
    )

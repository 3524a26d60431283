"""The node agent end to end: `steersman up` with its kubelet and containerd, driven by the
real kubectl. Pods run as real containers (runc) on CNI networking.

The module shares one cluster (starting containerd and a kubelet takes about two seconds);
each test works in its own namespace. Images are built locally with `steersman images`.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import time
import urllib.request

from tests.e2e.harness import Cluster, free_port, poll
from tests.e2e.node.workloads import IMAGE, apply, get, phase, pod, state


def test_node_registers_ready_with_runtime_facts(node_cluster: Cluster) -> None:
    (node,) = node_cluster.kubectl_json("get", "nodes")["items"]
    conditions = {c["type"]: c for c in node["status"]["conditions"]}
    assert conditions["Ready"]["status"] == "True"
    assert node["status"]["nodeInfo"]["containerRuntimeVersion"].startswith("containerd://1.")
    assert node["spec"]["podCIDR"] == node_cluster.pod_cidr
    lease = node_cluster.kubectl_json(
        "get", "lease", node["metadata"]["name"], "-n", "kube-node-lease"
    )
    assert lease["spec"]["holderIdentity"] == node["metadata"]["name"]
    out = node_cluster.kubectl("get", "nodes").stdout
    assert " Ready " in out and "v1.36" in out


def test_pod_runs_with_an_ip_conditions_and_events(node_cluster: Cluster, ns: str) -> None:
    apply(node_cluster, ns, pod("web", "sleep 3600"))
    poll(lambda: phase(node_cluster, ns, "web") == "Running", what="pod running", timeout=30)
    p = get(node_cluster, ns, "web")
    assert p["status"]["podIP"].startswith(node_cluster.pod_cidr.rsplit(".", 2)[0] + ".")
    assert p["spec"]["nodeName"]
    conditions = {c["type"]: c["status"] for c in p["status"]["conditions"]}
    assert conditions == {
        "PodReadyToStartContainers": "True",
        "Initialized": "True",
        "Ready": "True",
        "ContainersReady": "True",
        "PodScheduled": "True",
    }
    cs = p["status"]["containerStatuses"][0]
    assert cs["ready"] and cs["started"] and cs["containerID"].startswith("containerd://")
    assert "running" in cs["state"]
    row = node_cluster.kubectl("get", "pod", "web", "-n", ns, "--no-headers").stdout.split()
    assert row[:4] == ["web", "1/1", "Running", "0"]
    described = node_cluster.kubectl("describe", "pod", "web", "-n", ns).stdout
    for line in (
        "Scheduled",
        "already present on machine",
        "Created container: main",
        "Started container main",
    ):
        assert line in described


def test_exit_codes_phases_and_termination_message(node_cluster: Cluster, ns: str) -> None:
    apply(
        node_cluster,
        ns,
        pod("ok", "echo -n all good > /dev/termination-log; exit 0", restartPolicy="Never"),
    )
    apply(node_cluster, ns, pod("bad", "exit 3", restartPolicy="Never"))
    poll(lambda: phase(node_cluster, ns, "ok") == "Succeeded", what="ok succeeded", timeout=30)
    poll(lambda: phase(node_cluster, ns, "bad") == "Failed", what="bad failed", timeout=30)
    ok = state(node_cluster, ns, "ok")["state"]["terminated"]
    assert (ok["exitCode"], ok["reason"], ok["message"]) == (0, "Completed", "all good")
    bad = state(node_cluster, ns, "bad")["state"]["terminated"]
    assert (bad["exitCode"], bad["reason"]) == (3, "Error")
    rows = node_cluster.kubectl("get", "pods", "-n", ns, "--no-headers").stdout
    assert "Completed" in rows and "Error" in rows


def test_crash_loop_back_off(node_cluster: Cluster, ns: str) -> None:
    apply(node_cluster, ns, pod("crash", "exit 1"))

    def looping() -> bool:
        s = state(node_cluster, ns, "crash")
        return (
            s.get("restartCount", 0) >= 1
            and s.get("state", {}).get("waiting", {}).get("reason") == "CrashLoopBackOff"
        )

    poll(looping, what="CrashLoopBackOff", timeout=40)
    s = state(node_cluster, ns, "crash")
    assert s["lastState"]["terminated"]["exitCode"] == 1
    assert s["state"]["waiting"]["message"].startswith(
        "back-off 10s restarting failed container=main pod=crash_"
    )
    assert phase(node_cluster, ns, "crash") == "Running"


def test_image_pull_policies(node_cluster: Cluster, ns: str) -> None:
    apply(
        node_cluster,
        ns,
        pod("never", "true", container={"image": "absent:1", "imagePullPolicy": "Never"}),
    )

    def waiting_reason() -> str:
        return str(
            state(node_cluster, ns, "never").get("state", {}).get("waiting", {}).get("reason", "")
        )

    poll(lambda: waiting_reason() == "ErrImageNeverPull", what="ErrImageNeverPull", timeout=30)
    assert state(node_cluster, ns, "never")["state"]["waiting"]["message"] == (
        'Container image "absent:1" is not present with pull policy of Never'
    )


def test_env_configmap_volume_and_downward_api(node_cluster: Cluster, ns: str) -> None:
    node_cluster.kubectl("create", "configmap", "cfg", "-n", ns, "--from-literal=greeting=hello")
    spec = pod(
        "env",
        'echo -n "$GREETING $POD_NAME $(cat /cfg/greeting) $(cat /info/labels)" > /dev/termination-log',
        restartPolicy="Never",
        volumes=[
            {"name": "cfg", "configMap": {"name": "cfg"}},
            {
                "name": "info",
                "downwardAPI": {
                    "items": [{"path": "labels", "fieldRef": {"fieldPath": "metadata.labels"}}]
                },
            },
        ],
        container={
            "env": [
                {
                    "name": "GREETING",
                    "valueFrom": {"configMapKeyRef": {"name": "cfg", "key": "greeting"}},
                },
                {"name": "POD_NAME", "valueFrom": {"fieldRef": {"fieldPath": "metadata.name"}}},
            ],
            "volumeMounts": [
                {"name": "cfg", "mountPath": "/cfg"},
                {"name": "info", "mountPath": "/info"},
            ],
        },
    )
    spec["metadata"]["labels"] = {"app": "demo"}
    apply(node_cluster, ns, spec)
    poll(lambda: phase(node_cluster, ns, "env") == "Succeeded", what="env pod done", timeout=30)
    message = state(node_cluster, ns, "env")["state"]["terminated"]["message"]
    assert message == 'hello env hello app="demo"'


def test_missing_configmap_key_is_a_config_error(node_cluster: Cluster, ns: str) -> None:
    apply(
        node_cluster,
        ns,
        pod(
            "cfgerr",
            "true",
            container={
                "env": [
                    {"name": "X", "valueFrom": {"configMapKeyRef": {"name": "nope", "key": "k"}}}
                ]
            },
        ),
    )

    def reason() -> str:
        return str(
            state(node_cluster, ns, "cfgerr").get("state", {}).get("waiting", {}).get("reason", "")
        )

    poll(lambda: reason() == "CreateContainerConfigError", what="config error", timeout=30)
    assert (
        state(node_cluster, ns, "cfgerr")["state"]["waiting"]["message"]
        == 'configmap "nope" not found'
    )


def test_init_containers_run_first_in_order(node_cluster: Cluster, ns: str) -> None:
    spec = pod(
        "init",
        'echo -n "$(cat /work/log)" > /dev/termination-log',
        restartPolicy="Never",
        volumes=[{"name": "work", "emptyDir": {}}],
        container={"volumeMounts": [{"name": "work", "mountPath": "/work"}]},
    )
    spec["spec"]["initContainers"] = [
        {
            "name": f"step{i}",
            "image": IMAGE,
            "command": ["sh", "-c", f"echo -n {i} >> /work/log"],
            "volumeMounts": [{"name": "work", "mountPath": "/work"}],
        }
        for i in (1, 2)
    ]
    apply(node_cluster, ns, spec)
    poll(lambda: phase(node_cluster, ns, "init") == "Succeeded", what="init pod done", timeout=40)
    assert state(node_cluster, ns, "init")["state"]["terminated"]["message"] == "12"


def test_probes_gate_readiness_and_restart_on_liveness(node_cluster: Cluster, ns: str) -> None:
    apply(
        node_cluster,
        ns,
        pod(
            "probed",
            "sleep 3600",
            container={
                "readinessProbe": {
                    "exec": {"command": ["test", "-e", "/tmp/ready"]},
                    "periodSeconds": 1,
                },
                "livenessProbe": {
                    "exec": {"command": ["test", "!", "-e", "/tmp/die"]},
                    "periodSeconds": 1,
                    "failureThreshold": 1,
                },
            },
        ),
    )
    poll(lambda: phase(node_cluster, ns, "probed") == "Running", what="running", timeout=30)
    time.sleep(2)
    assert state(node_cluster, ns, "probed")["ready"] is False
    row = node_cluster.kubectl("get", "pod", "probed", "-n", ns, "--no-headers").stdout.split()
    assert row[1] == "0/1"


def test_graceful_delete_removes_the_pod(node_cluster: Cluster, ns: str) -> None:
    apply(
        node_cluster,
        ns,
        pod("bye", "trap 'exit 0' TERM; sleep 3600 & wait", terminationGracePeriodSeconds=20),
    )
    poll(lambda: phase(node_cluster, ns, "bye") == "Running", what="running", timeout=30)
    begin = time.monotonic()
    node_cluster.kubectl("delete", "pod", "bye", "-n", ns, "--timeout=30s")
    # The trap exits at once on SIGTERM: far sooner than the 20 s grace period.
    assert time.monotonic() - begin < 10
    assert node_cluster.kubectl("get", "pod", "bye", "-n", ns, check=False).returncode != 0


def test_deployment_rolls_out_on_the_node(node_cluster: Cluster, ns: str) -> None:
    node_cluster.kubectl(
        "create",
        "deployment",
        "web",
        "-n",
        ns,
        f"--image={IMAGE}",
        "--replicas=2",
        "--",
        "sleep",
        "3600",
    )
    out = node_cluster.kubectl(
        "rollout", "status", "deployment/web", "-n", ns, "--timeout=60s", timeout=90
    ).stdout
    assert 'deployment "web" successfully rolled out' in out
    pods = node_cluster.kubectl_json("get", "pods", "-n", ns, "-l", "app=web")["items"]
    assert len(pods) == 2 and all(p["status"]["phase"] == "Running" for p in pods)


def test_static_pod_gets_a_mirror_pod(node_cluster: Cluster) -> None:
    manifests = node_cluster.data_dir / "manifests"
    manifests.mkdir(exist_ok=True)
    (manifests / "static.yaml").write_text(
        json.dumps(
            pod("static-web", "sleep 3600")
            | {"metadata": {"name": "static-web", "namespace": "default"}}
        )
    )
    node = node_cluster.kubectl_json("get", "nodes")["items"][0]["metadata"]["name"]
    name = f"static-web-{node}"
    try:
        poll(
            lambda: (
                node_cluster.kubectl("get", "pod", name, check=False).returncode == 0
                and phase(node_cluster, "default", name) == "Running"
            ),
            what="mirror pod running",
            timeout=40,
        )
        mirror = get(node_cluster, "default", name)
        assert "kubernetes.io/config.mirror" in mirror["metadata"]["annotations"]
        assert mirror["metadata"]["ownerReferences"][0]["kind"] == "Node"
    finally:
        (manifests / "static.yaml").unlink()
    poll(
        lambda: node_cluster.kubectl("get", "pod", name, check=False).returncode != 0,
        what="mirror pod removed with its manifest",
        timeout=40,
    )


def test_restarted_kubelet_adopts_running_containers(node_cluster: Cluster, ns: str) -> None:
    apply(node_cluster, ns, pod("keep", "sleep 3600"))
    poll(lambda: phase(node_cluster, ns, "keep") == "Running", what="running", timeout=30)
    before = state(node_cluster, ns, "keep")["containerID"]
    kubelet = node_cluster.component_pid("kubelet")
    assert kubelet is not None
    os.kill(kubelet, signal.SIGKILL)
    poll(
        lambda: node_cluster.component_pid("kubelet") not in (None, kubelet),
        what="kubelet restarted",
        timeout=30,
    )
    # While it was away (or right after), a pod deleted from the API is cleaned up too.
    time.sleep(3)
    after = state(node_cluster, ns, "keep")
    assert after["containerID"] == before and after["restartCount"] == 0
    assert phase(node_cluster, ns, "keep") == "Running"


def test_logs_exec_cp_and_port_forward_on_real_containers(node_cluster: Cluster, ns: str) -> None:
    apply(
        node_cluster,
        ns,
        pod(
            "talk",
            "i=0; while true; do echo line $i; i=$((i+1)); sleep 0.2; done",
            container={"name": "main"},
        ),
    )
    web = pod("web", "mkdir -p /www; echo hello-web > /www/index.html; httpd -f -p 8080 -h /www")
    apply(node_cluster, ns, web)
    for name in ("talk", "web"):
        poll(lambda name=name: phase(node_cluster, ns, name) == "Running", what=name, timeout=30)
    time.sleep(1)
    logs = node_cluster.kubectl("logs", "talk", "-n", ns, "--tail=2").stdout.splitlines()
    assert len(logs) == 2 and all(line.startswith("line ") for line in logs)
    stamped = node_cluster.kubectl("logs", "talk", "-n", ns, "--tail=1", "--timestamps").stdout
    assert stamped.split(" ", 1)[1].startswith("line ") and stamped[:4].isdigit()
    out = node_cluster.kubectl(
        "exec",
        "talk",
        "-n",
        ns,
        "-c",
        "main",
        "--",
        "sh",
        "-c",
        "echo $((6*7)); exit 3",
        check=False,
    )
    assert out.stdout.strip() == "42" and out.returncode == 3
    src = node_cluster.data_dir.parent / "to-pod.txt"
    src.write_text("copied\n")
    node_cluster.kubectl("cp", str(src), f"{ns}/talk:/tmp/in.txt")
    assert (
        node_cluster.kubectl("exec", "talk", "-n", ns, "--", "cat", "/tmp/in.txt").stdout
        == "copied\n"
    )
    port = free_port()
    forward = subprocess.Popen(
        ["kubectl", "port-forward", "-n", ns, "pod/web", f"{port}:8080"],
        env=node_cluster.env(),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    try:

        def fetch() -> bytes:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=2) as resp:
                    return bytes(resp.read())
            except OSError:
                return b""

        assert poll(fetch, what="port-forwarded HTTP", timeout=15) == b"hello-web\n"
    finally:
        forward.terminate()
        forward.wait(10)


def test_previous_logs_after_a_restart(node_cluster: Cluster, ns: str) -> None:
    apply(node_cluster, ns, pod("again", "echo run; sleep 1; exit 1"))
    poll(
        lambda: state(node_cluster, ns, "again").get("restartCount", 0) >= 1,
        what="a restart",
        timeout=40,
    )
    previous = node_cluster.kubectl("logs", "again", "-n", ns, "--previous").stdout
    assert previous == "run\n"


def test_httpd_answers_on_the_pod_ip_and_containers_share_localhost(
    node_cluster: Cluster, ns: str
) -> None:
    spec = pod("duo", "mkdir -p /www; echo duo > /www/index.html; httpd -f -p 8080 -h /www")
    spec["spec"]["containers"].append(
        {
            "name": "client",
            "image": IMAGE,
            "command": [
                "sh",
                "-c",
                "sleep 1; wget -q -O /tmp/got http://127.0.0.1:8080/; sleep 3600",
            ],
        }
    )
    apply(node_cluster, ns, spec)
    poll(lambda: phase(node_cluster, ns, "duo") == "Running", what="running", timeout=30)
    ip = get(node_cluster, ns, "duo")["status"]["podIP"]

    def fetch() -> bytes:
        try:
            with urllib.request.urlopen(f"http://{ip}:8080/", timeout=2) as resp:
                return bytes(resp.read())
        except OSError:
            return b""

    assert poll(fetch, what="httpd on the pod IP", timeout=15) == b"duo\n"

    def got() -> str:
        res = node_cluster.kubectl(
            "exec", "duo", "-n", ns, "-c", "client", "--", "cat", "/tmp/got", check=False
        )
        return res.stdout if res.returncode == 0 else ""

    assert poll(got, what="localhost between containers", timeout=15) == "duo\n"


def test_oom_killed_is_reported(node_cluster: Cluster, ns: str) -> None:
    apply(
        node_cluster,
        ns,
        pod(
            "hog",
            "x=$(head -c 200000000 /dev/zero | tr '\\0' a); sleep 1",
            restartPolicy="Never",
            container={"resources": {"limits": {"memory": "20Mi"}}},
        ),
    )
    poll(lambda: phase(node_cluster, ns, "hog") == "Failed", what="hog failed", timeout=60)
    terminated = state(node_cluster, ns, "hog")["state"]["terminated"]
    assert terminated["reason"] == "OOMKilled"
    assert terminated["exitCode"] == 137


def test_liveness_failure_restarts_and_readiness_toggles(node_cluster: Cluster, ns: str) -> None:
    apply(
        node_cluster,
        ns,
        pod(
            "live",
            "sleep 3600",
            container={
                "readinessProbe": {
                    "exec": {"command": ["test", "-e", "/tmp/ready"]},
                    "periodSeconds": 1,
                },
                "livenessProbe": {
                    "exec": {"command": ["test", "!", "-e", "/tmp/die"]},
                    "periodSeconds": 1,
                    "failureThreshold": 1,
                },
            },
        ),
    )
    poll(lambda: phase(node_cluster, ns, "live") == "Running", what="running", timeout=30)
    node_cluster.kubectl("exec", "live", "-n", ns, "--", "touch", "/tmp/ready")
    poll(lambda: state(node_cluster, ns, "live").get("ready") is True, what="ready", timeout=15)
    node_cluster.kubectl("exec", "live", "-n", ns, "--", "rm", "/tmp/ready")
    poll(lambda: state(node_cluster, ns, "live").get("ready") is False, what="unready", timeout=15)
    node_cluster.kubectl("exec", "live", "-n", ns, "--", "touch", "/tmp/die")
    poll(
        lambda: state(node_cluster, ns, "live").get("restartCount", 0) >= 1,
        what="restart after liveness failure",
        timeout=30,
    )
    described = node_cluster.kubectl("describe", "pod", "live", "-n", ns).stdout
    assert "Liveness probe failed" in described
    assert "failed liveness probe, will be restarted" in described


def test_pre_stop_runs_within_the_grace_period(node_cluster: Cluster, ns: str) -> None:
    spec = pod(
        "stopper",
        "sleep 3600",
        terminationGracePeriodSeconds=15,
        volumes=[
            {
                "name": "out",
                "hostPath": {
                    "path": str(node_cluster.data_dir.parent / "prestop"),
                    "type": "DirectoryOrCreate",
                },
            }
        ],
        container={
            "volumeMounts": [{"name": "out", "mountPath": "/out"}],
            "lifecycle": {
                "preStop": {"exec": {"command": ["sh", "-c", "echo stopped > /out/mark"]}}
            },
        },
    )
    apply(node_cluster, ns, spec)
    poll(lambda: phase(node_cluster, ns, "stopper") == "Running", what="running", timeout=30)
    node_cluster.kubectl("delete", "pod", "stopper", "-n", ns, "--timeout=40s", timeout=60)
    assert (node_cluster.data_dir.parent / "prestop" / "mark").read_text() == "stopped\n"


def test_missing_image_shows_err_image_pull(node_cluster: Cluster, ns: str) -> None:
    apply(node_cluster, ns, pod("noimg", "true", container={"image": "no-such-image:1"}))

    def reason() -> str:
        return str(
            state(node_cluster, ns, "noimg").get("state", {}).get("waiting", {}).get("reason", "")
        )

    poll(lambda: reason() in ("ErrImagePull", "ImagePullBackOff"), what="pull failure", timeout=60)
    described = node_cluster.kubectl("describe", "pod", "noimg", "-n", ns).stdout
    assert 'Failed to pull image "no-such-image:1"' in described


def test_crash_loop_delays_grow(node_cluster: Cluster, ns: str) -> None:
    apply(node_cluster, ns, pod("grow", "exit 1"))

    def message() -> str:
        return str(
            state(node_cluster, ns, "grow").get("state", {}).get("waiting", {}).get("message", "")
        )

    poll(lambda: message().startswith("back-off 20s"), what="second back-off", timeout=60)
    assert state(node_cluster, ns, "grow")["restartCount"] >= 2


def test_attach_to_a_running_container(node_cluster: Cluster, ns: str) -> None:
    apply(node_cluster, ns, pod("tick", "while true; do echo tick; sleep 0.3; done"))
    poll(lambda: phase(node_cluster, ns, "tick") == "Running", what="running", timeout=30)
    proc = subprocess.Popen(
        ["kubectl", "attach", "tick", "-n", ns],
        env=node_cluster.env(),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    try:
        assert proc.stdout is not None
        deadline = time.monotonic() + 15
        seen = b""
        while time.monotonic() < deadline and b"tick" not in seen:
            seen += (
                proc.stdout.read1(4096) if hasattr(proc.stdout, "read1") else proc.stdout.read(4)
            )
        assert b"tick" in seen
    finally:
        proc.terminate()
        proc.wait(10)


def test_host_port_and_host_network(node_cluster: Cluster, ns: str) -> None:
    node = node_cluster.kubectl_json("get", "nodes")["items"][0]
    node_ip = next(a["address"] for a in node["status"]["addresses"] if a["type"] == "InternalIP")
    port = free_port()
    apply(
        node_cluster,
        ns,
        pod(
            "hp",
            "mkdir -p /www; echo via-host-port > /www/index.html; httpd -f -p 8080 -h /www",
            container={"ports": [{"containerPort": 8080, "hostPort": port}]},
        ),
    )
    apply(node_cluster, ns, pod("hn", "sleep 3600", hostNetwork=True))
    for name in ("hp", "hn"):
        poll(lambda name=name: phase(node_cluster, ns, name) == "Running", what=name, timeout=30)
    assert get(node_cluster, ns, "hn")["status"]["podIP"] == node_ip

    def fetch() -> bytes:
        try:
            with urllib.request.urlopen(f"http://{node_ip}:{port}/", timeout=2) as resp:
                return bytes(resp.read())
        except OSError:
            return b""

    assert poll(fetch, what="hostPort", timeout=15) == b"via-host-port\n"


def test_exec_with_a_terminal(node_cluster: Cluster, ns: str) -> None:
    apply(node_cluster, ns, pod("shell", "sleep 3600"))
    poll(lambda: phase(node_cluster, ns, "shell") == "Running", what="running", timeout=30)
    # `script` gives kubectl a terminal, as a user's shell would.
    command = f"kubectl exec -it shell -n {ns} -- sh -c 'tty; echo sum=$((20+22))'"
    res = subprocess.run(
        ["script", "-qec", command, "/dev/null"],
        env=node_cluster.env(),
        capture_output=True,
        text=True,
        timeout=30,
        input="",
    )
    assert res.returncode == 0, res.stdout + res.stderr
    assert "/dev/pts/" in res.stdout and "sum=42" in res.stdout

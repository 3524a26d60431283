"""Jobs and CronJobs on a real node, through kubectl."""

from __future__ import annotations

import json
from typing import Any

from tests.e2e.harness import Cluster, poll
from tests.e2e.node.workloads import IMAGE


def job(name: str, command: str, **spec: Any) -> dict[str, Any]:
    return {
        "apiVersion": "batch/v1",
        "kind": "Job",
        "metadata": {"name": name},
        "spec": {
            "template": {
                "spec": {
                    "restartPolicy": "Never",
                    "terminationGracePeriodSeconds": 1,
                    "containers": [
                        {"name": "main", "image": IMAGE, "command": ["sh", "-c", command]}
                    ],
                }
            },
            **spec,
        },
    }


def conditions(c: Cluster, ns: str, name: str) -> dict[str, dict[str, Any]]:
    j = c.kubectl_json("get", "job", name, "-n", ns)
    return {x["type"]: x for x in (j.get("status") or {}).get("conditions") or []}


def test_job_completes_and_shows_completions(node_cluster: Cluster, ns: str) -> None:
    c = node_cluster
    c.kubectl("create", "job", "ok", "-n", ns, f"--image={IMAGE}", "--", "true")
    c.kubectl("wait", "--for=condition=complete", "job/ok", "-n", ns, "--timeout=60s", timeout=90)
    row = c.kubectl("get", "job", "ok", "-n", ns, "--no-headers").stdout.split()
    assert row[:3] == ["ok", "Complete", "1/1"]
    described = c.kubectl("describe", "job", "ok", "-n", ns).stdout
    assert "SuccessfulCreate" in described and "Completed" in described


def test_failing_job_hits_the_backoff_limit(node_cluster: Cluster, ns: str) -> None:
    c = node_cluster
    c.kubectl("apply", "-n", ns, "-f", "-", input=json.dumps(job("bad", "exit 2", backoffLimit=0)))
    cond = poll(lambda: conditions(c, ns, "bad").get("Failed"), what="Failed condition", timeout=60)
    assert cond["reason"] == "BackoffLimitExceeded"
    assert cond["message"] == "Job has reached the specified backoff limit"


def test_indexed_job_gives_each_pod_its_index(node_cluster: Cluster, ns: str) -> None:
    c = node_cluster
    spec = job(
        "idx",
        "echo index=$JOB_COMPLETION_INDEX",
        completionMode="Indexed",
        completions=2,
        parallelism=2,
    )
    c.kubectl("apply", "-n", ns, "-f", "-", input=json.dumps(spec))
    c.kubectl("wait", "--for=condition=complete", "job/idx", "-n", ns, "--timeout=60s", timeout=90)
    pods = c.kubectl_json("get", "pods", "-n", ns, "-l", "job-name=idx")["items"]
    outputs = sorted(
        c.kubectl("logs", p["metadata"]["name"], "-n", ns).stdout.strip() for p in pods
    )
    assert outputs == ["index=0", "index=1"]
    assert c.kubectl_json("get", "job", "idx", "-n", ns)["status"]["completedIndexes"] == "0,1"


def test_finished_job_is_deleted_after_its_ttl(node_cluster: Cluster, ns: str) -> None:
    c = node_cluster
    c.kubectl(
        "apply",
        "-n",
        ns,
        "-f",
        "-",
        input=json.dumps(job("brief", "true", ttlSecondsAfterFinished=2)),
    )
    poll(
        lambda: c.kubectl("get", "job", "brief", "-n", ns, check=False).returncode != 0,
        what="job removed after its TTL",
        timeout=60,
    )


def test_cronjob_spawns_jobs(node_cluster: Cluster, ns: str) -> None:
    c = node_cluster
    c.kubectl(
        "create",
        "cronjob",
        "tick",
        "-n",
        ns,
        f"--image={IMAGE}",
        "--schedule=* * * * *",
        "--",
        "true",
    )
    jobs = poll(
        lambda: c.kubectl_json("get", "jobs", "-n", ns)["items"],
        what="a Job from the CronJob",
        timeout=75,
    )
    assert jobs[0]["metadata"]["name"].startswith("tick-")
    assert jobs[0]["metadata"]["ownerReferences"][0]["kind"] == "CronJob"
    poll(
        lambda: (
            c.kubectl_json("get", "cronjob", "tick", "-n", ns)
            .get("status", {})
            .get("lastScheduleTime")
        ),
        what="lastScheduleTime",
        timeout=20,
    )

"""batch/v1 defaulting and the Job strategy's selector generation."""

from __future__ import annotations

import copy
from typing import Any

from steersman.api.defaults import apply_defaults
from steersman.api.defaults.batch import generate_selector

POD = {"spec": {"containers": [{"name": "c", "image": "busybox"}], "restartPolicy": "Never"}}


def job(**spec: Any) -> dict[str, Any]:
    return {
        "kind": "Job",
        "metadata": {"name": "pi", "namespace": "default", "uid": "uid-1"},
        "spec": {"template": copy.deepcopy(POD), **spec},
    }


def defaulted(kind: str, o: dict[str, Any]) -> dict[str, Any]:
    apply_defaults("batch", kind, o)
    again = copy.deepcopy(o)
    apply_defaults("batch", kind, again)
    assert again == o, "defaulting must be idempotent"
    return o


def test_job_defaults() -> None:
    spec = defaulted("Job", job())["spec"]
    assert (spec["completions"], spec["parallelism"], spec["backoffLimit"]) == (1, 1, 6)
    assert spec["completionMode"] == "NonIndexed"
    assert spec["suspend"] is False
    assert spec["manualSelector"] is False
    assert spec["podReplacementPolicy"] == "TerminatingOrFailed"
    assert spec["template"]["spec"]["dnsPolicy"] == "ClusterFirst"


def test_parallelism_alone_leaves_completions_unset() -> None:
    spec = defaulted("Job", job(parallelism=3))["spec"]
    assert spec["parallelism"] == 3
    assert "completions" not in spec
    spec = defaulted("Job", job(completions=4))["spec"]
    assert (spec["completions"], spec["parallelism"]) == (4, 1)


def test_backoff_limit_per_index_lifts_the_global_limit() -> None:
    spec = defaulted("Job", job(backoffLimitPerIndex=1, completionMode="Indexed", completions=2))[
        "spec"
    ]
    assert spec["backoffLimit"] == 2**31 - 1


def test_pod_failure_policy_defaults() -> None:
    rules = [{"action": "Ignore", "onPodConditions": [{"type": "DisruptionTarget"}]}]
    spec = defaulted("Job", job(podFailurePolicy={"rules": rules}))["spec"]
    assert spec["podFailurePolicy"]["rules"][0]["onPodConditions"][0]["status"] == "True"
    assert spec["podReplacementPolicy"] == "Failed"


def test_job_labels_come_from_template() -> None:
    o = job()
    o["spec"]["template"]["metadata"] = {"labels": {"app": "pi"}}
    assert defaulted("Job", o)["metadata"]["labels"] == {"app": "pi"}
    o = job()
    o["metadata"]["labels"] = {"mine": "yes"}
    o["spec"]["template"]["metadata"] = {"labels": {"app": "pi"}}
    assert defaulted("Job", o)["metadata"]["labels"] == {"mine": "yes"}
    o = job()
    o["spec"]["template"]["metadata"] = {"labels": {}}
    assert "labels" not in defaulted("Job", o)["metadata"]


def test_generate_selector() -> None:
    o = job()
    generate_selector(o)
    assert o["spec"]["selector"] == {"matchLabels": {"batch.kubernetes.io/controller-uid": "uid-1"}}
    assert o["spec"]["template"]["metadata"]["labels"] == {
        "job-name": "pi",
        "batch.kubernetes.io/job-name": "pi",
        "controller-uid": "uid-1",
        "batch.kubernetes.io/controller-uid": "uid-1",
    }
    # Defaulting afterwards copies them onto the Job, as a stored Job shows.
    assert defaulted("Job", o)["metadata"]["labels"]["controller-uid"] == "uid-1"


def test_generate_selector_keeps_user_labels_and_respects_manual() -> None:
    o = job()
    o["spec"]["template"]["metadata"] = {"labels": {"job-name": "mine"}}
    generate_selector(o)
    assert o["spec"]["template"]["metadata"]["labels"]["job-name"] == "mine"
    manual = job(manualSelector=True, selector={"matchLabels": {"a": "b"}})
    generate_selector(manual)
    assert manual["spec"]["selector"] == {"matchLabels": {"a": "b"}}
    assert "metadata" not in manual["spec"]["template"]


def test_cron_job_defaults() -> None:
    cj = {
        "kind": "CronJob",
        "metadata": {"name": "c"},
        "spec": {
            "schedule": "* * * * *",
            "jobTemplate": {"spec": {"template": copy.deepcopy(POD)}},
        },
    }
    spec = defaulted("CronJob", cj)["spec"]
    assert spec["concurrencyPolicy"] == "Allow"
    assert spec["suspend"] is False
    assert (spec["successfulJobsHistoryLimit"], spec["failedJobsHistoryLimit"]) == (3, 1)
    job_spec = spec["jobTemplate"]["spec"]
    # Job-level defaults are not applied to a template, only pod defaults.
    assert "backoffLimit" not in job_spec and "parallelism" not in job_spec
    assert job_spec["template"]["spec"]["schedulerName"] == "default-scheduler"

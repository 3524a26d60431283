"""Defaulting of batch/v1 kinds, as Kubernetes' pkg/apis/batch/v1 SetDefaults_* functions do,
plus the Job strategy's selector generation.

Invariants:
- Defaulters mutate in place, fill only what is unset, and are idempotent.
- Feature gates at their v1.36 defaults: JobPodReplacementPolicy is GA, so every Job gets a
  `podReplacementPolicy` (Failed with a podFailurePolicy, else TerminatingOrFailed).
- A Job whose own labels are empty takes its template's labels. Kubernetes defaults again
  when it reads a Job back from storage, after the strategy added the generated labels, so a
  stored Job carries `controller-uid`/`job-name` labels; defaulting after
  `generate_selector` (as the registry does) gives the same result.
- A CronJob's jobTemplate gets pod-template defaults and pod-failure-policy defaults only,
  never Job-level ones (parallelism, backoffLimit, ...), as in Kubernetes.
Pure data: no I/O.
"""

from __future__ import annotations

from typing import Any

from steersman.api.defaults import register
from steersman.api.defaults.core import default_pod_template

Obj = dict[str, Any]

__all__ = ["default_cron_job", "default_job", "generate_selector"]

CONTROLLER_UID_LABEL = "batch.kubernetes.io/controller-uid"
JOB_NAME_LABEL = "batch.kubernetes.io/job-name"
LEGACY_CONTROLLER_UID_LABEL = "controller-uid"
LEGACY_JOB_NAME_LABEL = "job-name"
MAX_INT32 = 2**31 - 1


def _sub(parent: Obj, field: str) -> Obj:
    value = parent.get(field)
    if not isinstance(value, dict):
        value = parent[field] = {}
    return value


def _default_pod_failure_policy(spec: Obj) -> None:
    """SetDefaults_PodFailurePolicyOnPodConditionsPattern: status True."""
    policy = spec.get("podFailurePolicy")
    if not isinstance(policy, dict):
        return
    for rule in policy.get("rules") or []:
        for pattern in (rule.get("onPodConditions") or []) if isinstance(rule, dict) else []:
            if isinstance(pattern, dict) and not pattern.get("status"):
                pattern["status"] = "True"


def default_job(job: Obj) -> None:
    """SetDefaults_Job and the generated defaults of its template."""
    spec = _sub(job, "spec")
    if spec.get("completions") is None and spec.get("parallelism") is None:
        spec["completions"] = 1
        spec["parallelism"] = 1
    if spec.get("parallelism") is None:
        spec["parallelism"] = 1
    if spec.get("backoffLimit") is None:
        # With a per-index limit the global one is effectively off.
        spec["backoffLimit"] = MAX_INT32 if spec.get("backoffLimitPerIndex") is not None else 6
    template = _sub(spec, "template")
    labels = (template.get("metadata") or {}).get("labels")
    meta = _sub(job, "metadata")
    # An empty map would not survive serialization in Go, so only non-empty labels count.
    if isinstance(labels, dict) and labels and not meta.get("labels"):
        meta["labels"] = dict(labels)
    if spec.get("completionMode") is None:
        spec["completionMode"] = "NonIndexed"
    if spec.get("suspend") is None:
        spec["suspend"] = False
    if spec.get("podReplacementPolicy") is None:
        has_pfp = isinstance(spec.get("podFailurePolicy"), dict)
        spec["podReplacementPolicy"] = "Failed" if has_pfp else "TerminatingOrFailed"
    if spec.get("manualSelector") is None:
        spec["manualSelector"] = False
    _default_pod_failure_policy(spec)
    default_pod_template(template)


def default_cron_job(cron_job: Obj) -> None:
    """SetDefaults_CronJob and the generated defaults of its job template."""
    spec = _sub(cron_job, "spec")
    if not spec.get("concurrencyPolicy"):
        spec["concurrencyPolicy"] = "Allow"
    if spec.get("suspend") is None:
        spec["suspend"] = False
    if spec.get("successfulJobsHistoryLimit") is None:
        spec["successfulJobsHistoryLimit"] = 3
    if spec.get("failedJobsHistoryLimit") is None:
        spec["failedJobsHistoryLimit"] = 1
    job_spec = _sub(_sub(spec, "jobTemplate"), "spec")
    _default_pod_failure_policy(job_spec)
    default_pod_template(_sub(job_spec, "template"))


def generate_selector(job: Obj) -> None:
    """The Job strategy's PrepareForCreate step (needs metadata.uid): unless
    `manualSelector` is true, label the template with the job's name and uid (both the
    `batch.kubernetes.io/` and the legacy keys) and select on the uid. Labels the user set
    are kept, so a conflicting one fails validation instead of being overwritten."""
    spec = _sub(job, "spec")
    if spec.get("manualSelector") is True:
        return
    meta = job.get("metadata") or {}
    uid, name = str(meta.get("uid") or ""), str(meta.get("name") or "")
    labels = _sub(_sub(_sub(spec, "template"), "metadata"), "labels")
    for label in (LEGACY_JOB_NAME_LABEL, JOB_NAME_LABEL):
        labels.setdefault(label, name)
    for label in (LEGACY_CONTROLLER_UID_LABEL, CONTROLLER_UID_LABEL):
        labels.setdefault(label, uid)
    selector = _sub(spec, "selector")
    _sub(selector, "matchLabels").setdefault(CONTROLLER_UID_LABEL, uid)


register("batch", "Job", default_job)
register("batch", "CronJob", default_cron_job)

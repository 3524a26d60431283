"""batch/v1 validation: Job (spec, generated selector, update rules, status rules) and CronJob
(schedule parser, time zones, job template), with Kubernetes' exact messages."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from steersman.api.defaults import apply_defaults
from steersman.api.defaults.batch import generate_selector
from steersman.api.validation import validator_for
from steersman.api.validation.batch import parse_cron_schedule, validate_indexes_format

UID = "8f1c1f40-0000-4000-8000-000000000001"


def job(**spec: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "template": {
            "spec": {"containers": [{"name": "c", "image": "perl"}], "restartPolicy": "Never"}
        }
    }
    body.update(spec)
    return {
        "kind": "Job",
        "metadata": {"name": "pi", "namespace": "default", "uid": UID},
        "spec": body,
    }


def create(obj: dict[str, Any]) -> list[str]:
    """What the API server does: the strategy's selector generation, defaults, validation."""
    if obj["kind"] == "Job":
        generate_selector(obj)
    apply_defaults("batch", obj["kind"], obj)
    v = validator_for("batch", obj["kind"])
    assert v is not None
    return [e.message() for e in v.validate(obj)]


def update(new: dict[str, Any], old: dict[str, Any]) -> list[str]:
    apply_defaults("batch", new["kind"], new)
    v = validator_for("batch", new["kind"])
    assert v is not None
    return [e.message() for e in v.validate_update(new, old)]


def created(obj: dict[str, Any]) -> dict[str, Any]:
    assert create(obj) == []
    return obj


# ---------------------------------------------------------------------------
# Job create


def test_valid_job_gets_generated_selector() -> None:
    obj = created(job())
    assert obj["spec"]["selector"] == {"matchLabels": {"batch.kubernetes.io/controller-uid": UID}}


def test_restart_policy_always_is_rejected_as_required() -> None:
    obj = job()
    del obj["spec"]["template"]["spec"]["restartPolicy"]  # defaults to Always
    assert create(obj) == [
        'spec.template.spec.restartPolicy: Required value: valid values: "OnFailure", "Never"'
    ]


def test_negative_counts() -> None:
    obj = job(
        parallelism=-1,
        completions=-2,
        backoffLimit=-3,
        activeDeadlineSeconds=-4,
        ttlSecondsAfterFinished=-5,
    )
    assert create(obj) == [
        "spec.parallelism: Invalid value: -1: must be greater than or equal to 0",
        "spec.completions: Invalid value: -2: must be greater than or equal to 0",
        "spec.activeDeadlineSeconds: Invalid value: -4: must be greater than or equal to 0",
        "spec.backoffLimit: Invalid value: -3: must be greater than or equal to 0",
        "spec.ttlSecondsAfterFinished: Invalid value: -5: must be greater than or equal to 0",
    ]


def test_completion_mode() -> None:
    assert create(job(completionMode="Sometimes")) == [
        'spec.completionMode: Unsupported value: "Sometimes": supported values: "NonIndexed", "Indexed"'
    ]
    assert create(job(completionMode="Indexed", parallelism=2)) == [
        "spec.completions: Required value: when completion mode is Indexed"
    ]
    assert create(job(backoffLimitPerIndex=1)) == [
        "spec.backoffLimitPerIndex: Invalid value: 1: requires indexed completion mode"
    ]
    assert create(job(maxFailedIndexes=1)) == [
        "spec.backoffLimitPerIndex: Required value: when maxFailedIndexes is specified",
        "spec.maxFailedIndexes: Invalid value: 1: requires indexed completion mode",
    ]


def test_indexed_job_hostnames_must_be_dns_labels() -> None:
    obj = job(completionMode="Indexed", completions=10)
    obj["metadata"]["name"] = "a" * 62
    assert create(obj) == [
        f'metadata.name: Invalid value: "{"a" * 62}": will not able to create pod with invalid DNS label: '
        f"{'a' * 62}-9"
    ]


def test_manual_selector_must_match_template() -> None:
    obj = job(manualSelector=True, selector={"matchLabels": {"app": "x"}})
    assert create(obj) == [
        "spec.template.metadata.labels: Invalid value: map[string]string(nil): "
        "`selector` does not match template `labels`"
    ]
    obj = job(manualSelector=True)
    assert create(obj) == [
        "spec.selector: Required value",
        "spec.template.metadata.labels: Invalid value: map[string]string(nil): "
        "`selector` does not match template `labels`",
    ]


def test_conflicting_user_labels_fail_generated_selector_checks() -> None:
    obj = job()
    obj["spec"]["template"]["metadata"] = {"labels": {"controller-uid": "other"}}
    assert create(obj) == [
        f"spec.template.metadata.labels[controller-uid]: Invalid value: map[string]string{{"
        f'"batch.kubernetes.io/controller-uid":"{UID}", "batch.kubernetes.io/job-name":"pi", '
        f'"controller-uid":"other", "job-name":"pi"}}: must be \'{UID}\''
    ]


def test_user_selector_without_manual_flag_is_not_auto_generated() -> None:
    obj = job(selector={"matchLabels": {"batch.kubernetes.io/controller-uid": "other"}})
    errs = create(obj)
    assert errs[0] == (
        "spec.selector: Invalid value: v1.LabelSelector{MatchLabels:map[string]string{"
        '"batch.kubernetes.io/controller-uid":"other"}, '
        "MatchExpressions:[]v1.LabelSelectorRequirement(nil)}: `selector` not auto-generated"
    )
    assert errs[1].startswith("spec.template.metadata.labels: Invalid value: map[string]string{")


def test_pod_failure_policy() -> None:
    rules = [
        {"action": "", "onExitCodes": {"operator": "In", "values": [0, 2, 1, 1]}},
        {"action": "Explode", "onPodConditions": [{"type": "DisruptionTarget", "status": "Maybe"}]},
        {
            "action": "FailIndex",
            "onExitCodes": {"containerName": "nope", "operator": "", "values": [1]},
        },
        {"action": "Ignore"},
    ]
    obj = job(podFailurePolicy={"rules": rules})
    assert create(obj) == [
        'spec.podFailurePolicy.rules[0].action: Required value: valid values: ["Count" "FailIndex" "FailJob" "Ignore"]',
        "spec.podFailurePolicy.rules[0].onExitCodes.values[0]: Invalid value: 0: must not be 0 for the In operator",
        "spec.podFailurePolicy.rules[0].onExitCodes.values[3]: Duplicate value: 1",
        "spec.podFailurePolicy.rules[0].onExitCodes.values: Invalid value: []int32{0, 2, 1, 1}: must be ordered",
        'spec.podFailurePolicy.rules[1].action: Unsupported value: "Explode": supported values: '
        '"Count", "FailIndex", "FailJob", "Ignore"',
        'spec.podFailurePolicy.rules[1].onPodConditions[0].status: Unsupported value: "Maybe": '
        'supported values: "False", "True", "Unknown"',
        'spec.podFailurePolicy.rules[2].action: Invalid value: "FailIndex": requires the backoffLimitPerIndex '
        "to be set",
        'spec.podFailurePolicy.rules[2].onExitCodes.operator: Required value: valid values: ["In" "NotIn"]',
        'spec.podFailurePolicy.rules[2].onExitCodes.containerName: Invalid value: "nope": must be one of the '
        "container or initContainer names in the pod template",
        "spec.podFailurePolicy.rules[3]: Invalid value: specifying one of OnExitCodes and OnPodConditions "
        "is required",
    ]
    assert obj["spec"]["podReplacementPolicy"] == "Failed"


def test_pod_failure_policy_needs_never_and_failed_replacement() -> None:
    rules = [{"action": "FailJob", "onPodConditions": [{"type": "DisruptionTarget"}]}]
    obj = job(podFailurePolicy={"rules": rules}, podReplacementPolicy="TerminatingOrFailed")
    obj["spec"]["template"]["spec"]["restartPolicy"] = "OnFailure"
    assert create(obj) == [
        'spec.podReplacementPolicy: Unsupported value: "TerminatingOrFailed": supported values: "Failed"',
        'spec.template.spec.restartPolicy: Invalid value: "OnFailure": only "Never" is supported when '
        "podFailurePolicy is specified",
    ]


def test_success_policy() -> None:
    policy = {"rules": [{"succeededIndexes": "0-2,1", "succeededCount": 9}, {}]}
    obj = job(completionMode="Indexed", completions=5, parallelism=5, successPolicy=policy)
    assert create(obj) == [
        'spec.successPolicy.rules[0].succeededIndexes: Invalid value: "0-2,1": error parsing '
        "succeededIndexes: non-increasing order, previous: 2, current: 1",
        "spec.successPolicy.rules[0].succeededCount: Invalid value: 9: must be less than or equal to 5 "
        "(the number of specified completions)",
        "spec.successPolicy.rules[0].succeededCount: Invalid value: 9: must be less than or equal to 0 "
        "(the number of indexes in the specified succeededIndexes field)",
        "spec.successPolicy.rules[1]: Required value: at least one of succeededCount or succeededIndexes "
        "must be specified",
    ]
    assert create(job(successPolicy={"rules": []})) == [
        "spec.successPolicy: Invalid value: batch.SuccessPolicy{Rules:[]batch.SuccessPolicyRule{}}: "
        "requires indexed completion mode"
    ]


def test_managed_by() -> None:
    assert create(job(managedBy="kueue")) == [
        'spec.managedBy: Invalid value: "kueue": must be a domain-prefixed path (such as "acme.io/foo")'
    ]
    assert create(job(managedBy="kueue.x-k8s.io/multikueue")) == []


# ---------------------------------------------------------------------------
# Job update


def test_job_update_immutables() -> None:
    old = created(job(completions=2))
    new = copy.deepcopy(old)
    new["spec"]["completions"] = 3
    new["spec"]["completionMode"] = "Indexed"
    new["spec"]["template"]["spec"]["containers"][0]["image"] = "perl:2"
    errs = update(new, old)
    assert (
        "spec.completions: Invalid value: 3: can only be modified in tandem with spec.parallelism"
        in errs
    )
    assert "spec.template: Invalid value: core.PodTemplateSpec{...}: field is immutable" in errs
    assert 'spec.completionMode: Invalid value: "Indexed": field is immutable' in errs


def test_job_update_reports_spec_errors_as_create_and_update_do() -> None:
    old = created(job())
    new = copy.deepcopy(old)
    new["spec"]["parallelism"] = -1
    # ValidateJob and ValidateJobUpdate both validate the spec, as upstream.
    assert (
        update(new, old)
        == ["spec.parallelism: Invalid value: -1: must be greater than or equal to 0"] * 2
    )


def test_suspended_never_started_job_may_change_scheduling_directives() -> None:
    old = created(job(suspend=True))
    new = copy.deepcopy(old)
    new["spec"]["template"]["spec"]["nodeSelector"] = {"zone": "a"}
    new["spec"]["template"]["metadata"]["annotations"] = {"x": "y"}
    assert update(new, old) == []
    old["status"] = {"startTime": "2024-01-01T00:00:00Z"}
    assert update(new, old) == [
        "spec.template: Invalid value: core.PodTemplateSpec{...}: field is immutable"
    ]


def test_parallelism_is_mutable_and_selector_is_not() -> None:
    old = created(job())
    new = copy.deepcopy(old)
    new["spec"]["parallelism"] = 5
    assert update(new, old) == []
    new["spec"]["selector"]["matchLabels"]["extra"] = "x"
    assert update(new, old)[-1].endswith("field is immutable")


# ---------------------------------------------------------------------------
# Job status


def test_job_status_rules() -> None:
    old = created(job())
    old["status"] = {"startTime": "2024-01-01T00:00:00Z", "active": 1, "failed": 2}
    new = copy.deepcopy(old)
    new["status"] = {
        "active": 1,
        "failed": 1,
        "ready": 3,
        "conditions": [{"type": "Complete", "status": "True"}],
    }
    assert update(new, old) == [
        "status.completionTime: Required value: completionTime is required for Complete jobs",
        "status.conditions: Invalid value: cannot set Complete=True condition without the "
        "SuccessCriteriaMet=true condition",
        "status.active: Invalid value: 1: active>0 is invalid for finished job",
        "status.startTime: Required value: startTime is required for finished job",
        "status.ready: Invalid value: 3: cannot set more ready pods than active",
        "status.failed: Invalid value: 1: cannot decrease the failed counter",
        "status.startTime: Required value: startTime cannot be removed for unsuspended job",
    ]


def test_job_completion_time_before_start_time() -> None:
    old = created(job())
    old["status"] = {"startTime": "2024-01-02T00:00:00Z"}
    new = copy.deepcopy(old)
    new["status"] = {
        "startTime": "2024-01-02T00:00:00Z",
        "completionTime": "2024-01-01T00:00:00Z",
        "succeeded": 1,
        "conditions": [
            {"type": "SuccessCriteriaMet", "status": "True"},
            {"type": "Complete", "status": "True"},
        ],
    }
    assert update(new, old) == [
        "status.completionTime: Invalid value: 2024-01-01 00:00:00 +0000 UTC: completionTime cannot be "
        "set before startTime"
    ]


def test_job_completed_indexes() -> None:
    old = created(job(completionMode="Indexed", completions=3, parallelism=3))
    new = copy.deepcopy(old)
    new["status"] = {"completedIndexes": "0,5"}
    assert update(new, old) == [
        'status.completedIndexes: Invalid value: "0,5": error parsing completedIndexes: too large index: "5"'
    ]


@pytest.mark.parametrize(
    ("text", "result"),
    [("", 0), ("0", 1), ("0-2,4", 4), ("1,3-4", 3)],
)
def test_indexes_format(text: str, result: int) -> None:
    assert validate_indexes_format(text, 5) == result


def test_indexes_format_errors() -> None:
    with pytest.raises(ValueError, match='cannot convert string to integer for index: "a"'):
        validate_indexes_format("a", 5)
    with pytest.raises(ValueError, match="at most two parts"):
        validate_indexes_format("1-2-3", 5)


# ---------------------------------------------------------------------------
# CronJob


def cron_job(schedule: str = "*/1 * * * *", **spec: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "schedule": schedule,
        "jobTemplate": {
            "spec": {
                "template": {
                    "spec": {
                        "containers": [{"name": "c", "image": "x"}],
                        "restartPolicy": "OnFailure",
                    }
                }
            }
        },
    }
    body.update(spec)
    return {"kind": "CronJob", "metadata": {"name": "hello", "namespace": "default"}, "spec": body}


@pytest.mark.parametrize(
    ("schedule", "error"),
    [
        ("*/5 * * * *", None),
        ("0 0 1 jan-mar mon-fri", None),
        ("@hourly", None),
        ("@every 90s", None),
        ("0 0 * *", "expected exactly 5 fields, found 4: [0 0 * *]"),
        ("60 * * * *", "end of range (60) above maximum (59): 60"),
        ("* * 0 * *", "beginning of range (0) below minimum (1): 0"),
        ("5-1 * * * *", "beginning of range (5) beyond end of range (1): 5-1"),
        ("*/0 * * * *", "step of range should be a positive number: */0"),
        ("1-2-3 * * * *", "too many hyphens: 1-2-3"),
        ("1/2/3 * * * *", "too many slashes: 1/2/3"),
        ("x * * * *", 'failed to parse int from x: strconv.Atoi: parsing "x": invalid syntax'),
        ("-1 * * * *", 'failed to parse int from : strconv.Atoi: parsing "": invalid syntax'),
        ("@fortnightly", "unrecognized descriptor: @fortnightly"),
        ("@every 5", 'failed to parse duration @every 5: time: missing unit in duration "5"'),
        ("", "empty spec string"),
    ],
)
def test_cron_parser(schedule: str, error: str | None) -> None:
    assert parse_cron_schedule(schedule) == error


def test_cron_job_schedule_errors() -> None:
    assert create(cron_job("")) == ["spec.schedule: Required value"]
    assert create(cron_job("61 * * * *")) == [
        'spec.schedule: Invalid value: "61 * * * *": end of range (61) above maximum (59): 61'
    ]
    assert create(cron_job("CRON_TZ=UTC 0 * * * *")) == [
        'spec.schedule: Invalid value: "CRON_TZ=UTC 0 * * * *": cannot use TZ or CRON_TZ in schedule, '
        "use timeZone field instead"
    ]


def test_cron_job_tz_kept_on_update_but_not_with_time_zone() -> None:
    old = cron_job("TZ=UTC 0 * * * *")
    apply_defaults("batch", "CronJob", old)
    new = copy.deepcopy(old)
    assert update(new, old) == []
    new["spec"]["timeZone"] = "Etc/UTC"
    assert update(new, old) == [
        'spec.schedule: Invalid value: "TZ=UTC 0 * * * *": cannot use both timeZone field and TZ or '
        "CRON_TZ in schedule"
    ]


def test_cron_job_time_zone() -> None:
    assert create(cron_job(timeZone="Europe/Berlin")) == []
    assert create(cron_job(timeZone="Mars/Olympus_Mons")) == [
        'spec.timeZone: Invalid value: "Mars/Olympus_Mons": unknown time zone Mars/Olympus_Mons'
    ]
    assert create(cron_job(timeZone="")) == [
        'spec.timeZone: Invalid value: "": timeZone must be nil or non-empty string'
    ]
    assert create(cron_job(timeZone="Local")) == [
        'spec.timeZone: Invalid value: "Local": timeZone must be an explicit time zone as defined in '
        "https://www.iana.org/time-zones"
    ]


def test_cron_job_spec_rules() -> None:
    obj = cron_job(
        concurrencyPolicy="Sometimes", startingDeadlineSeconds=-1, successfulJobsHistoryLimit=-1
    )
    obj["spec"]["jobTemplate"]["spec"].update(
        selector={"matchLabels": {"a": "b"}}, manualSelector=True
    )
    obj["metadata"]["name"] = "n" * 53
    assert create(obj) == [
        "spec.startingDeadlineSeconds: Invalid value: -1: must be greater than or equal to 0",
        'spec.concurrencyPolicy: Unsupported value: "Sometimes": supported values: "Allow", "Forbid", "Replace"',
        "spec.jobTemplate.spec.selector: Invalid value: v1.LabelSelector{MatchLabels:map[string]string"
        '{"a":"b"}, MatchExpressions:[]v1.LabelSelectorRequirement(nil)}: `selector` will be auto-generated',
        'spec.jobTemplate.spec.manualSelector: Unsupported value: true: supported values: "nil", "false"',
        "spec.successfulJobsHistoryLimit: Invalid value: -1: must be greater than or equal to 0",
        f'metadata.name: Invalid value: "{"n" * 53}": must be no more than 52 characters',
    ]


def test_cron_job_template_restart_policy() -> None:
    obj = cron_job()
    del obj["spec"]["jobTemplate"]["spec"]["template"]["spec"]["restartPolicy"]
    assert create(obj) == [
        'spec.jobTemplate.spec.template.spec.restartPolicy: Required value: valid values: "OnFailure", "Never"'
    ]

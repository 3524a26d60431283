"""A Job's pod failure policy and success policy (Kubernetes' pod_failure_policy.go and
success_policy.go in pkg/controller/job).

Invariants:
- Rules are tried in order; the first rule that matches a failed pod decides. A rule matches on
  exit codes (a terminated, non-zero container or init container, optionally by name) or on pod
  conditions (type and status).
- `match_pod_failure_policy` returns (job failure message, whether the failure counts towards
  the backoff limits, the action taken); no policy or no matching rule counts the failure.
- `match_success_policy` reports the first rule met by the succeeded indexes, with Kubernetes'
  message "Matched rules at index N".
Pure functions: no I/O.
"""

from __future__ import annotations

from typing import Any

from steersman.controllers import job_indexes
from steersman.controllers.job_indexes import Interval

Obj = dict[str, Any]

FAIL_JOB = "FailJob"
FAIL_INDEX = "FailIndex"
IGNORE = "Ignore"
COUNT = "Count"


def _exit_code_matches(exit_code: int, requirement: Obj) -> bool:
    values = requirement.get("values") or []
    operator = requirement.get("operator")
    if operator == "In":
        return exit_code in values
    if operator == "NotIn":
        return exit_code not in values
    return False


def _matching_container(statuses: list[Obj], requirement: Obj) -> Obj | None:
    name = requirement.get("containerName")
    for status in statuses:
        terminated = (status.get("state") or {}).get("terminated")
        if terminated is None:
            continue  # still terminating: no exit code to match yet
        if name is not None and name != status.get("name"):
            continue
        code = int(terminated.get("exitCode") or 0)
        if code != 0 and _exit_code_matches(code, requirement):
            return status
    return None


def _match_on_exit_codes(pod_status: Obj, requirement: Obj) -> Obj | None:
    return _matching_container(
        pod_status.get("containerStatuses") or [], requirement
    ) or _matching_container(pod_status.get("initContainerStatuses") or [], requirement)


def _match_on_pod_conditions(pod_status: Obj, patterns: list[Obj]) -> Obj | None:
    for condition in pod_status.get("conditions") or []:
        for pattern in patterns:
            if condition.get("type") == pattern.get("type") and condition.get(
                "status"
            ) == pattern.get("status"):
                return condition
    return None


def match_pod_failure_policy(policy: Obj | None, pod: Obj) -> tuple[str | None, bool, str | None]:
    if policy is None:
        return None, True, None
    status = pod.get("status") or {}
    meta = pod.get("metadata") or {}
    for index, rule in enumerate(policy.get("rules") or []):
        action = rule.get("action")
        on_exit_codes = rule.get("onExitCodes")
        if on_exit_codes is not None:
            container = _match_on_exit_codes(status, on_exit_codes)
            if container is None:
                continue
            if action == FAIL_JOB:
                code = container["state"]["terminated"].get("exitCode")
                message = (
                    f"Container {container.get('name', '')} for pod "
                    f"{meta.get('namespace', '')}/{meta.get('name', '')} failed with exit code "
                    f"{code} matching {action} rule at index {index}"
                )
                return message, True, FAIL_JOB
        elif rule.get("onPodConditions") is not None:
            condition = _match_on_pod_conditions(status, rule["onPodConditions"])
            if condition is None:
                continue
            if action == FAIL_JOB:
                message = (
                    f"Pod {meta.get('namespace', '')}/{meta.get('name', '')} has condition "
                    f"{condition.get('type', '')} matching {action} rule at index {index}"
                )
                return message, True, FAIL_JOB
        else:
            continue
        if action == IGNORE:
            return None, False, IGNORE
        if action in (FAIL_INDEX, COUNT):
            return None, True, action
        # An unknown action matches nothing; the next rule is tried, as in Go's switch.
    return None, True, None


def _match_succeeded_indexes_rule(
    rule_indexes: list[Interval], succeeded: list[Interval], succeeded_count: int | None
) -> bool:
    contains = 0
    r = s = 0
    while r < len(rule_indexes) and s < len(succeeded):
        overlap = (
            min(rule_indexes[r][1], succeeded[s][1]) - max(rule_indexes[r][0], succeeded[s][0]) + 1
        )
        if overlap > 0:
            contains += overlap
        if succeeded[s][1] < rule_indexes[r][1]:
            s += 1
        elif succeeded[s][1] > rule_indexes[r][1]:
            r += 1
        else:
            s += 1
            r += 1
    return contains == job_indexes.total(rule_indexes) or (
        succeeded_count is not None and contains >= succeeded_count
    )


def match_success_policy(
    policy: Obj | None, completions: int, succeeded: list[Interval]
) -> tuple[str, bool]:
    if policy is None or not succeeded:
        return "", False
    for index, rule in enumerate(policy.get("rules") or []):
        count = rule.get("succeededCount")
        if rule.get("succeededIndexes") is not None:
            required = job_indexes.parse_indexes(rule["succeededIndexes"], completions)
            if not required:
                continue
            if _match_succeeded_indexes_rule(required, succeeded, count):
                return f"Matched rules at index {index}", True
        elif count is not None and job_indexes.total(succeeded) >= count:
            return f"Matched rules at index {index}", True
    return "", False

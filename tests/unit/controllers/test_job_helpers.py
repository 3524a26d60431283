"""Pure helpers of the Job controller: index intervals, pod failure and success policies,
pod-failure back-off, removal order."""

from __future__ import annotations

import datetime
from typing import Any

import pytest

from steersman.controllers import job_indexes as ji
from steersman.controllers.job_backoff import BackoffStore, remaining_time
from steersman.controllers.job_pods import active_pods_for_removal
from steersman.controllers.job_policies import match_pod_failure_policy, match_success_policy
from steersman.controllers.job_status import status_for_write

UTC = datetime.UTC


@pytest.mark.parametrize(
    ("text", "completions", "intervals", "formatted"),
    [
        ("", 5, [], ""),
        ("0-2,4", 5, [(0, 2), (4, 4)], "0-2,4"),
        ("0,1,2", 5, [(0, 2)], "0-2"),
        ("3-9", 5, [(3, 4)], "3,4"),  # cut at completions
        ("1,x,3-y,4", 6, [(1, 1), (4, 4)], "1,4"),  # corrupt parts skipped
        ("2,7", 5, [(2, 2)], "2"),
    ],
)
def test_index_intervals(text: str, completions: int, intervals: Any, formatted: str) -> None:
    parsed = ji.parse_indexes(text, completions)
    assert parsed == intervals
    assert ji.format_indexes(parsed) == formatted


def test_interval_operations() -> None:
    merged = ji.with_ordered_indexes([(0, 2), (6, 6)], [3, 5, 9])
    assert merged == [(0, 3), (5, 6), (9, 9)]
    assert ji.total(merged) == 7
    assert [i for i in range(11) if ji.has(merged, i)] == [0, 1, 2, 3, 5, 6, 9]
    assert ji.first_pending_indexes(3, 10, merged) == [4, 7, 8]
    assert ji.first_pending_indexes(5, 5, [(0, 1)]) == [2, 3, 4]
    assert ji.pod_generate_name_with_index("j" * 60, 12) == "j" * 54 + "-12-"


def failed_pod(exit_code: int, *conditions: dict[str, str], name: str = "p") -> dict[str, Any]:
    return {
        "metadata": {"name": name, "namespace": "ns"},
        "status": {
            "phase": "Failed",
            "conditions": list(conditions),
            "containerStatuses": [
                {"name": "main", "state": {"terminated": {"exitCode": exit_code}}}
            ],
        },
    }


POLICY = {
    "rules": [
        {"action": "Ignore", "onPodConditions": [{"type": "DisruptionTarget", "status": "True"}]},
        {
            "action": "FailJob",
            "onExitCodes": {"containerName": "main", "operator": "In", "values": [42]},
        },
        {"action": "Count", "onExitCodes": {"operator": "NotIn", "values": [1, 2]}},
        {"action": "FailIndex", "onExitCodes": {"operator": "In", "values": [2]}},
    ]
}


def test_pod_failure_policy_rules_in_order() -> None:
    disrupted = {"type": "DisruptionTarget", "status": "True"}
    assert match_pod_failure_policy(POLICY, failed_pod(42, disrupted)) == (None, False, "Ignore")
    assert match_pod_failure_policy(POLICY, failed_pod(42)) == (
        "Container main for pod ns/p failed with exit code 42 matching FailJob rule at index 1",
        True,
        "FailJob",
    )
    assert match_pod_failure_policy(POLICY, failed_pod(7)) == (None, True, "Count")
    assert match_pod_failure_policy(POLICY, failed_pod(2)) == (None, True, "FailIndex")
    assert match_pod_failure_policy(POLICY, failed_pod(1)) == (None, True, None)  # no rule
    assert match_pod_failure_policy(None, failed_pod(42)) == (None, True, None)
    condition_rule = {
        "rules": [{"action": "FailJob", "onPodConditions": [{"type": "X", "status": "True"}]}]
    }
    assert match_pod_failure_policy(condition_rule, failed_pod(1, {"type": "X", "status": "True"}))[
        0
    ] == ("Pod ns/p has condition X matching FailJob rule at index 0")


def test_success_policy() -> None:
    policy = {"rules": [{"succeededIndexes": "0-2", "succeededCount": 2}, {"succeededCount": 4}]}
    assert match_success_policy(policy, 10, [(0, 0)]) == ("", False)
    assert match_success_policy(policy, 10, [(1, 2)]) == ("Matched rules at index 0", True)
    assert match_success_policy(policy, 10, [(5, 8)]) == ("Matched rules at index 1", True)
    assert match_success_policy(None, 10, [(0, 9)]) == ("", False)


def finished_pod(phase: str, seconds: int) -> dict[str, Any]:
    finished = datetime.datetime(2024, 1, 1, 0, 0, seconds, tzinfo=UTC)
    return {
        "metadata": {"name": f"p{seconds}"},
        "status": {
            "phase": phase,
            "containerStatuses": [
                {"state": {"terminated": {"finishedAt": finished.strftime("%Y-%m-%dT%H:%M:%SZ")}}}
            ],
        },
    }


def test_backoff_records_and_delays() -> None:
    store = BackoffStore()
    record = store.new_record("ns/j", [], [finished_pod("Failed", 1), finished_pod("Failed", 3)])
    assert record.failures_after_last_success == 2
    assert record.last_failure_time == datetime.datetime(2024, 1, 1, 0, 0, 3, tzinfo=UTC)
    store.update(record)
    # A success after the failures resets; failures after the success still count.
    later = store.new_record("ns/j", [finished_pod("Succeeded", 5)], [finished_pod("Failed", 7)])
    assert later.failures_after_last_success == 1
    assert (
        store.new_record("ns/j", [finished_pod("Succeeded", 9)], []).failures_after_last_success
        == 0
    )
    now = datetime.datetime(2024, 1, 1, 0, 0, 10, tzinfo=UTC)
    last = datetime.datetime(2024, 1, 1, 0, 0, 5, tzinfo=UTC)
    assert remaining_time(now, 10, 600, 1, last) == 5  # 10 s after the first failure
    assert remaining_time(now, 10, 600, 3, last) == 35  # 40 s after the third
    assert remaining_time(now, 10, 600, 20, last) == 595  # capped
    assert remaining_time(now, 10, 600, 0, None) == 0


def active_pod(
    name: str,
    *,
    node: str = "",
    phase: str = "Pending",
    ready: bool = False,
    index: str | None = None,
) -> dict[str, Any]:
    annotations = {ji.COMPLETION_INDEX_ANNOTATION: index} if index is not None else {}
    conditions = [{"type": "Ready", "status": "True" if ready else "False"}]
    return {
        "metadata": {
            "name": name,
            "annotations": annotations,
            "creationTimestamp": "2024-01-01T00:00:00Z",
        },
        "spec": {"nodeName": node},
        "status": {"phase": phase, "conditions": conditions},
    }


def test_removal_order() -> None:
    job = {"spec": {"completionMode": "NonIndexed"}}
    pods = [
        active_pod("running-ready", node="n", phase="Running", ready=True),
        active_pod("running", node="n", phase="Running"),
        active_pod("unscheduled"),
    ]
    names = [p["metadata"]["name"] for p in active_pods_for_removal(job, pods, 2)]
    assert names == ["unscheduled", "running"]
    indexed = {"spec": {"completionMode": "Indexed", "completions": 3}}
    pods = [
        active_pod("a0", node="n", phase="Running", ready=True, index="0"),
        active_pod("b0", node="n", phase="Running", index="0"),
        active_pod("c5", index="5"),
        active_pod("d", index="x"),
        active_pod("e1", index="1"),
    ]
    # Duplicates, out-of-range and index-less pods go even when none need removing.
    names = sorted(p["metadata"]["name"] for p in active_pods_for_removal(indexed, pods, 0))
    assert names == ["b0", "c5", "d"]


def test_status_wire_form_follows_go_omitempty() -> None:
    status = {
        "active": 0,
        "succeeded": 2,
        "failed": 0,
        "ready": 0,
        "terminating": 0,
        "completedIndexes": "",
        "failedIndexes": None,
        "startTime": "2024-01-01T00:00:00Z",
        "completionTime": None,
        "uncountedTerminatedPods": {"succeeded": [], "failed": ["u1"]},
        "conditions": [],
    }
    assert status_for_write(status) == {
        "startTime": "2024-01-01T00:00:00Z",
        "succeeded": 2,
        "terminating": 0,
        "uncountedTerminatedPods": {"failed": ["u1"]},
        "ready": 0,
    }

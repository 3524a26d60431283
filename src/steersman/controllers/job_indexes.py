"""Completion indexes of Indexed Jobs (Kubernetes' pkg/controller/job/indexed_job_utils.go):
ordered index intervals, the index annotations and labels of pods, and the per-index failure
counts that `backoffLimitPerIndex` keeps.

Invariants:
- Interval lists are sorted, disjoint and non-adjacent (`[(0, 2), (4, 4)]` is "0-2,4"); every
  function returns a new list and never mutates its arguments.
- Index strings are parsed as the controller does: intervals at or beyond `completions` are
  cut, unparseable ones skipped.
- A pod's index is its `batch.kubernetes.io/job-completion-index` annotation; a missing,
  malformed or negative value is `UNKNOWN_INDEX`.
Pure functions: no I/O.
"""

from __future__ import annotations

import bisect
import copy
import re
from typing import Any

Obj = dict[str, Any]
Interval = tuple[int, int]

UNKNOWN_INDEX = -1
COMPLETION_INDEX_ANNOTATION = "batch.kubernetes.io/job-completion-index"
INDEX_FAILURE_COUNT_ANNOTATION = "batch.kubernetes.io/job-index-failure-count"
INDEX_IGNORED_FAILURE_COUNT_ANNOTATION = "batch.kubernetes.io/job-index-ignored-failure-count"
COMPLETION_INDEX_ENV = "JOB_COMPLETION_INDEX"
MAX_INT32 = 2**31 - 1
# names.MaxGeneratedNameLength: 63 minus the 5 random characters the server appends.
MAX_GENERATED_NAME_LENGTH = 58
_GO_INT = re.compile(r"[+-]?[0-9]+")


def _atoi(value: str) -> int | None:
    return int(value) if _GO_INT.fullmatch(value) else None


def completion_index(pod: Obj) -> int:
    annotations = (pod.get("metadata") or {}).get("annotations") or {}
    value = annotations.get(COMPLETION_INDEX_ANNOTATION)
    parsed = _atoi(value) if isinstance(value, str) else None
    return parsed if parsed is not None and parsed >= 0 else UNKNOWN_INDEX


def parse_indexes(text: str, completions: int) -> list[Interval]:
    result: list[Interval] = []
    if not text:
        return result
    for part in text.split(","):
        limits = part.split("-")
        first = _atoi(limits[0])
        if first is None:
            continue
        if first >= completions:
            break
        last = first
        if len(limits) > 1:
            parsed = _atoi(limits[1])
            if parsed is None:
                continue
            last = min(parsed, completions - 1)
        if result and result[-1][1] == first - 1:
            result[-1] = (result[-1][0], last)
        else:
            result.append((first, last))
    return result


def merge(a: list[Interval], b: list[Interval]) -> list[Interval]:
    result: list[Interval] = []
    for first, last in sorted(a + b):
        if not result or first > result[-1][1] + 1:
            result.append((first, last))
        elif result[-1][1] < last:
            result[-1] = (result[-1][0], last)
    return result


def with_ordered_indexes(intervals: list[Interval], indexes: list[int]) -> list[Interval]:
    return merge(intervals, [(i, i) for i in indexes])


def total(intervals: list[Interval] | None) -> int:
    return sum(last - first + 1 for first, last in intervals or [])


def has(intervals: list[Interval] | None, index: int) -> bool:
    if not intervals:
        return False
    pos = bisect.bisect_left([last for _, last in intervals], index)
    return pos < len(intervals) and intervals[pos][0] <= index


def format_indexes(intervals: list[Interval]) -> str:
    parts: list[str] = []
    for first, last in intervals:
        if last == first:
            parts.append(str(first))
        elif last == first + 1:
            parts.append(f"{first},{last}")
        else:
            parts.append(f"{first}-{last}")
    return ",".join(parts)


def indexes_of(pods: list[Obj]) -> set[int]:
    return {i for i in (completion_index(p) for p in pods) if i != UNKNOWN_INDEX}


def first_pending_indexes(count: int, completions: int, non_pending: list[Interval]) -> list[int]:
    """The `count` lowest indexes below `completions` not covered by `non_pending`."""
    result: list[int] = []
    candidate = 0
    for first, last in non_pending:
        while candidate < completions and len(result) < count and candidate < first:
            result.append(candidate)
            candidate += 1
        candidate = max(candidate, last + 1)
    while candidate < completions and len(result) < count:
        result.append(candidate)
        candidate += 1
    return result


def _annotation_int(pod: Obj, key: str) -> int:
    value = ((pod.get("metadata") or {}).get("annotations") or {}).get(key)
    parsed = _atoi(value) if isinstance(value, str) else None
    return parsed if parsed is not None and 0 <= parsed <= MAX_INT32 else 0


def index_failure_count(pod: Obj) -> int:
    return _annotation_int(pod, INDEX_FAILURE_COUNT_ANNOTATION)


def index_ignored_failure_count(pod: Obj) -> int:
    return _annotation_int(pod, INDEX_IGNORED_FAILURE_COUNT_ANNOTATION)


def index_absolute_failure_count(pod: Obj) -> int:
    return index_failure_count(pod) + index_ignored_failure_count(pod)


def pod_generate_name_with_index(job_name: str, index: int) -> str:
    suffix = f"-{index}-"
    prefix = job_name + suffix
    if len(prefix) > MAX_GENERATED_NAME_LENGTH:
        prefix = prefix[: MAX_GENERATED_NAME_LENGTH - len(suffix)] + suffix
    return prefix


def add_completion_index_env(template: Obj) -> Obj:
    """A copy of the pod template whose containers read JOB_COMPLETION_INDEX from the pod's
    index label (the PodIndexLabel feature is GA)."""
    template = copy.deepcopy(template)
    spec = template.setdefault("spec", {})
    field_path = f"metadata.labels['{COMPLETION_INDEX_ANNOTATION}']"
    for kind in ("initContainers", "containers"):
        for container in spec.get(kind) or []:
            env = container.setdefault("env", [])
            if any(e.get("name") == COMPLETION_INDEX_ENV for e in env):
                continue
            env.append(
                {"name": COMPLETION_INDEX_ENV, "valueFrom": {"fieldRef": {"fieldPath": field_path}}}
            )
    return template

"""batch/v1 Job updates: spec immutability and the status rules.

Invariants:
- A Job update runs, as Kubernetes' strategy does, both the create checks and the update
  checks, so a spec error may be reported twice (the API error's message de-duplicates it,
  its causes do not).
- One registered validator serves both main-resource and `/status` writes: status rules run
  only when the status changed.
Pure data: no I/O, no module state besides its registrations.
"""

from __future__ import annotations

from typing import Any

from steersman.api import errors
from steersman.api.errors import FIELD_VALUE_INVALID, FieldError
from steersman.api.validation import register
from steersman.api.validation.common import (
    FIELD_IMMUTABLE,
    child,
    index,
    validate_nonnegative,
    validate_object_meta_update,
)
from steersman.api.validation.go_values import GoRaw, go_label_selector
from steersman.api.validation.helpers import (
    Obj,
    _d,
    _l,
    _meta,
    _s,
    changed,
    label_selector_has_invalid_label_value,
)
from steersman.api.validation.job import (
    CONTROLLER_UID_LABEL,
    JOB_NAME_LABEL,
    _go_pfp,
    _go_success_policy,
    _go_time,
    _int,
    _nullable,
    _parse_index_interval,
    _parse_time,
    _semantic,
    _validate_job,
    _validate_job_spec,
    validate_indexes_format,
    validate_job,
)


def _template_for_immutability(
    new_spec: Obj, old_spec: Obj, mutable_scheduling: bool
) -> tuple[Any, Any]:
    """What validatePodTemplateUpdate compares: with mutable scheduling directives, the old
    template takes the new one's node affinity, node selector, tolerations, labels,
    annotations and scheduling gates."""
    new_t, old_t = _d(new_spec.get("template")), _d(old_spec.get("template"))
    if not mutable_scheduling:
        return new_t, old_t
    old_t = {
        **old_t,
        "metadata": dict(_d(old_t.get("metadata"))),
        "spec": dict(_d(old_t.get("spec"))),
    }
    new_meta, new_ts = _d(new_t.get("metadata")), _d(new_t.get("spec"))
    old_meta, old_ts = old_t["metadata"], old_t["spec"]
    new_aff, old_aff = new_ts.get("affinity"), old_ts.get("affinity")
    if new_aff is None and isinstance(old_aff, dict):
        rest = {k: v for k, v in old_aff.items() if k != "nodeAffinity"}
        old_ts["affinity"] = rest if _semantic(rest) else None
    elif isinstance(new_aff, dict):
        base = old_aff if isinstance(old_aff, dict) else {}
        old_ts["affinity"] = {**base, "nodeAffinity": new_aff.get("nodeAffinity")}
    for field in ("nodeSelector", "tolerations", "schedulingGates"):
        old_ts[field] = new_ts.get(field)
    for field in ("labels", "annotations"):
        old_meta[field] = new_meta.get(field)
    return new_t, old_t


def _validate_completions_update(new_spec: Obj, old_spec: Obj) -> list[FieldError]:
    new_c, old_c = new_spec.get("completions"), old_spec.get("completions")
    if new_spec.get("completionMode") != "Indexed":
        return (
            []
            if new_c == old_c
            else [errors.invalid("spec.completions", _nullable(new_c), FIELD_IMMUTABLE)]
        )
    if new_c == old_c or new_c is None:
        return []
    if new_c != new_spec.get("parallelism"):
        return [
            errors.invalid(
                "spec.completions", new_c, "can only be modified in tandem with spec.parallelism"
            )
        ]
    return []


def _validate_job_spec_update(
    new_spec: Obj, old_spec: Obj, *, allow_invalid: bool, mutable: bool
) -> list[FieldError]:
    out = _validate_job_spec(new_spec, "spec", allow_invalid_values=allow_invalid)
    out.extend(_validate_completions_update(new_spec, old_spec))
    if _semantic(new_spec.get("selector")) != _semantic(old_spec.get("selector")):
        out.append(
            errors.invalid(
                "spec.selector", go_label_selector(new_spec.get("selector")), FIELD_IMMUTABLE
            )
        )
    new_t, old_t = _template_for_immutability(new_spec, old_spec, mutable)
    if _semantic(new_t) != _semantic(old_t):
        out.append(
            errors.invalid("spec.template", GoRaw("core.PodTemplateSpec{...}"), FIELD_IMMUTABLE)
        )
    renderers = {
        "completionMode": _nullable,
        "podFailurePolicy": _go_pfp,
        "backoffLimitPerIndex": _nullable,
        "managedBy": _nullable,
        "successPolicy": _go_success_policy,
    }
    for field, render in renderers.items():
        if _semantic(new_spec.get(field)) != _semantic(old_spec.get(field)):
            out.append(
                errors.invalid(child("spec", field), render(new_spec.get(field)), FIELD_IMMUTABLE)
            )
    return out


def validate_job_update(new: Obj, old: Obj) -> list[FieldError]:
    """The Job strategy's ValidateUpdate: ValidateJob and ValidateJobUpdate, plus the status
    rules when the status changed."""
    new_spec, old_spec = _d(new.get("spec")), _d(old.get("spec"))
    old_labels = _d(_d(_d(old_spec.get("template")).get("metadata")).get("labels"))
    require_prefixed = CONTROLLER_UID_LABEL in old_labels and JOB_NAME_LABEL in old_labels
    allow_invalid = label_selector_has_invalid_label_value(old_spec.get("selector"))
    # Scheduling directives may change only while a suspended job has never started.
    mutable = old_spec.get("suspend") is True and not _d(old.get("status")).get("startTime")
    out = _validate_job(
        new, require_prefixed_labels=require_prefixed, allow_invalid_values=allow_invalid
    )
    out.extend(validate_object_meta_update(_meta(new), _meta(old)))
    out.extend(
        _validate_job_spec_update(new_spec, old_spec, allow_invalid=allow_invalid, mutable=mutable)
    )
    if changed(new.get("status"), old.get("status")):
        out.extend(validate_job_status_update(new, old))
    return out


def _condition_true(job: Obj, kind: str) -> bool:
    return any(
        _d(c).get("type") == kind and _d(c).get("status") == "True"
        for c in _l(_d(job.get("status")).get("conditions"))
    )


def _finished(job: Obj) -> bool:
    return _condition_true(job, "Complete") or _condition_true(job, "Failed")


def _omit(path: str, detail: str) -> FieldError:
    return FieldError(FIELD_VALUE_INVALID, path, detail)


def _validate_uncounted(status: Obj) -> list[FieldError]:
    uncounted = status.get("uncountedTerminatedPods")
    if not isinstance(uncounted, dict):
        return []
    out: list[FieldError] = []
    seen: set[str] = set()
    for field in ("succeeded", "failed"):
        for i, uid in enumerate(_l(uncounted.get(field))):
            p = index(child("status", "uncountedTerminatedPods", field), i)
            if not uid:
                out.append(errors.invalid(p, _s(uid), "must not be empty"))
            elif uid in seen:
                out.append(errors.duplicate(p, uid))
            else:
                seen.add(uid)
    return out


def _go_uncounted(value: Any) -> GoRaw:
    u = _d(value)
    return GoRaw(
        "batch.UncountedTerminatedPods{"
        f"Succeeded:{_go_uids(u.get('succeeded'))}, Failed:{_go_uids(u.get('failed'))}"
        "}"
    )


def _go_uids(values: Any) -> str:
    if not isinstance(values, list):
        return "[]types.UID(nil)"
    return "[]types.UID{" + ", ".join(errors.go_value(_s(v)) for v in values) + "}"


def _status_changes(new: Obj, old: Obj) -> dict[str, bool]:
    ns, os_ = _d(new.get("status")), _d(old.get("status"))

    def diff(field: str) -> bool:
        return changed(ns.get(field), os_.get(field))

    return {
        "finished": _finished(new) != _finished(old),
        "complete": _condition_true(new, "Complete") != _condition_true(old, "Complete"),
        "failed": _condition_true(new, "Failed") != _condition_true(old, "Failed"),
        "failure_target": _condition_true(new, "FailureTarget")
        != _condition_true(old, "FailureTarget"),
        "completed_indexes": _s(ns.get("completedIndexes")) != _s(os_.get("completedIndexes")),
        "failed_indexes": ns.get("failedIndexes") != os_.get("failedIndexes"),
        "active": (ns.get("active") or 0) != (os_.get("active") or 0),
        "ready": ns.get("ready") != os_.get("ready"),
        "terminating": ns.get("terminating") != os_.get("terminating"),
        "start": diff("startTime"),
        "completion": diff("completionTime"),
        "uncounted": _semantic(ns.get("uncountedTerminatedPods"))
        != _semantic(os_.get("uncountedTerminatedPods")),
    }


def _validate_job_status(job: Obj, c: dict[str, bool]) -> list[FieldError]:
    """validateJobStatus with the options the strategy derives from what changed."""
    status, spec = _d(job.get("status")), _d(job.get("spec"))
    out: list[FieldError] = []
    for field in ("active", "succeeded", "failed", "ready", "terminating"):
        out.extend(validate_nonnegative(status.get(field), child("status", field)))
    out.extend(_validate_uncounted(status))
    complete, failed = _condition_true(job, "Complete"), _condition_true(job, "Failed")
    failure_target = _condition_true(job, "FailureTarget")
    criteria_met = _condition_true(job, "SuccessCriteriaMet")
    finished = complete or failed
    start, completion = (
        _parse_time(status.get("startTime")),
        _parse_time(status.get("completionTime")),
    )
    sp = "status"
    if (c["complete"] or c["failed"]) and complete and failed:
        out.append(
            _omit(child(sp, "conditions"), "cannot set Complete=True and Failed=true conditions")
        )
    if (c["complete"] or c["failure_target"]) and complete and failure_target:
        out.append(
            _omit(
                child(sp, "conditions"),
                "cannot set Complete=True and FailureTarget=true conditions",
            )
        )
    if (c["complete"] or c["completion"]) and completion is not None and not complete:
        msg = "cannot set completionTime when there is no Complete=True condition"
        out.append(
            errors.invalid(child(sp, "completionTime"), _go_time(status.get("completionTime")), msg)
        )
    if (c["complete"] or c["completion"]) and completion is None and complete:
        out.append(
            errors.required(
                child(sp, "completionTime"), "completionTime is required for Complete jobs"
            )
        )
    if (c["start"] or c["completion"]) and start and completion and completion < start:
        msg = "completionTime cannot be set before startTime"
        out.append(
            errors.invalid(child(sp, "completionTime"), _go_time(status.get("completionTime")), msg)
        )
    if c["failed"] and failed and not failure_target:
        msg = "cannot set Failed=True condition without the FailureTarget=true condition"
        out.append(_omit(child(sp, "conditions"), msg))
    if c["complete"] and complete and not criteria_met:
        msg = "cannot set Complete=True condition without the SuccessCriteriaMet=true condition"
        out.append(_omit(child(sp, "conditions"), msg))
    active = status.get("active") or 0
    if (c["finished"] or c["active"]) and active > 0 and finished:
        out.append(
            errors.invalid(child(sp, "active"), active, "active>0 is invalid for finished job")
        )
    if (c["finished"] or c["start"]) and start is None and finished:
        out.append(
            errors.required(child(sp, "startTime"), "startTime is required for finished job")
        )
    uncounted = _d(status.get("uncountedTerminatedPods"))
    if (
        (c["finished"] or c["uncounted"])
        and finished
        and (_l(uncounted.get("failed")) or _l(uncounted.get("succeeded")))
    ):
        msg = "uncountedTerminatedPods needs to be empty for finished job"
        out.append(
            errors.invalid(child(sp, "uncountedTerminatedPods"), _go_uncounted(uncounted), msg)
        )
    out.extend(_validate_status_indexes(job, c))
    terminating = _int(status.get("terminating"))
    if (c["finished"] or c["terminating"]) and terminating and terminating > 0 and finished:
        out.append(
            errors.invalid(
                child(sp, "terminating"), terminating, "terminating>0 is invalid for finished job"
            )
        )
    ready = _int(status.get("ready"))
    if (c["ready"] or c["active"]) and ready is not None and ready > active:
        out.append(
            errors.invalid(child(sp, "ready"), ready, "cannot set more ready pods than active")
        )
    if criteria_met and failed:
        out.append(
            _omit(
                child(sp, "conditions"),
                "cannot set SuccessCriteriaMet=True and Failed=true conditions",
            )
        )
    if criteria_met and failure_target:
        msg = "cannot set SuccessCriteriaMet=True and FailureTarget=true conditions"
        out.append(_omit(child(sp, "conditions"), msg))
    if isinstance(spec.get("successPolicy"), dict) and not criteria_met and complete:
        msg = "cannot set Complete=True for Job with SuccessPolicy unless SuccessCriteriaMet=True"
        out.append(_omit(child(sp, "conditions"), msg))
    return out


def _validate_status_indexes(job: Obj, c: dict[str, bool]) -> list[FieldError]:
    status, spec = _d(job.get("status")), _d(job.get("spec"))
    completions = _int(spec.get("completions"))
    completed = _s(status.get("completedIndexes"))
    failed_idx = status.get("failedIndexes")
    out: list[FieldError] = []
    if c["completed_indexes"] and completions is not None:
        try:
            validate_indexes_format(completed, completions)
        except ValueError as exc:
            msg = f"error parsing completedIndexes: {exc}"
            out.append(errors.invalid("status.completedIndexes", completed, msg))
    per_index = spec.get("backoffLimitPerIndex") is not None
    if (
        c["failed_indexes"]
        and completions is not None
        and per_index
        and isinstance(failed_idx, str)
    ):
        try:
            validate_indexes_format(failed_idx, completions)
        except ValueError as exc:
            msg = f"error parsing failedIndexes: {exc}"
            out.append(errors.invalid("status.failedIndexes", failed_idx, msg))
    if c["completed_indexes"] and completed and spec.get("completionMode") != "Indexed":
        msg = "cannot set non-empty completedIndexes when non-indexed completion mode"
        out.append(errors.invalid("status.completedIndexes", completed, msg))
    if c["failed_indexes"] and spec.get("backoffLimitPerIndex") is None and failed_idx is not None:
        msg = "cannot set non-null failedIndexes when backoffLimitPerIndex is null"
        out.append(errors.invalid("status.failedIndexes", failed_idx, msg))
    if (
        (c["failed_indexes"] or c["completed_indexes"])
        and completions is not None
        and isinstance(failed_idx, str)
    ):
        overlap = _first_overlap(completed, failed_idx, completions)
        if overlap is not None:
            msg = f"failedIndexes and completedIndexes overlap at index: {overlap}"
            out.append(errors.invalid("status.failedIndexes", failed_idx, msg))
    return out


def _intervals(text: str, completions: int) -> list[tuple[int, int]]:
    """The parseable intervals of an index list (unparseable ones are reported elsewhere)."""
    out: list[tuple[int, int]] = []
    for part in text.split(",") if text else []:
        try:
            out.append(_parse_index_interval(part, completions))
        except ValueError:
            continue
    return out


def _first_overlap(completed: str, failed: str, completions: int) -> int | None:
    """validateFailedIndexesNotOverlapCompleted: walk both sorted interval lists."""
    cs, fs = _intervals(completed, completions), _intervals(failed, completions)
    ci = fi = 0
    while ci < len(cs) and fi < len(fs):
        (cx, cy), (fx, fy) = cs[ci], fs[fi]
        if cx <= fy and fx <= cy:
            return max(cx, fx)
        if cx <= fx:
            ci += 1
        else:
            fi += 1
    return None


def validate_job_status_update(new: Obj, old: Obj) -> list[FieldError]:
    """ValidateJobStatusUpdate with the v1.36 (JobManagedBy GA) options."""
    c = _status_changes(new, old)
    out = _validate_job_status(new, c)
    ns, os_ = _d(new.get("status")), _d(old.get("status"))
    new_spec = _d(new.get("spec"))
    for kind in ("Failed", "Complete", "FailureTarget"):
        if _condition_true(old, kind) and not _condition_true(new, kind):
            out.append(
                _omit("status.conditions", f"cannot disable the terminal {kind}=True condition")
            )
    if (ns.get("failed") or 0) < (os_.get("failed") or 0):
        out.append(
            errors.invalid(
                "status.failed", ns.get("failed") or 0, "cannot decrease the failed counter"
            )
        )
    indexed = new_spec.get("completionMode") == "Indexed"
    # Elastic indexed jobs may scale down, losing succeeded indexes.
    elastic = indexed and new_spec.get("completions") == new_spec.get("parallelism")
    if not elastic and (ns.get("succeeded") or 0) < (os_.get("succeeded") or 0):
        msg = "cannot decrease the succeeded counter"
        out.append(errors.invalid("status.succeeded", ns.get("succeeded") or 0, msg))
    new_ct, old_ct = _parse_time(ns.get("completionTime")), _parse_time(os_.get("completionTime"))
    if new_ct is not None and old_ct is not None and new_ct != old_ct:
        msg = "completionTime cannot be mutated"
        out.append(errors.invalid("status.completionTime", _go_time(ns.get("completionTime")), msg))
    old_start = _parse_time(os_.get("startTime"))
    # A Job resumed after a suspension gets a fresh startTime (upstream PR 134769).
    resuming = _condition_true(old, "Suspended") and not _condition_true(new, "Suspended")
    if (
        old_start is not None
        and old_start != _parse_time(ns.get("startTime"))
        and new_spec.get("suspend") is not True
        and not resuming
    ):
        out.append(
            errors.required("status.startTime", "startTime cannot be removed for unsuspended job")
        )
    if _condition_true(old, "SuccessCriteriaMet") and not _condition_true(
        new, "SuccessCriteriaMet"
    ):
        out.append(
            _omit("status.conditions", "cannot disable the SuccessCriteriaMet=True condition")
        )
    if (
        _condition_true(old, "Complete")
        and not _condition_true(old, "SuccessCriteriaMet")
        and _condition_true(new, "SuccessCriteriaMet")
    ):
        msg = "cannot set SuccessCriteriaMet=True for Job already has Complete=true conditions"
        out.append(_omit("status.conditions", msg))
    return out


register("batch", "Job", validate_job, validate_job_update)
